"""Start-up probes run in a real sandbox container: the service serves only if isolation holds."""

import json
import logging

from botmoon_sandbox.domain.outcome import Status
from botmoon_sandbox.executor import Executor

log = logging.getLogger(__name__)

PROBE_CODE = '''
import os, socket
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
try:
    os.listdir(f"/proc/{os.getppid()}/fd")
    found["runner_fds"] = "visible"
except OSError:
    found["runner_fds"] = "hidden"
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
found["cap_eff"] = int(status["CapEff"].strip(), 16)
found["no_new_privs"] = int(status["NoNewPrivs"].strip())
result = found
'''

EXPECTED = {"network": "unreachable", "rootfs": "read-only", "cap_eff": 0, "no_new_privs": 1, "runner_fds": "hidden"}


def failures(found: dict) -> dict:
    """Each finding of the probe that is not what isolation needs (an empty dict when it holds)."""
    failed = {k: found.get(k) for k, v in EXPECTED.items() if found.get(k) != v}
    if not isinstance(found.get("uid"), int) or found.get("uid") == 0:
        failed["uid"] = found.get("uid")
    return failed


async def isolation_holds(executor: Executor) -> bool:
    outcome = await executor.execute(PROBE_CODE, skip_validation=True)
    if outcome.status is not Status.COMPLETED:
        log.error("isolation probe did not complete", extra={"status": outcome.status.value,
                                                             "error": outcome.error, "stderr": outcome.stderr})
        return False
    found = json.loads(outcome.result_json or "null")
    failed = failures(found) if isinstance(found, dict) else {"result": found}
    if failed:
        log.error("isolation probe failed", extra={"failures": failed})
        return False
    log.info("isolation probe passed", extra={"found": found})
    return True
