"""Judges what came back from a container: completed, failed, timeout or killed, and why."""

import json
from dataclasses import dataclass, field
from enum import Enum

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
    limits: Limits,
    elapsed_s: float,
    timed_out: bool,
    flooded: bool,
    oom_killed: bool,
    exit_code: int | None,
    diagnostics: str,
) -> Outcome:
    """Turns a runner reply (or its absence) and the container's end into an Outcome."""
    elapsed_ms = round(elapsed_s * 1000)
    if reply is not None:
        status = Status.COMPLETED if reply.get("status") == "completed" else Status.FAILED
        return Outcome(
            status=status,
            stdout=str(reply.get("stdout", "")),
            stderr=str(reply.get("stderr", "")),
            truncated=bool(reply.get("truncated")),
            result_json=json.dumps(reply["result"], allow_nan=False) if "result" in reply else "",
            error=reply.get("error") if status is Status.FAILED else None,
            execution_time_ms=round(float(reply.get("execution_time_ms", elapsed_ms))),
        )
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
    blocked_fork = "BlockingIOError" in diagnostics or "Resource temporarily unavailable" in diagnostics
    reason = f"process limit of {limits.pids_limit} reached" if blocked_fork else ""
    return Outcome(
        Status.KILLED if blocked_fork else Status.FAILED,
        stderr=diagnostics,
        execution_time_ms=elapsed_ms,
        kill_reason=reason,
        error={"type": "SandboxExit", "line": 0, "traceback": "",
               "message": f"the sandbox process ended (exit code {exit_code}) without a result"},
    )


def session_step(reply: dict, diagnostics: str) -> Outcome:
    """A strategy call that came back: its value, or the exception it raised (the session lives on)."""
    return Outcome(
        Status.COMPLETED,
        stdout=str(reply.get("stdout", "")),
        stderr=str(reply.get("stderr", "")) + diagnostics,
        truncated=bool(reply.get("truncated")),
        result_json=json.dumps(reply.get("value"), allow_nan=False) if reply.get("ok") else "",
        error=None if reply.get("ok") else reply.get("error") or {"type": "Error", "message": "call failed"},
    )
