"""Entry point of a sandbox container: warm up, say ready, then answer framed requests on stdin."""

import os
import sys

from botmoon_runner import protocol
from botmoon_runner.execute import run_code
from botmoon_runner.strategy import Session


def main() -> None:
    # The protocol keeps a private copy of stdout; anything written to fd 1 afterwards lands in stderr.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    import numpy  # noqa: F401 - imported now so the request does not wait for it
    import pandas  # noqa: F401

    sys.stderr.buffer.write(protocol.READY_LINE)
    sys.stderr.flush()
    session = None
    while True:
        request = protocol.read(requests)
        if request is None:
            return
        if request.get("op") == "exec":
            reply = run_code(request["code"], int(request.get("max_output", 1 << 20)))
        else:
            session = session or Session(int(request.get("max_output", 1 << 20)))
            reply = session.handle(request)
        replies.write(protocol.encode(reply))


if __name__ == "__main__":
    main()
