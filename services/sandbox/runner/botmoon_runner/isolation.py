"""What keeps the runner's own process out of reach of the worker process that runs user code."""

import ctypes
import os
import resource
import signal

PR_SET_DUMPABLE = 4
PIDS_EVENTS = ("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events")  # cgroup v2, v1


def guard_runner() -> None:
    """Makes this process non-dumpable, so a process of the same user (the worker) can neither open its
    file descriptors through /proc/<pid>/fd nor read or write its memory, nor trace it; and deaf to
    SIGINT. Raises if the kernel refuses: the runner does not start unguarded."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def enter_worker(keep: int) -> None:
    """In the freshly forked worker: nothing of the runner's left open but `keep`, stdin (the requests) and
    stdout/stderr (which the runner pointed at the container's stderr), the usual SIGINT, and first in line
    for the kernel's OOM killer."""
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limit = 4096 if limit == resource.RLIM_INFINITY else limit
    os.closerange(3, keep)
    os.closerange(keep + 1, limit)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass  # outside a container (tests): the runner does not depend on it


def pids_limit_hits() -> int | None:
    """How often a fork in this container was refused at its pids limit; None where the cgroup can't tell."""
    for path in PIDS_EVENTS:
        try:
            with open(path, "rb") as f:
                for line in f:
                    name, _, count = line.partition(b" ")
                    if name == b"max":
                        return int(count)
        except (OSError, ValueError):
            continue
    return None
