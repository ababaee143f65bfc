"""Entry point of a sandbox container: warm up, fork the worker, say ready, then report each of the worker's
replies. User code runs only in the worker, which reads the requests on stdin itself; the reply channel to
the service stays in this process."""

import os
import select
import sys

from botmoon_runner import flavours, isolation, protocol
from botmoon_runner.verdict import WorkerKilled, judge
from botmoon_runner.worker import Observation, Worker


def main() -> None:
    # The reply channel is a private copy of stdout; fd 1 then points at stderr, for this process and the worker.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    isolation.guard_runner()
    flavours.prepare(flavours.chosen(sys.argv[1:]))  # imported now so the request does not wait for it

    worker = Worker()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # stdin is the worker's now
    os.close(devnull)
    sys.stderr.buffer.write(protocol.READY_LINE)
    sys.stderr.flush()
    max_output = int(os.environ.get(protocol.MAX_OUTPUT_ENV, 1 << 20))
    max_value = int(os.environ.get(protocol.MAX_VALUE_ENV, 64 << 20))
    warm_up(max_output)
    try:
        code = serve(replies, worker, max_output, max_value)
    except WorkerKilled as killed:
        code = killed.exit_code
    os._exit(code)


def warm_up(max_output: int) -> None:
    """Takes a made-up reply through the runner's own path once: the pages that path writes are copied
    (copy-on-write, since the fork) now rather than while a request waits."""
    frame = protocol.FrameAssembler(protocol.head_limit(max_output), max_output)
    frame.feed(protocol.encode({"status": "completed", "stdout": "", "stderr": "", "truncated": False,
                                "error": None, "execution_time_ms": 0.1}, b"1"))
    protocol.encode(*judge(Observation(head=frame.head, binary=frame.binary), max_output))


def serve(replies, worker: Worker, max_output: int, max_value: int) -> int:
    """Reports each reply of the worker; the exit code to end with once the worker ended without a word (its
    requests ended, or its code exited: the service reads that from the container's end)."""
    while worker.alive:
        seen = worker.next_reply(8 * protocol.head_limit(max_output), max(max_output, max_value))
        if not seen.received and seen.exit_code is not None and not seen.pids_hit:
            return seen.exit_code
        head, value = judge(seen, max_output)
        write_all(replies, protocol.encode(head, value))
        if worker.alive:
            worker.hand_pipe()
    return 0


def write_all(stream, data: bytes) -> None:
    """A raw write may take part of a large frame (gVisor's writes to the container's stdout do): the rest
    follows, waiting for room if the descriptor has none."""
    view = memoryview(data)
    while view:
        written = stream.write(view)
        if written is None:  # non-blocking and full
            select.select([], [stream], [])
            continue
        view = view[written:]


if __name__ == "__main__":
    main()
