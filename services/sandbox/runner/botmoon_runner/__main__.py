"""Entry point of a sandbox container: warm up, fork the worker, say ready, then answer framed requests on
stdin. User code runs only in the worker; the reply channel to the service stays in this process."""

import os
import sys

from botmoon_runner import isolation, protocol
from botmoon_runner.verdict import WorkerKilled, judge
from botmoon_runner.worker import Worker


def main() -> None:
    # The reply channel is a private copy of stdout; fd 1 then points at stderr, for this process and the worker.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    isolation.guard_runner()
    import numpy  # noqa: F401 - imported now so the request does not wait for it (the worker inherits them)
    import pandas  # noqa: F401

    worker = Worker()
    sys.stderr.buffer.write(protocol.READY_LINE)
    sys.stderr.flush()
    try:
        serve(sys.stdin.buffer, replies, worker)
    except WorkerKilled as killed:
        os._exit(killed.exit_code)


def serve(requests, replies, worker: Worker) -> None:
    """Relays each request to the worker and reports what came of it, until stdin ends."""
    while True:
        request = protocol.read(requests)
        if request is None:
            return
        payload = request.pop(protocol.PAYLOAD_KEY, b"")
        request.pop(protocol.BINARY_KEY, None)
        kind = "exec" if request.get("op") == "exec" else "session"
        max_output = int(request.get("max_output", 1 << 20))
        max_value = max_output if kind == "exec" else int(request.get("max_value", 1 << 20))
        seen = worker.call(request, payload, max_head=8 * protocol.head_limit(max_output), max_binary=max_value)
        head, value = judge(seen, kind, max_output)
        replies.write(protocol.encode(head, value))


if __name__ == "__main__":
    main()
