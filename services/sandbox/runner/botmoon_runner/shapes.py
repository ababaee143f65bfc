"""The shape of a reply head, checked by whoever receives one: the runner (from its worker, where user
code runs) and the sandbox service (from the runner). Anything off the shape is a ProtocolError."""

import math

from botmoon_runner.protocol import ProtocolError

STATUSES = ("completed", "failed", "killed")
MAX_ERROR_TEXT = 65536  # characters of an exception's message, and of its traceback
KILLS = ("pids",)
MAX_ERROR_TYPE = 256
ERROR_KEYS = ("type", "message", "traceback", "line")

_COMMON = ("status", "stdout", "stderr", "truncated", "error", "kill")
KEYS = {"exec": (*_COMMON, "execution_time_ms"), "session": (*_COMMON, "ok")}


def text_limit(max_output: int) -> int:
    """Longest text a head may hold: captured output is capped at max_output, error texts at MAX_ERROR_TEXT."""
    return max(max_output, MAX_ERROR_TEXT)


def check_head(head: dict, kind: str, max_text: int, statuses: tuple[str, ...] = STATUSES) -> dict:
    """The head itself, if every key is known and every value of the right type and size."""
    unknown = sorted(set(head) - set(KEYS[kind]))
    if unknown:
        raise ProtocolError(f"unknown key(s) in the reply: {', '.join(map(repr, unknown[:5]))}")
    status = head.get("status")
    if status not in statuses:
        raise ProtocolError(f"status must be one of {', '.join(statuses)}, not {_short(status)}")
    for key in ("stdout", "stderr"):
        _text(head, key, max_text)
    for key in ("truncated", "ok"):
        if key in head and not isinstance(head[key], bool):
            raise ProtocolError(f"{key} must be true or false, not {_short(head[key])}")
    if "execution_time_ms" in head:
        elapsed = head["execution_time_ms"]
        if isinstance(elapsed, bool) or not isinstance(elapsed, int | float) or not math.isfinite(elapsed) \
                or elapsed < 0:
            raise ProtocolError(f"execution_time_ms must be a non-negative number, not {_short(elapsed)}")
    if head.get("error") is not None:
        _error(head["error"], max_text)
    kill = head.get("kill")
    if kill is not None and (status != "killed" or kill not in KILLS):
        raise ProtocolError(f"kill {_short(kill)} does not go with status {status!r}")
    if kind == "session" and status == "completed" and not isinstance(head.get("ok"), bool):
        raise ProtocolError("a completed strategy call must say ok: true or false")
    return head


def _text(head: dict, key: str, max_text: int) -> None:
    value = head.get(key, "")
    if not isinstance(value, str):
        raise ProtocolError(f"{key} must be text, not {type(value).__name__}")
    if len(value) > max_text:  # a character is at least one byte
        raise ProtocolError(f"{key} of {len(value)} characters exceeds the limit of {max_text}")


def _error(error, max_text: int) -> None:
    if not isinstance(error, dict):
        raise ProtocolError(f"error must be an object, not {type(error).__name__}")
    unknown = sorted(set(error) - set(ERROR_KEYS))
    if unknown:
        raise ProtocolError(f"unknown key(s) in the error: {', '.join(map(repr, unknown[:5]))}")
    _text(error, "type", MAX_ERROR_TYPE)
    _text(error, "message", max_text)
    _text(error, "traceback", max_text)
    line = error.get("line", 0)
    if isinstance(line, bool) or not isinstance(line, int) or not 0 <= line < 1 << 31:
        raise ProtocolError(f"error line must be a line number, not {_short(line)}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
