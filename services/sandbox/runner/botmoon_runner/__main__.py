"""Entry point of a sandbox container: warm up, say ready, then answer framed requests on stdin."""

import os
import sys

from botmoon_runner import protocol
from botmoon_runner.execute import run_code


def main() -> None:
    # The protocol keeps a private copy of stdout; anything written to fd 1 afterwards lands in stderr.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    import numpy  # noqa: F401 - imported now so the request does not wait for it
    import pandas  # noqa: F401

    sys.stderr.buffer.write(protocol.READY_LINE)
    sys.stderr.flush()
    while True:
        request = protocol.read(requests)
        if request is None:
            return
        replies.write(protocol.encode(handle(request)))


def handle(request: dict) -> dict:
    op = request.get("op")
    if op == "exec":
        return run_code(request["code"], int(request.get("max_output", 1 << 20)))
    return {"status": "failed", "error": {"type": "ProtocolError", "message": f"unknown op {op!r}",
                                          "traceback": "", "line": 0}}


if __name__ == "__main__":
    main()
