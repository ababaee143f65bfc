"""What the runner reports to the service about one call, decided from what it saw of its worker: the
pids limit, how the worker ended, the protocol on the reply pipe, and only then the reply's content."""

import json

from botmoon_runner import shapes
from botmoon_runner.protocol import ProtocolError, head_limit
from botmoon_runner.worker import BROKEN_EXIT, Observation

TEXTS = ("stdout", "stderr")
ERROR_TEXTS = ("message", "traceback")


class WorkerKilled(Exception):
    """The worker died by a signal (the kernel's OOM killer, most often): the runner ends the same way,
    so the service reads the container's end and the engine's OOM flag."""

    def __init__(self, signal: int):
        super().__init__(f"worker killed by signal {signal}")
        self.exit_code = 128 + signal


def judge(seen: Observation, max_output: int) -> tuple[dict, bytes]:
    """The head and value to send the service for one call (an exec, or a strategy call if the reply has
    `ok`: the service, which knows which it asked, refuses the wrong one)."""
    if seen.pids_hit:
        return {"status": "killed", "kill": "pids"}, b""
    if seen.signal is not None:
        raise WorkerKilled(seen.signal)
    if seen.violation is not None:
        return _failed("SandboxProtocolError", f"the reply pipe broke the protocol: {seen.violation}"), b""
    if seen.head is None:
        return _failed("SandboxExit", _no_reply(seen)), b""
    if seen.exit_code not in (None, 0):
        return _failed("SandboxExit", _ended(seen.exit_code, "after its reply")), b""
    kind = "session" if "ok" in seen.head else "exec"
    try:
        head = shapes.check_head(seen.head, kind, shapes.text_limit(max_output), statuses=("completed", "failed"))
    except ProtocolError as exc:
        return _failed("SandboxProtocolError", f"the reply broke the protocol: {exc}"), b""
    return fit(dict(head), head_limit(max_output)), seen.binary


def fit(head: dict, limit: int) -> dict:
    """Cuts the longest text in half until the head's JSON fits `limit` bytes (escapes can make text grow)."""
    while len(json.dumps(head, ensure_ascii=False).encode("utf-8")) > limit:
        error = head.get("error") or {}
        fields = [(head, key) for key in TEXTS if head.get(key)] + [(error, key) for key in ERROR_TEXTS
                                                                     if error.get(key)]
        if not fields:
            break
        owner, key = max(fields, key=lambda field: len(field[0][field[1]]))
        owner[key] = owner[key][: len(owner[key]) // 2]
        head["truncated"] = True
    return head


def _failed(kind: str, message: str) -> dict:
    return {"status": "failed", "error": {"type": kind, "message": message, "traceback": "", "line": 0}}


def _no_reply(seen: Observation) -> str:
    if seen.exit_code is not None:
        return _ended(seen.exit_code, "without a reply")
    return "the reply ended inside a frame" if seen.received else "no reply"


def _ended(exit_code: int | None, when: str) -> str:
    if exit_code == BROKEN_EXIT:
        return "the code's process could not send its reply"
    return f"the code's process ended (exit code {exit_code}) {when}"
