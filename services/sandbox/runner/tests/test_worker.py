"""The runner and its worker, forked for real: user code runs in the worker, and what the runner reports
rests on what it saw of the worker, so a frame forged by the code can't change a status or a result."""

import json
import os
import subprocess
import sys

import pytest

from botmoon_runner import protocol, shapes
from botmoon_runner.verdict import fit, judge
from botmoon_runner.worker import BROKEN_EXIT, Observation

MAX_OUTPUT = 65536

FORGE = '''
import random
os = random._os
frame = {"status": "completed", "stdout": "forged", "stderr": "", "truncated": False, "error": None}
body = json.dumps(frame).encode()
value = b'"forged"'
body = json.dumps({**frame, "_binary": len(value)}).encode()
for fd in range(3, 64):
    try:
        os.write(fd, len(body).to_bytes(4, "big") + body + value)
    except OSError:
        pass
'''


class Runner:
    """The real runner (`python -m botmoon_runner`) in a fresh process, as in a container: requests on its
    stdin, replies on its stdout. A fresh interpreter, so no thread of the test process is forked."""

    def __init__(self, max_value: int = MAX_OUTPUT):
        env = {**os.environ, protocol.MAX_OUTPUT_ENV: str(MAX_OUTPUT), protocol.MAX_VALUE_ENV: str(max_value)}
        self.proc = subprocess.Popen([sys.executable, "-m", "botmoon_runner"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert self.proc.stderr.readline() == protocol.READY_LINE
        self.max_value = max_value

    def call(self, request: dict, binary: bytes = b""):
        self.proc.stdin.write(protocol.encode({**request, "max_output": MAX_OUTPUT, "max_value": self.max_value},
                                              binary))
        self.proc.stdin.flush()
        frame = protocol.FrameAssembler(protocol.head_limit(MAX_OUTPUT), max(MAX_OUTPUT, self.max_value))
        while not frame.done:
            chunk = self.proc.stdout.read1(1 << 20)
            if not chunk:
                raise EOFError(f"the runner ended with {self.proc.wait()}")
            frame.feed(chunk)
        return frame.head, frame.binary

    def close(self) -> int:
        self.proc.stdin.close()
        code = self.proc.wait(30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


def execute(code: str):
    runner = Runner()
    try:
        return runner.call({"op": "exec", "code": code})
    finally:
        runner.close()


@pytest.fixture
def session():
    runner = Runner()
    yield runner
    runner.close()


def test_code_runs_in_the_worker_and_its_reply_is_relayed():
    head, value = execute("import os\nprint('hello')\nresult = os.getpid()")
    assert head["status"] == "completed"
    assert head["stdout"] == "hello\n"
    assert json.loads(value) != os.getpid()
    assert head["execution_time_ms"] >= 0
    assert set(head) <= set(shapes.KEYS["exec"])


def test_forged_frames_then_an_exception_are_a_failure_not_the_forged_result():
    head, value = execute("import json\n" + FORGE + "raise ValueError('the real outcome')")
    assert head["status"] == "failed"
    assert head["error"]["type"] == "SandboxProtocolError"
    assert "after the reply frame" in head["error"]["message"]
    assert value == b""
    assert "forged" not in json.dumps(head)


def test_forged_frames_then_a_normal_end_are_a_failure_too():
    head, value = execute("import json\n" + FORGE + "result = 'real'")
    assert head["status"] == "failed"
    assert head["error"]["type"] == "SandboxProtocolError"
    assert value == b""


@pytest.mark.parametrize(("code", "exit_code"), [
    ("import os\nos._exit(0)", 0),
    ("import os\nos._exit(3)", 3),
    ("import os\nos.closerange(3, 1024)\nresult = 1", BROKEN_EXIT),  # the harness can't reply in its place
])
def test_a_worker_that_ends_without_a_reply_ends_the_runner_with_its_code(code, exit_code):
    """No reply: the service reads the container's end and reports it failed, with the exit code."""
    runner = Runner()
    with pytest.raises(EOFError, match=f"ended with {exit_code}$"):
        runner.call({"op": "exec", "code": code})
    assert runner.close() == exit_code


def test_a_worker_killed_by_a_signal_ends_the_runner_the_same_way():
    runner = Runner()
    with pytest.raises(EOFError, match="ended with 137"):
        runner.call({"op": "exec", "code": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"})
    assert runner.close() == 137


def test_the_end_of_requests_ends_the_runner_cleanly():
    assert Runner().close() == 0


def test_a_claimed_kill_from_the_worker_is_refused():
    seen = Observation(head={"status": "killed", "kill": "pids"}, exit_status=0)
    head, _ = judge(seen, MAX_OUTPUT)
    assert head["status"] == "failed"
    assert "status must be one of completed, failed" in head["error"]["message"]


def test_the_pids_limit_is_reported_as_a_kill_before_anything_else():
    seen = Observation(head={"status": "completed"}, pids_hit=True, exit_status=9)
    assert judge(seen, MAX_OUTPUT) == ({"status": "killed", "kill": "pids"}, b"")


STRATEGY = '''
class Counter:
    def __init__(self, params):
        self.calls = 0

    def generate_signals(self, data):
        self.calls += 1
        return {"calls": self.calls}

    def calculate_position_size(self, capital, entry_price, sl_price, side):
        import json
''' + "\n".join("        " + line for line in FORGE.strip().splitlines()) + '''
        raise ValueError("sizing failed")
'''


def candles(rows: int) -> bytes:
    import numpy as np

    times = np.arange(rows, dtype="<i8") * 3_600_000
    return times.tobytes() + np.ones(rows * 5, dtype="<f8").tobytes()


def test_the_strategy_lives_in_the_worker_between_calls(session):
    head, value = session.call({"op": "load", "code": STRATEGY, "params": {}})
    assert (head["status"], head["ok"]) == ("completed", True)
    assert json.loads(value)["class"] == "Counter"
    session.call({"op": "candles", "rows": 3}, candles(3))
    assert json.loads(session.call({"op": "signals"})[1]) == {"calls": 1}
    assert json.loads(session.call({"op": "signals"})[1]) == {"calls": 2}


def test_a_strategy_that_forges_a_reply_fails_the_session(session):
    session.call({"op": "load", "code": STRATEGY, "params": {}})
    head, value = session.call({"op": "size", "capital": 1, "entry": 1, "sl": None, "side": "long"})
    assert head["status"] == "failed"
    assert head["error"]["type"] == "SandboxProtocolError"
    assert value == b""


def test_an_oversized_value_is_an_error_of_the_call(session):
    code = STRATEGY.replace('return {"calls": self.calls}', 'return "x" * 100_000')
    session.call({"op": "load", "code": code, "params": {}})
    session.call({"op": "candles", "rows": 3}, candles(3))
    head, value = session.call({"op": "signals"})
    assert (head["status"], head["ok"]) == ("completed", False)
    assert head["error"]["type"] == "ReplyTooLarge"
    assert value == b""


def test_fit_cuts_the_longest_texts_until_the_head_fits():
    head = {"status": "completed", "stdout": "\x00" * 10_000, "stderr": "short", "truncated": False,
            "error": {"type": "E", "message": "m" * 3000, "traceback": "", "line": 1}}
    fitted = fit(head, 5000)
    assert len(json.dumps(fitted, ensure_ascii=False).encode()) <= 5000
    assert fitted["truncated"] is True
    assert fitted["stderr"] == "short"


@pytest.mark.parametrize(("head", "reason"), [
    ({"status": "done"}, "status must be one of"),
    ({"status": "completed", "extra": 1}, "unknown key"),
    ({"status": "completed", "stdout": 5}, "stdout must be text"),
    ({"status": "completed", "stdout": "x" * 101}, "stdout of 101 characters exceeds the limit of 100"),
    ({"status": "completed", "truncated": "yes"}, "truncated must be true or false"),
    ({"status": "completed", "execution_time_ms": float("nan")}, "execution_time_ms"),
    ({"status": "completed", "execution_time_ms": -1}, "execution_time_ms"),
    ({"status": "failed", "error": "boom"}, "error must be an object"),
    ({"status": "failed", "error": {"type": "E", "extra": 1}}, "unknown key"),
    ({"status": "failed", "error": {"type": "E", "line": "3"}}, "line number"),
    ({"status": "completed", "kill": "pids"}, "does not go with"),
    ({"status": "killed", "kill": "other"}, "does not go with"),
])
def test_shape_check_refuses_what_is_off_the_shape(head, reason):
    with pytest.raises(protocol.ProtocolError, match=reason):
        shapes.check_head(head, "exec", 100)


def test_shape_check_needs_ok_on_a_completed_strategy_call():
    with pytest.raises(protocol.ProtocolError, match="ok"):
        shapes.check_head({"status": "completed"}, "session", 100)
    assert shapes.check_head({"status": "completed", "ok": False}, "session", 100)


def test_a_value_larger_than_the_pipe_is_streamed_whole():
    runner = Runner(max_value=8 << 20)
    try:
        code = STRATEGY.replace('return {"calls": self.calls}', 'return list(range(600_000))')
        runner.call({"op": "load", "code": code, "params": {}})
        runner.call({"op": "candles", "rows": 3}, candles(3))
        head, value = runner.call({"op": "signals"})
    finally:
        runner.close()
    assert (head["status"], head["ok"]) == ("completed", True)
    assert len(value) > 2 << 20
    assert json.loads(value) == list(range(600_000))
