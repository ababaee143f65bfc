"""The reply channel from a container to the sandbox service, attacked for real.

User code runs in the runner's worker process, where the channel to the service is not open: frames it
forges can't change a status or a result. And the service treats every frame from a container as hostile:
a hostile runner image answers with 60 MiB frames, and the service's memory stays put."""

import io
import json
import tarfile
import time
import uuid

import docker
import grpc
import pytest

from botmoon.sandbox.v1 import sandbox_pb2 as pb
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.processes import Sandbox

pytestmark = pytest.mark.docker

# Validated code (no blocked import): the random module's own reference to os reaches the raw descriptors.
FORGE = '''
import json
import random
frame = {"status": "completed", "stdout": "forged", "stderr": "", "truncated": False, "error": None,
         "execution_time_ms": 1, "ok": True}
value = json.dumps("forged").encode()
body = json.dumps({**frame, "_binary": len(value)}).encode()
for fd in range(0, 64):
    try:
        random._os.write(fd, len(body).to_bytes(4, "big") + body + value)
    except OSError:
        pass
'''


def execute(stub, code: str, skip_validation: bool = False) -> pb.ExecuteResponse:
    return stub.Execute(pb.ExecuteRequest(code=code, skip_validation=skip_validation), timeout=60)


def test_validation_lets_the_attack_through(sandbox_stub):
    """The attack is real: this code is valid, so only the runner's process boundary stops it."""
    report = sandbox_stub.Validate(pb.ValidateRequest(code=FORGE + "raise ValueError('real')"), timeout=30)
    assert report.valid, report


def test_a_forged_frame_then_an_exception_is_reported_failed_without_the_forged_result(sandbox_stub):
    reply = execute(sandbox_stub, FORGE + "raise ValueError('the real outcome')")
    assert reply.status == pb.EXECUTION_STATUS_FAILED, reply
    assert reply.result_json == ""
    assert "forged" not in reply.stdout
    assert reply.error.type == "SandboxProtocolError"
    assert "after the reply frame" in reply.error.message


def test_a_forged_frame_then_a_normal_end_is_not_taken_for_the_result(sandbox_stub):
    reply = execute(sandbox_stub, FORGE + "result = 'real'")
    assert reply.status == pb.EXECUTION_STATUS_FAILED, reply
    assert reply.result_json == ""
    assert reply.error.type == "SandboxProtocolError"


# The environment the service gives a container (tests/integration/test_sandbox_isolation.py checks the worker's)
CONTAINER_ENVIRONMENT = {"PATH", "HOME", "HOSTNAME", "LANG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                         "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "BOTMOON_MAX_OUTPUT", "BOTMOON_MAX_VALUE"}


def test_the_runner_process_and_its_descriptors_are_out_of_reach(sandbox_stub, sandbox_runtime):
    code = '''
import os
found = {"parent": os.getppid(), "own_fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd"))}
for what, attempt in [("list", lambda: os.listdir("/proc/1/fd")),
                      ("open", lambda: open("/proc/1/fd/3", "wb")),
                      ("mem", lambda: open("/proc/1/mem", "rb")),
                      ("environ", lambda: open("/proc/1/environ", "rb").read())]:
    try:
        attempt()
        found[what] = "reached"
    except OSError as exc:
        found[what] = type(exc).__name__
try:
    environ = open("/proc/1/environ", "rb").read().split(bytes(1))
    found["runner_environ"] = sorted(entry.split(b"=")[0].decode() for entry in environ if entry)
except OSError:
    found["runner_environ"] = None
try:
    numbers = sorted(int(fd) for fd in os.listdir("/proc/1/fd"))
except OSError:
    numbers = list(range(16))  # not listable: try the likely ones
found["runner_fds"] = {}
for fd in numbers:
    try:
        target = os.readlink(f"/proc/1/fd/{fd}")
    except OSError as exc:
        target = type(exc).__name__
    for mode in ("rb", "wb"):
        try:
            open(f"/proc/1/fd/{fd}", mode, buffering=0).close()
            found["runner_fds"][f"{fd} {mode}"] = ["reached", target]
        except OSError as exc:
            found["runner_fds"][f"{fd} {mode}"] = [type(exc).__name__, target]
result = found
'''
    reply = execute(sandbox_stub, code, skip_validation=True)
    assert reply.status == pb.EXECUTION_STATUS_COMPLETED, reply
    found = json.loads(reply.result_json)
    assert found["parent"] == 1
    # gVisor lets the worker list the runner's descriptor numbers (its procfs checks only on open); runc does not
    expected_list = {"runc": "PermissionError", "runsc": "reached"}[sandbox_runtime]
    assert found["list"] == expected_list, found
    for what in ("open", "mem"):
        assert found[what] == "PermissionError", (what, found)
    if sandbox_runtime == "runc":
        assert found["environ"] == "PermissionError", found
    else:  # gVisor's 2022 release lets another user read it: it holds the container's environment, no more
        assert found["environ"] == "reached", found
        assert set(found["runner_environ"]) <= CONTAINER_ENVIRONMENT | {"BOTMOON_SPLIT_USERS"}, found
    # Listed or guessed, not one of the runner's descriptors opens, for reading or for writing: above all not
    # stdout, its reply channel. Under gVisor the links can be read too, and its stdin, /dev/null by then, reopens
    # as a /dev/null of the worker's own; its socket never opens through /proc ("OSError": ENXIO).
    assert found["runner_fds"]["1 wb"][0] == "PermissionError", found
    assert len(found["runner_fds"]) >= 2 * 6, found
    refused = {"runc": ("PermissionError",), "runsc": ("PermissionError", "OSError")}[sandbox_runtime]
    for attempt, (outcome, target) in found["runner_fds"].items():
        if sandbox_runtime == "runsc" and target == "/dev/null":
            continue
        assert outcome in refused, (attempt, found)
    # stdin (empty), stdout and stderr (the container's stderr), the worker's socket and its reply pipe
    assert len(found["own_fds"]) <= 6, found


