"""The attach stream of one container: stdin in, multiplexed stdout/stderr out, each capped."""

import select
import socket
import struct
import time

_FRAME_HEADER = struct.Struct(">BxxxI")  # the engine's stream multiplexing: stream id, 3 pad, size
STDOUT, STDERR = 1, 2


class AttachStream:
    def __init__(self, sock, max_bytes: int):
        self._sock = sock
        self._conn: socket.socket = getattr(sock, "_sock", sock)
        self._pending = bytearray()
        self.limit = max_bytes
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.overflow = False
        self.eof = False

    def send(self, data: bytes, close_stdin: bool = False) -> None:
        self._conn.sendall(data)
        if close_stdin:
            self._conn.shutdown(socket.SHUT_WR)

    def read_until(self, done, deadline: float) -> bool:
        """Reads until done(self) is true (True), or end of stream, overflow or deadline (False)."""
        while not done(self):
            if self.eof or self.overflow:
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
        while len(self._pending) >= _FRAME_HEADER.size:
            stream, size = _FRAME_HEADER.unpack_from(self._pending)
            end = _FRAME_HEADER.size + size
            if len(self._pending) < end:
                break
            target = self.stdout if stream == STDOUT else self.stderr
            room = self.limit - len(target)
            if size > room:
                self.overflow = True
            target += self._pending[_FRAME_HEADER.size:_FRAME_HEADER.size + max(0, min(size, room))]
            del self._pending[:end]

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
