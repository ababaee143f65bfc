"""What keeps the runner's own process out of reach of the worker process that runs user code."""

import ctypes
import os
import resource
import signal

PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
# "<worker uid>:<gid>,<runner uid>:<gid>": the container starts as root with CAP_SETUID/SETGID/SETPCAP only, and
# the runner and its worker each become their own user. Set where PR_SET_DUMPABLE does not fence /proc/<pid>/fd
# (gVisor's 2022 release): a worker of another user cannot open the runner's descriptors anywhere.
SPLIT_USERS_ENV = "BOTMOON_SPLIT_USERS"
_users: dict[str, tuple[int, int]] = {}
PIDS_EVENTS = ("/sys/fs/cgroup/pids.events", "/sys/fs/cgroup/pids/pids.events")  # cgroup v2, v1


def guard_runner() -> None:
    """Makes this process non-dumpable, so a process of the same user (the worker) can neither open its
    file descriptors through /proc/<pid>/fd nor read or write its memory, nor trace it; and deaf to
    SIGINT. Raises if the kernel refuses: the runner does not start unguarded."""
    split = os.environ.pop(SPLIT_USERS_ENV, "")
    if split:
        worker, runner = (tuple(int(n) for n in user.split(":")) for user in split.split(","))
        _users.update(worker=worker, runner=runner)
    _undumpable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _undumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def become(role: str) -> None:
    """With split users (SPLIT_USERS_ENV), this process becomes the role's user for good: no supplementary
    groups, every capability gone from its bounding set too. Raises if it cannot: no process runs as root."""
    if role not in _users:
        return
    uid, gid = _users.pop(role)
    _users.clear()
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: no such cap
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap}) failed")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if role == "runner":
        _undumpable()  # a change of user resets it


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
    become("worker")


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
