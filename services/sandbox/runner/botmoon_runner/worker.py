"""The worker: a forked process that runs the user code, where the runner's channel to the service is not
open. It reads the requests from stdin itself (no relay on the way in); for each it writes its reply to a
fresh pipe the runner handed it beforehand. The runner reads that pipe to its end and watches the worker,
so what it reports rests on what it saw, not on what the worker says."""

import array
import contextlib
import fcntl
import gc
import os
import select
import signal
import socket
import termios
from dataclasses import dataclass

from botmoon_runner import isolation, protocol
from botmoon_runner.protocol import FrameAssembler, ProtocolError

CALL_MARK = b"C"  # the byte that carries the next reply's pipe (SCM_RIGHTS)
POLL_MS = 50  # how often a quiet call looks at the pids limit and at a reply filling the pipe
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
    """Forked at once (so a warm container has its worker ready), with the pipe for its first reply."""

    def __init__(self, requests: int = 0):
        """`requests`: the descriptor the worker reads requests from (stdin, the container's)."""
        ours, theirs = socket.socketpair()
        gc.freeze()  # what exists now is shared with the worker; its collector then leaves those pages alone
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            ours.close()
            _forget_sigchld_pipe()
            if requests != 0:
                os.dup2(requests, 0)
            _serve(theirs)
        theirs.close()
        isolation.become("runner")
        self.pid = pid
        self._sock = ours
        self._pidfd = _exit_watch(pid)
        self.exit_status: int | None = None
        self._pipe: int | None = None
        self._hits_before: int | None = None
        self.hand_pipe()

    @property
    def alive(self) -> bool:
        return self.exit_status is None

    def hand_pipe(self) -> None:
        """The pipe for the worker's next reply, on its socket (usually before the request it answers arrives;
        the worker waits for it otherwise). Called once a reply is reported, off the way of the reply."""
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        try:
            socket.send_fds(self._sock, [CALL_MARK], [write_end])
        except OSError:
            pass  # the worker is gone; watching the pipe says so
        finally:
            os.close(write_end)
        self._pipe = read_end
        self._hits_before = isolation.pids_limit_hits()

    def next_reply(self, max_head: int, max_binary: int) -> Observation:
        """Waits for the worker's reply pipe to end (every holder closed it) or the worker to end. A pipe that
        ended without a whole frame also waits for the worker's exit, to say how it ended."""
        seen = Observation()
        frame = FrameAssembler(max_head, max_binary)
        try:
            self._watch(self._pipe, frame, seen, self._hits_before)
            seen.received = frame.received
            if not frame.done and seen.violation is None and not seen.pids_hit:
                self._wait_exit(seen)
            if frame.done and seen.violation is None:
                seen.head, seen.binary = frame.head, frame.binary
        finally:
            os.close(self._pipe)
        seen.pids_hit = seen.pids_hit or _more_hits(self._hits_before)
        self._pipe = None
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
                    worker_ended = self._ended()
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

    def _ended(self) -> bool:
        """The exit watch woke: a pidfd says the worker ended; the SIGCHLD pipe only that some child did."""
        if not _SIGCHLD_PIPE or self._pidfd != _SIGCHLD_PIPE[0]:
            return True
        with contextlib.suppress(BlockingIOError):
            os.read(self._pidfd, 4096)
        if self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return False
            self.exit_status = status
        return True

    def _wait_exit(self, seen: Observation) -> None:
        if self.exit_status is None:
            self.exit_status = os.waitpid(self.pid, 0)[1]
        seen.exit_status = self.exit_status

    def close(self) -> None:
        self._sock.close()
        if self._pidfd not in _SIGCHLD_PIPE:
            os.close(self._pidfd)


_SIGCHLD_PIPE: list[int] = []  # [read end, write end], made once: the process has one wakeup descriptor


def _forget_sigchld_pipe() -> None:
    """In the worker: the runner's SIGCHLD wake-up is not its own."""
    if _SIGCHLD_PIPE:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in _SIGCHLD_PIPE:
            os.close(fd)
        _SIGCHLD_PIPE.clear()


def _exit_watch(pid: int) -> int:
    """A descriptor that polls readable when the worker ends: its pidfd, or where the kernel has none (gVisor's
    2022 release) a pipe that SIGCHLD writes to (set_wakeup_fd), after which `_ended` asks waitpid."""
    try:
        return os.pidfd_open(pid)
    except OSError:
        if not _SIGCHLD_PIPE:
            read_end, write_end = os.pipe()
            os.set_blocking(read_end, False)
            os.set_blocking(write_end, False)
            signal.signal(signal.SIGCHLD, lambda *_: None)
            signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
            _SIGCHLD_PIPE.extend((read_end, write_end))
        return _SIGCHLD_PIPE[0]


def _pending(fd: int) -> int:
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def _more_hits(before: int | None) -> bool:
    after = isolation.pids_limit_hits()
    return before is not None and after is not None and after > before


def _serve(control: socket.socket) -> None:  # pragma: no cover - runs in the forked worker
    """The worker's loop: one request at a time from stdin, each reply written to the pipe handed for it.
    An exec is the worker's only request; a strategy session keeps its strategy here between calls."""
    code = 0
    try:
        isolation.enter_worker(keep=control.fileno())
        from botmoon_runner.execute import run_code

        warm = run_code("result = {'warm': [1.5, None]}", 1024)  # the pages a run touches, copied now
        protocol.encode(warm, warm.pop("result_json").encode())
        requests = os.fdopen(0, "rb", buffering=0)
        session = None
        while True:
            request = protocol.read(requests)
            if request is None:
                break
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
            if not fds:
                break
            max_output = int(request.get("max_output", 1 << 20))
            if request.get("op") == "exec":
                reply = run_code(request["code"], max_output)
                value = reply.pop("result_json", None)
            else:
                if session is None:
                    from botmoon_runner.strategy import Session  # numpy and pandas: a session's flavour has them

                    session = Session(max_output, int(request.get("max_value", 1 << 20)))
                reply = session.handle(request)
                value = reply.pop("value_json", None)
            _send(fds[0], protocol.encode(reply, value.encode("utf-8") if value is not None else b""))
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
