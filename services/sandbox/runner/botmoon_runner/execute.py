"""Runs one piece of submitted code and describes what happened."""

import builtins
import contextlib
import json
import linecache
import time
import traceback

from botmoon_runner.capture import CappedText
from botmoon_runner.jsonable import to_jsonable
from botmoon_runner.shapes import MAX_ERROR_TEXT, MAX_ERROR_TYPE

USER_FILENAME = "<user_code>"


def register_source(code: str) -> None:
    """Lets tracebacks show the submitted lines."""
    linecache.cache[USER_FILENAME] = (len(code), None, code.splitlines(True), USER_FILENAME)


def describe_exception(exc: BaseException) -> dict:
    """Type, message, and a traceback of the submitted code's frames only."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == USER_FILENAME]
    if isinstance(exc, SyntaxError) and exc.filename == USER_FILENAME:
        line = exc.lineno or 0
    else:
        line = frames[-1].lineno if frames else 0
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return {"type": type(exc).__name__[:MAX_ERROR_TYPE], "message": _cut(str(exc)), "traceback": _cut("".join(lines)),
            "line": line}


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT - 3] + "..."


def run_code(code: str, max_output: int) -> dict:
    """The reply of one run; the JSON of `result`, if the code set it, under `result_json`."""
    out, err = CappedText(max_output), CappedText(max_output)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    register_source(code)
    error = None
    start = time.perf_counter()
    try:
        compiled = compile(code, USER_FILENAME, "exec")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(compiled, namespace)  # noqa: S102 - this process is the sandbox
    except BaseException as exc:  # noqa: BLE001 - SystemExit too: the code must not end the runner
        error = describe_exception(exc)
    elapsed_ms = (time.perf_counter() - start) * 1000
    reply = {
        "status": "failed" if error else "completed",
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "truncated": out.truncated or err.truncated,
        "execution_time_ms": round(elapsed_ms, 3),
        "error": error,
    }
    if "result" in namespace:
        try:
            reply["result_json"] = _bounded(to_jsonable(namespace["result"]), max_output, reply)
        except Exception as exc:  # noqa: BLE001 - a result whose conversion raises (a __repr__ of the user's)
            reply.update(status="failed", error=describe_exception(exc))
    return reply


def _bounded(value, max_bytes: int, reply: dict) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if len(text.encode("utf-8")) > max_bytes:
        reply["truncated"] = True
        return json.dumps(f"<result omitted: its JSON exceeds {max_bytes} bytes>")
    return text
