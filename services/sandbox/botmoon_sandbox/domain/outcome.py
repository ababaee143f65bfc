"""Judges what came back from a container: completed, failed, timeout or killed, and why."""

import json
from dataclasses import dataclass, field
from enum import Enum

from botmoon_runner.protocol import ProtocolError
from botmoon_runner.shapes import check_head, text_limit
from botmoon_sandbox.domain.validation import Problem


class Status(Enum):
    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    KILLED = "killed"
    REJECTED = "rejected"


@dataclass
class Outcome:
    status: Status
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    result_json: str = ""
    error: dict | None = None
    kill_reason: str = ""
    execution_time_ms: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    wall_time_s: float
    memory_mb: int
    pids_limit: int
    max_output_bytes: int


SIGKILL_EXIT = 137


def judge(
    reply: dict | None,
    *,
    kind: str = "exec",
    value: bytes = b"",
    violation: str | None = None,
    limits: Limits,
    elapsed_s: float,
    timed_out: bool,
    flooded: bool,
    oom_killed: bool,
    exit_code: int | None,
    diagnostics: str,
) -> Outcome:
    """Turns what came back from a container (a reply frame, a protocol violation, or how it ended) into an
    Outcome. The reply is hostile until checked: any key, type or size off its shape makes the run failed."""
    elapsed_ms = round(elapsed_s * 1000)
    if violation is not None:
        return protocol_failure(violation, diagnostics, elapsed_ms)
    if reply is not None:
        try:
            return reply_outcome(reply, value, kind, limits, diagnostics, elapsed_ms)
        except ProtocolError as exc:
            return protocol_failure(str(exc), diagnostics, elapsed_ms)
    if oom_killed:
        return Outcome(Status.KILLED, stderr=diagnostics, execution_time_ms=elapsed_ms,
                       kill_reason=f"memory limit of {limits.memory_mb} MiB exceeded")
    if timed_out:
        return Outcome(Status.TIMEOUT, stderr=diagnostics, execution_time_ms=elapsed_ms,
                       kill_reason=f"wall time limit of {limits.wall_time_s:g} s exceeded",
                       error={"type": "Timeout", "message": f"execution exceeded {limits.wall_time_s:g} s",
                              "traceback": "", "line": 0})
    if flooded:
        return Outcome(Status.KILLED, stderr=diagnostics, truncated=True, execution_time_ms=elapsed_ms,
                       kill_reason=f"output limit of {limits.max_output_bytes} bytes exceeded")
    if exit_code == SIGKILL_EXIT:
        return Outcome(Status.KILLED, stderr=diagnostics, execution_time_ms=elapsed_ms,
                       kill_reason="killed by the kernel (memory or process limit)")
    return Outcome(Status.FAILED, stderr=diagnostics, execution_time_ms=elapsed_ms,
                   error={"type": "SandboxExit", "line": 0, "traceback": "",
                          "message": f"the sandbox process ended (exit code {exit_code}) without a result"})


def reply_outcome(head: dict, value: bytes, kind: str, limits: Limits, diagnostics: str,
                  elapsed_ms: int) -> Outcome:
    """A reply frame that passes its shape check, as an Outcome; ProtocolError otherwise."""
    check_head(head, kind, text_limit(limits.max_output_bytes))
    status = Status(head["status"])
    stderr = str(head.get("stderr", ""))
    if kind == "session":
        stderr += diagnostics
    outcome = Outcome(status, stdout=head.get("stdout", ""), stderr=stderr, truncated=head.get("truncated", False),
                      execution_time_ms=round(head.get("execution_time_ms", elapsed_ms)))
    if status is Status.KILLED:
        outcome.kill_reason = f"process limit of {limits.pids_limit} reached"
        outcome.error = None
        return outcome
    failed = status is Status.FAILED or (kind == "session" and not head.get("ok"))
    if failed:
        outcome.error = head.get("error") or {"type": "Error", "message": "the call failed", "traceback": "",
                                              "line": 0}
    if value and not (kind == "session" and failed):
        outcome.result_json = _json_text(value, parse=kind == "exec")
    return outcome


def _json_text(value: bytes, parse: bool) -> str:
    """The value as text. An execution's result (at most max_output bytes) is parsed once to prove it JSON;
    a strategy call's (up to the session reply cap) is not materialised here: its consumer parses it."""
    try:
        text = value.decode("utf-8")
        if parse:
            json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ProtocolError(f"the reply's value is not JSON text: {exc}") from None
    return text


def protocol_failure(reason: str, diagnostics: str, elapsed_ms: int) -> Outcome:
    return Outcome(Status.FAILED, stderr=diagnostics, execution_time_ms=elapsed_ms,
                   error={"type": "SandboxProtocolError", "traceback": "", "line": 0,
                          "message": f"the sandbox container broke the reply protocol: {reason}"})