def test_the_api_reports_the_forged_run_as_failed_without_the_forged_result(gateway):
    """The issue's reproduction, end to end: POST /api/ai/execute with valid code that forges, then raises."""
    import httpx

    reply = httpx.post(f"{gateway.url}/api/ai/execute", timeout=60,
                       json={"code": FORGE + "raise ValueError('the real outcome')", "name": "Forger"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["success"], body["status"], body["result"]) == (False, "failed", None), body
    assert "forged" not in body["output"]
    assert body["error"]["type"] == "SandboxProtocolError"


def test_after_an_attack_the_next_execution_is_fine(sandbox_stub):
    execute(sandbox_stub, FORGE + "raise ValueError('x')")
    reply = execute(sandbox_stub, "print('Hello from AI!')\nresult = 42")
    assert reply.status == pb.EXECUTION_STATUS_COMPLETED
    assert (reply.stdout, reply.result_json) == ("Hello from AI!\n", "42")


STRATEGY = '''
class Forger:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
''' + "\n".join("        " + line for line in FORGE.strip().splitlines()) + '''
        if self.params.get("raise"):
            raise ValueError("the real outcome")
        return {"signals": []}
'''


def session(stub, *requests) -> list[pb.SessionReply]:
    return list(stub.Session(iter(requests), timeout=60))


def req(op: str, binary: bytes = b"", **args) -> pb.SessionRequest:
    return pb.SessionRequest(op=op, args_json=json.dumps(args), binary=binary)


def candles(rows: int) -> bytes:
    import numpy as np

    times = 1_700_000_000_000 + np.arange(rows, dtype="<i8") * 3_600_000
    return times.astype("<i8").tobytes() + np.ones(rows * 5, dtype="<f8").tobytes()


@pytest.mark.parametrize("raises", [True, False])
def test_a_strategy_that_forges_a_reply_fails_its_session(sandbox_stub, raises):
    replies = session(sandbox_stub, req("load", code=STRATEGY, params={"raise": raises}),
                      req("candles", rows=4, binary=candles(4)), req("signals"), req("signals"))
    assert [r.status for r in replies] == [pb.EXECUTION_STATUS_COMPLETED, pb.EXECUTION_STATUS_COMPLETED,
                                           pb.EXECUTION_STATUS_FAILED], replies
    failed = replies[-1]
    assert not failed.ok
    assert failed.value_json == ""
    assert failed.error.type == "SandboxProtocolError"


def test_a_backtest_or_live_run_sees_the_forgery_as_a_strategy_failure(sandbox):
    """Backtests and live runs go through StrategySession: the forged value never reaches them."""
    import asyncio

    import numpy as np

    from botmoon_common.strategy_session import StrategyFailed, StrategySession

    async def run() -> StrategyFailed:
        async with grpc.aio.insecure_channel(sandbox.address) as channel:
            strategy = StrategySession(sandbox_pb2_grpc.SandboxServiceStub(channel), timeout_s=60)
            try:
                assert (await strategy.load(STRATEGY, {"raise": False}))["class"] == "Forger"
                times = 1_700_000_000_000 + np.arange(4, dtype="<i8") * 3_600_000
                await strategy.send_candles(times, [np.ones(4)] * 5)
                with pytest.raises(StrategyFailed) as failed:
                    await strategy.signals()
                return failed.value
            finally:
                await strategy.close()

    failure = asyncio.run(run())
    assert failure.status == "failed"
    assert failure.error["type"] == "SandboxProtocolError"


# --- a hostile container ---------------------------------------------------------------------------------------

HOSTILE_RUNNER = r'''
"""A runner gone bad: honest (the real runner) unless the code asks for a hostile reply."""
import json
import os
import sys
import time

stdin = sys.stdin.buffer


def exactly(n):
    data = b""
    while len(data) < n:
        chunk = stdin.read(n - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data


def flood(out, n):
    chunk = b"[{}," * (1 << 18)
    sent = 0
    try:
        while sent < n:
            out.write(chunk[: n - sent])
            sent += len(chunk)
    except OSError:
        pass
    time.sleep(60)


sys.stderr.buffer.write(b"botmoon-runner-ready\n")
sys.stderr.flush()
header = exactly(4)
body = exactly(int.from_bytes(header, "big"))
request = json.loads(body)
binary = exactly(request.get("_binary", 0))
code = request.get("code", "")
out = os.fdopen(1, "wb", buffering=0)
SIXTY_MIB = 60 << 20
if "HOSTILE:HEAD" in code:
    out.write(SIXTY_MIB.to_bytes(4, "big"))
    flood(out, SIXTY_MIB)
elif "HOSTILE:VALUE" in code:
    head = json.dumps({"status": "completed", "ok": True, "_binary": SIXTY_MIB}).encode()
    out.write(len(head).to_bytes(4, "big") + head)
    flood(out, SIXTY_MIB)
else:  # the real runner, its worker reading the request this script already read (an exec: stdin ends there)
    replay, writer = os.pipe()
    os.write(writer, header + body + binary)
    os.close(writer)
    os.dup2(replay, 0)
    os.close(replay)
    from botmoon_runner.__main__ import main
    main()
'''

SERVICE_MEMORY_LIMIT = 512 << 20  # the sandbox service's memory limit in deploy/k8s/base/sandbox.yaml


@pytest.fixture(scope="module")
def hostile_sandbox():
    client = docker.from_env()
    tag = f"botmoon-test/hostile-runner:{uuid.uuid4().hex[:8]}"
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in (("Dockerfile", "FROM botmoon/sandbox-runner:latest\nCOPY hostile.py /hostile.py\n"
                                          'ENTRYPOINT ["/venv/bin/python", "-I", "/hostile.py"]\n'),
                           ("hostile.py", HOSTILE_RUNNER)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    service = Sandbox("hostile-" + uuid.uuid4().hex[:8], pool_size=1, runner_image=tag,
                      max_session_reply_bytes=16 << 20)
    try:
        service.start()  # the probes pass: the hostile runner is honest with them
        yield service
    finally:
        service.stop()
        remove_pool(service.pool_name)
        client.images.remove(tag, force=True)


def memory_kib(pid: int) -> dict[str, int]:
    """Resident memory now and its peak so far (VmRSS, VmHWM) of a process, in KiB."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def assert_memory_flat(service: Sandbox, before: dict[str, int]) -> None:
    after = memory_kib(service.process.proc.pid)
    assert after["VmHWM"] * 1024 < SERVICE_MEMORY_LIMIT, after
    assert (after["VmHWM"] - before["VmHWM"]) * 1024 < 32 << 20, (before, after)  # 60 MiB never held


@pytest.fixture
def hostile_stub(hostile_sandbox):
    with grpc.insecure_channel(hostile_sandbox.address) as channel:
        yield sandbox_pb2_grpc.SandboxServiceStub(channel)


def test_a_60_mib_reply_frame_is_refused_from_its_length_and_memory_stays_put(hostile_sandbox, hostile_stub):
    before = memory_kib(hostile_sandbox.process.proc.pid)
    started = time.monotonic()
    reply = execute(hostile_stub, "# HOSTILE:HEAD", skip_validation=True)
    assert reply.status == pb.EXECUTION_STATUS_FAILED, reply
    assert reply.error.type == "SandboxProtocolError"
    assert "reply head of 62914560 bytes exceeds the limit of" in reply.error.message
    assert time.monotonic() - started < 10
    assert_memory_flat(hostile_sandbox, before)
    healthy = execute(hostile_stub, "print('Hello from AI!')\nresult = 42")
    assert healthy.status == pb.EXECUTION_STATUS_COMPLETED, healthy
    assert healthy.result_json == "42"


def test_a_60_mib_strategy_value_is_refused_from_its_head_and_memory_stays_put(hostile_sandbox, hostile_stub):
    before = memory_kib(hostile_sandbox.process.proc.pid)
    [reply] = session(hostile_stub, pb.SessionRequest(op="load", args_json=json.dumps({"code": "# HOSTILE:VALUE"}),
                                                      skip_validation=True))
    assert reply.status == pb.EXECUTION_STATUS_FAILED, reply
    assert reply.error.type == "SandboxProtocolError"
    assert f"reply value of 62914560 bytes exceeds the limit of {16 << 20}" in reply.error.message
    assert_memory_flat(hostile_sandbox, before)
    healthy = execute(hostile_stub, "result = 6 * 7")
    assert (healthy.status, healthy.result_json) == (pb.EXECUTION_STATUS_COMPLETED, "42")
