"""Start-up probes: the service serves only if isolation holds in a real sandbox container and the container
runtime in force is the configured one (registered in the engine, set on the container, seen from inside)."""

import asyncio
import json
import logging

from botmoon_sandbox.adapters.docker_engine import DockerEngine, EngineError
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.outcome import Status
from botmoon_sandbox.executor import Executor

log = logging.getLogger(__name__)

# Asks the kernel, not /proc/self/status, where it can: gVisor's status file has no NoNewPrivs line.
PROBE_CODE = '''
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
found = {}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    found["network"] = "reachable"
except OSError:
    found["network"] = "unreachable"
try:
    open("/probe", "w").close()
    found["rootfs"] = "writable"
except OSError:
    found["rootfs"] = "read-only"
found["uid"] = os.getuid()
# The runner's descriptors (its reply channel among them) must not open from here, by either mode; one that
# is only a path anyone may open (its stdin, /dev/null) gives nothing away.
def opens(path, mode):
    try:
        os.close(os.open(path, mode | os.O_NONBLOCK))
        return True
    except OSError:
        return False
def target(link):
    try:
        return os.readlink(link)
    except OSError:
        return ""
try:
    runner_fds = os.listdir(f"/proc/{os.getppid()}/fd")
except OSError:
    runner_fds = []
found["runner_fds"] = "hidden"
for fd in runner_fds:
    link = f"/proc/{os.getppid()}/fd/{fd}"
    for mode in (os.O_RDONLY, os.O_WRONLY):
        if opens(link, mode) and not (target(link).startswith("/") and opens(target(link), mode)):
            found["runner_fds"] = "visible"
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
found["cap_eff"] = int(status["CapEff"].strip(), 16)
found["no_new_privs"] = libc.prctl(39, 0, 0, 0, 0)  # PR_GET_NO_NEW_PRIVS
found["kernel"] = os.uname().release
log = ctypes.create_string_buffer(8192)
size = libc.klogctl(3, log, len(log))  # SYSLOG_ACTION_READ_ALL: gVisor answers with its own boot lines
found["kernel_log"] = log.raw[:size].decode(errors="replace") if size >= 0 else f"errno {ctypes.get_errno()}"
result = found
'''

EXPECTED = {"network": "unreachable", "rootfs": "read-only", "cap_eff": 0, "no_new_privs": 1, "runner_fds": "hidden"}

# What the code inside should see of its kernel under each runtime: the engine's own, or gVisor's.
HOST_KERNEL, GVISOR = "the engine's kernel", "gVisor's kernel"
KERNEL_UNDER = {"runc": HOST_KERNEL, "crun": HOST_KERNEL, "io.containerd.runc.v2": HOST_KERNEL, "runsc": GVISOR}


class ProbeFailed(Exception):
    """A start-up probe found the sandbox not as configured; the message says how, `details` what was found."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


def failures(found: dict) -> dict:
    """Each finding of the probe that is not what isolation needs (an empty dict when it holds)."""
    failed = {k: found.get(k) for k, v in EXPECTED.items() if found.get(k) != v}
    if not isinstance(found.get("uid"), int) or found.get("uid") == 0:
        failed["uid"] = found.get("uid")
    return failed


def kernel_seen(found: dict, engine_kernel: str) -> str:
    """Whose kernel the probe's code ran on, from what it saw inside."""
    if "gVisor" in str(found.get("kernel_log", "")) and found.get("kernel") != engine_kernel:
        return GVISOR
    if found.get("kernel") == engine_kernel:
        return HOST_KERNEL
    return f"an unknown kernel ({found.get('kernel')!r})"


def check_registered(runtime: str, facts: dict) -> None:
    """The engine lists the runtime (docker info), and the probe knows what it should look like from inside."""
    if runtime not in facts["runtimes"]:
        raise ProbeFailed(f"runtime {runtime!r} is not registered in the Docker engine "
                          f"(it has: {', '.join(sorted(facts['runtimes']))})")
    if runtime not in KERNEL_UNDER:
        raise ProbeFailed(f"runtime {runtime!r}: no known in-container evidence for it "
                          f"(known: {', '.join(sorted(KERNEL_UNDER))}); refusing to serve")


def check_inside(runtime: str, found: dict, engine_kernel: str) -> None:
    seen = kernel_seen(found, engine_kernel)
    if seen != KERNEL_UNDER[runtime]:
        raise ProbeFailed(f"runtime {runtime!r} should show {KERNEL_UNDER[runtime]} inside the container, "
                          f"but the probe saw {seen} (engine kernel {engine_kernel!r}, "
                          f"container kernel {found.get('kernel')!r})")


async def sandbox_holds(executor: Executor, engine: DockerEngine, runtime: str) -> ProbeFailed | None:
    """Every start-up probe, in order: None when all hold, else why the service must not serve."""
    try:
        facts = await asyncio.to_thread(engine.facts)
        check_registered(runtime, facts)
        on_container = await asyncio.to_thread(engine.runtime_of_new_container)
        if on_container != runtime:
            raise ProbeFailed(f"a sandbox container was created with runtime {on_container!r}, "
                              f"not the configured {runtime!r}")
        for flavour in Flavour:  # every kind of container the pool starts, one after the other
            found = await isolation_findings(executor, flavour)
            check_inside(runtime, found, facts["kernel"])  # whose kernel first: it says what the rest means
            if failed := failures(found):
                raise ProbeFailed(f"isolation probe failed in the {flavour.value} flavour: {failed}",
                                  failures=failed, flavour=flavour.value)
    except ProbeFailed as exc:
        return exc
    except EngineError as exc:
        return ProbeFailed(str(exc))
    log.info("start-up probes passed", extra={"runtime": runtime, "found": {k: v for k, v in found.items()
                                                                           if k != "kernel_log"}})
    return None


async def isolation_findings(executor: Executor, flavour: Flavour) -> dict:
    outcome = await executor.execute(PROBE_CODE, skip_validation=True, flavour=flavour)
    if outcome.status is not Status.COMPLETED:
        raise ProbeFailed(f"isolation probe did not complete: {outcome.status.value} {outcome.error or ''} "
                          f"{(outcome.stderr or '')[-500:]}".strip())
    found = json.loads(outcome.result_json or "null")
    if not isinstance(found, dict):
        raise ProbeFailed(f"isolation probe returned {found!r}")
    return found
