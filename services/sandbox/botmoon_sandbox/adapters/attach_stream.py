"""The attach stream of one container: stdin in, multiplexed stdout/stderr out. Stdout carries the reply
frame, assembled under its limits as it arrives; stderr (diagnostics, raw writes) is kept up to a cap."""

import select
import socket
import struct
import time

from botmoon_runner.protocol import FrameAssembler, ProtocolError

_FRAME_HEADER = struct.Struct(">BxxxI")  # the engine's stream multiplexing: stream id, 3 pad, size
STDOUT, STDERR = 1, 2


class AttachStream:
    def __init__(self, sock, max_stderr: int):
        self._sock = sock
        self._conn: socket.socket = getattr(sock, "_sock", sock)
        self._pending = bytearray()
        self.limit = max_stderr
        self.reply: FrameAssembler | None = None
        self.violation: str | None = None
        self.stderr = bytearray()
        self.overflow = False
        self.eof = False

    def expect_reply(self, max_head: int, max_binary: int) -> FrameAssembler:
        """The frame the next bytes on stdout must form (one per call)."""
        self.reply = FrameAssembler(max_head, max_binary)
        return self.reply

    def send(self, data: bytes, close_stdin: bool = False) -> None:
        self._conn.sendall(data)
        if close_stdin:
            self._conn.shutdown(socket.SHUT_WR)

    def read_until(self, done, deadline: float) -> bool:
        """Reads until done(self) is true (True), or end of stream, a protocol violation, stderr overflow or
        the deadline (False)."""
        while not done(self):
            if self.eof or self.overflow or self.violation:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([self._conn], [], [], remaining)
            if readable:
                self._receive()
        return True

    def _receive(self) -> None:
        chunk = self._conn.recv(65536)
        if not chunk:
            self.eof = True
            return
        self._pending += chunk
        offset = 0
        while len(self._pending) - offset >= _FRAME_HEADER.size:
            stream, size = _FRAME_HEADER.unpack_from(self._pending, offset)
            end = offset + _FRAME_HEADER.size + size
            if len(self._pending) < end:
                break
            payload = bytes(self._pending[offset + _FRAME_HEADER.size:end])
            if stream == STDOUT:
                self._reply_bytes(payload)
            else:
                self._stderr_bytes(payload)
            offset = end
        del self._pending[:offset]

    def _reply_bytes(self, payload: bytes) -> None:
        if self.violation:
            return
        if self.reply is None:
            self.violation = f"{len(payload)} byte(s) on the reply channel outside a call"
            return
        try:
            self.reply.feed(payload)
        except ProtocolError as exc:
            self.violation = str(exc)

    def _stderr_bytes(self, payload: bytes) -> None:
        room = self.limit - len(self.stderr)
        if len(payload) > room:
            self.overflow = True
        self.stderr += payload[:max(0, room)]

    def close(self) -> None:
        """Ends the stream for real: close() alone keeps a socket shared with docker-py's wrapper open,
        and the engine will not finish a kill while the stream it writes to is open and unread."""
        try:
            self._conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        for closable in (self._sock, self._conn):
            try:
                closable.close()
            except OSError:
                pass
