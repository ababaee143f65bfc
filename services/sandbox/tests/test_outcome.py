"""Judging what came back from a container: a reply is hostile until its shape is checked."""

import json

import pytest

from botmoon_sandbox.domain.outcome import Limits, Status, judge

LIMITS = Limits(wall_time_s=3, memory_mb=512, pids_limit=64, max_output_bytes=1024)


def verdict(reply=None, **seen):
    kw = dict(limits=LIMITS, elapsed_s=0.25, timed_out=False, flooded=False, oom_killed=False, exit_code=None,
              diagnostics="")
    kw.update(seen)
    return judge(reply, **kw)


def test_a_completed_execution_keeps_its_output_result_and_time():
    outcome = verdict({"status": "completed", "stdout": "hi\n", "stderr": "", "truncated": False, "error": None,
                       "execution_time_ms": 12.4}, value=b'{"a":[1,2]}')
    assert outcome.status is Status.COMPLETED
    assert (outcome.stdout, outcome.result_json, outcome.execution_time_ms) == ("hi\n", '{"a":[1,2]}', 12)


def test_a_failed_execution_keeps_its_error_and_a_result_set_before_it():
    error = {"type": "ValueError", "message": "late", "traceback": "Traceback...", "line": 2}
    outcome = verdict({"status": "failed", "error": error}, value=b"1")
    assert outcome.status is Status.FAILED
    assert outcome.error == error
    assert outcome.result_json == "1"


def test_the_runner_reports_the_pids_limit_as_a_kill():
    outcome = verdict({"status": "killed", "kill": "pids"})
    assert outcome.status is Status.KILLED
    assert outcome.kill_reason == "process limit of 64 reached"


@pytest.mark.parametrize(("reply", "value", "reason"), [
    ({"status": "completed", "result": 42}, b"", "unknown key(s) in the reply: 'result'"),
    ({"status": "ok"}, b"", "status must be one of"),
    ({"status": "completed", "stdout": ["x"]}, b"", "stdout must be text"),
    ({"status": "completed", "stdout": "x" * 70_000}, b"", "stdout of 70000 characters exceeds"),
    ({"status": "failed", "error": {"type": "E", "line": -1}}, b"", "line number"),
    ({"status": "completed", "truncated": 1}, b"", "truncated must be true or false"),
    ({"status": "completed"}, b"\xff\xfe", "not JSON text"),
    ({"status": "completed"}, b"{not json", "not JSON text"),
    ({"status": "completed", "kill": "pids"}, b"", "does not go with"),
])
def test_a_reply_off_its_shape_is_a_clear_failure(reply, value, reason):
    outcome = verdict(reply, value=value)
    assert outcome.status is Status.FAILED
    assert outcome.error["type"] == "SandboxProtocolError"
    assert reason in outcome.error["message"]
    assert outcome.result_json == ""


def test_a_protocol_violation_on_the_stream_wins_over_everything_else():
    outcome = verdict(None, violation="reply head of 62914560 bytes exceeds the limit of 69632", exit_code=137,
                      oom_killed=True, diagnostics="stderr")
    assert outcome.status is Status.FAILED
    assert "62914560" in outcome.error["message"]
    assert outcome.stderr == "stderr"


def test_a_strategy_call_that_raised_completes_with_its_error_and_no_value():
    error = {"type": "ValueError", "message": "x", "traceback": "", "line": 3}
    outcome = verdict({"status": "completed", "ok": False, "error": error}, kind="session", value=b"1",
                      diagnostics="[raw]")
    assert outcome.status is Status.COMPLETED
    assert outcome.error == error
    assert outcome.result_json == ""
    assert outcome.stderr == "[raw]"


def test_a_strategy_value_is_passed_on_as_text_without_being_parsed():
    big = json.dumps([{"time": i, "type": "long"} for i in range(1000)]).encode()
    outcome = verdict({"status": "completed", "ok": True}, kind="session", value=big)
    assert outcome.status is Status.COMPLETED
    assert outcome.result_json == big.decode()
    assert verdict({"status": "completed", "ok": True}, kind="session", value=b"[oops").result_json == "[oops"


def test_a_strategy_reply_needs_ok():
    outcome = verdict({"status": "completed"}, kind="session")
    assert outcome.status is Status.FAILED
    assert "ok" in outcome.error["message"]


def test_no_reply_is_judged_from_how_the_container_ended():
    assert verdict(None, oom_killed=True, exit_code=137).kill_reason == "memory limit of 512 MiB exceeded"
    assert verdict(None, timed_out=True).status is Status.TIMEOUT
    flooded = verdict(None, flooded=True)
    assert (flooded.status, flooded.kill_reason) == (Status.KILLED, "output limit of 1024 bytes exceeded")
    assert verdict(None, exit_code=137).status is Status.KILLED
    ended = verdict(None, exit_code=1, diagnostics="Traceback")
    assert (ended.status, ended.stderr) == (Status.FAILED, "Traceback")
