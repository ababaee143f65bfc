"""The worker: a forked process that runs the user code, where the runner's channel to the service is not
open. Each call hands the worker a fresh pipe for its reply; the runner reads that pipe to its end and
watches the worker itself, so what it reports rests on what it saw, not on what the worker says."""

import array
import contextlib
import fcntl
import gc
import os
import select
import socket
import termios
import time
from dataclasses import dataclass

from botmoon_runner import isolation, protocol
from botmoon_runner.protocol import FrameAssembler, ProtocolError

CALL_MARK = b"C"  # the byte that carries a call's reply pipe (SCM_RIGHTS)
POLL_MS = 20  # how often a quiet call looks at the pids limit and at a reply filling the pipe
PIPE_BYTES = 1 << 20  # a reply up to this size is read in one go, after the worker closed the pipe
CHUNK = 1 << 20
BROKEN_EXIT = 70  # the worker could not send its reply


@dataclass
class Observation:
    """What the runner saw of one call."""

    head: dict | None = None
    binary: bytes = b""
    violation: str | None = None
    exit_status: int | None = None  # os.waitpid status, once the worker ended
    pids_hit: bool = False
    received: int = 0  # bytes the worker wrote on the reply pipe
    elapsed_s: float = 0.0

    @property
    def signal(self) -> int | None:
        if self.exit_status is not None and os.WIFSIGNALED(self.exit_status):
            return os.WTERMSIG(self.exit_status)
        return None

    @property
    def exit_code(self) -> int | None:
        if self.exit_status is not None and os.WIFEXITED(self.exit_status):
            return os.WEXITSTATUS(self.exit_status)
        return None


class Worker:
    """Forked at once (so a warm container has its worker ready); `call` sends it one request."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        gc.freeze()  # what exists now is shared with the worker; its collector then leaves those pages alone
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            ours.close()
            _serve(theirs)
        theirs.close()
        self.pid = pid
        self._sock = ours
        self._pidfd = os.pidfd_open(pid)
        self.exit_status: int | None = None

    @property
    def alive(self) -> bool:
        return self.exit_status is None

    def call(self, request: dict, binary: bytes, max_head: int, max_binary: int) -> Observation:
        """Sends one request and waits for its reply pipe to end (every holder closed it) or the worker to end.
        A pipe that ended without a whole frame also waits for the worker's exit, to say how it ended."""
        started = time.perf_counter()
        seen = Observation()
        hits_before = isolation.pids_limit_hits()
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        try:
            try:
                socket.send_fds(self._sock, [CALL_MARK], [write_end])
            finally:
                os.close(write_end)
            self._sock.sendall(protocol.encode(request, binary))
            frame = FrameAssembler(max_head, max_binary)
            self._watch(read_end, frame, seen, hits_before)
            seen.received = frame.received
            if not frame.done and seen.violation is None and not seen.pids_hit:
                self._wait_exit(seen)
            if frame.done and seen.violation is None:
                seen.head, seen.binary = frame.head, frame.binary
        except OSError:
            self._wait_exit(seen)  # the worker is gone: a closed socket
        finally:
            os.close(read_end)
        seen.pids_hit = seen.pids_hit or _more_hits(hits_before)
        seen.elapsed_s = time.perf_counter() - started
        return seen

    def _watch(self, read_end: int, frame: FrameAssembler, seen: Observation, hits_before: int | None) -> None:
        """Sleeps until the pipe's hang-up (the usual reply fits its buffer: one wake-up, after the worker
        closed it), the worker's end, or a quiet interval; then looks at the pids limit and, if the reply
        is filling the pipe, reads it as it comes."""
        poller = select.poll()
        poller.register(read_end, 0)  # POLLHUP and POLLERR only: a write alone does not wake the runner
        poller.register(self._pidfd, select.POLLIN)
        reply_open, streaming = True, False
        while True:
            events = poller.poll(POLL_MS)
            if not events:
                if _more_hits(hits_before):
                    seen.pids_hit = True
                    return
                if not streaming and _pending(read_end):
                    streaming = True
                    poller.modify(read_end, select.POLLIN)
                continue
            worker_ended = False
            for fd, _ in events:
                if fd == self._pidfd:
                    worker_ended = True
                elif reply_open:
                    chunk = os.read(read_end, CHUNK)
                    if not chunk:
                        reply_open = False
                        poller.unregister(read_end)
                    elif not self._feed(frame, chunk, seen):
                        return
            if worker_ended:
                self._drain(read_end, frame, seen)
                self._wait_exit(seen)
                return
            if not reply_open:
                return

    def _drain(self, read_end: int, frame: FrameAssembler, seen: Observation) -> None:
        """What the worker wrote before it ended; other holders of the pipe (its own children) are not awaited."""
        os.set_blocking(read_end, False)
        while seen.violation is None:
            try:
                chunk = os.read(read_end, CHUNK)
            except BlockingIOError:
                return
            if not chunk or not self._feed(frame, chunk, seen):
                return

    @staticmethod
    def _feed(frame: FrameAssembler, chunk: bytes, seen: Observation) -> bool:
        try:
            frame.feed(chunk)
        except ProtocolError as exc:
            seen.violation = str(exc)
            return False
        return True

    def _wait_exit(self, seen: Observation) -> None:
        if self.exit_status is None:
            self.exit_status = os.waitpid(self.pid, 0)[1]
        seen.exit_status = self.exit_status

    def close(self) -> None:
        self._sock.close()
        os.close(self._pidfd)


def _pending(fd: int) -> int:
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def _more_hits(before: int | None) -> bool:
    after = isolation.pids_limit_hits()
    return before is not None and after is not None and after > before


def _serve(control: socket.socket) -> None:  # pragma: no cover - runs in the forked worker
    """The worker's loop: one call at a time, each reply written to the pipe that came with the call.
    An exec is the worker's only call; a strategy session keeps its strategy here between calls."""
    code = 0
    try:
        isolation.enter_worker(keep=control.fileno())
        from botmoon_runner.execute import run_code
        from botmoon_runner.strategy import Session

        run_code("result = {'warm': [1.5, None]}", 1024)  # the pages a run touches, copied before the request
        requests = control.makefile("rb", buffering=0)
        session = None
        while True:
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
            if not fds:
                break
            reply_fd = fds[0]
            request = protocol.read(requests)
            if request is None:
                break
            max_output = int(request.get("max_output", 1 << 20))
            if request.get("op") == "exec":
                reply = run_code(request["code"], max_output)
                value = reply.pop("result_json", None)
            else:
                session = session or Session(max_output, int(request.get("max_value", 1 << 20)))
                reply = session.handle(request)
                value = reply.pop("value_json", None)
            _send(reply_fd, protocol.encode(reply, value.encode("utf-8") if value is not None else b""))
            if request.get("op") == "exec":
                break
    except BaseException:  # noqa: BLE001 - whatever broke, the runner sees a worker that ended without a reply
        code = BROKEN_EXIT
    os._exit(code)


def _send(fd: int, frame: bytes) -> None:  # pragma: no cover - runs in the forked worker
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)
