"""Frames between the sandbox service and the runner (and between the runner and its worker process):
a 4-byte big-endian length, the JSON head, then, if the head says `_binary: n`, n raw bytes."""

import json
import struct

HEADER = struct.Struct(">I")
READY_LINE = b"botmoon-runner-ready\n"


BINARY_KEY = "_binary"
PAYLOAD_KEY = "_payload"

# The service's limits, given to each container in its environment: the runner bounds replies by them.
MAX_OUTPUT_ENV = "BOTMOON_MAX_OUTPUT"
MAX_VALUE_ENV = "BOTMOON_MAX_VALUE"


class ProtocolError(ValueError):
    """A frame broke the protocol: a part over its limit, a head that is not a JSON object, a frame too many."""


def head_limit(max_output: int) -> int:
    """Largest head of a reply: stdout, stderr, an error message and a traceback of max_output bytes each."""
    return 4 * max_output + 65536


def encode(message: dict, binary: bytes = b"") -> bytes:
    """One frame; `binary` follows the JSON, its length in `_binary`."""
    if binary:
        message = {**message, BINARY_KEY: len(binary)}
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    return HEADER.pack(len(body)) + body + binary


def read(stream, max_bytes: int = 1 << 30) -> dict | None:
    """Reads one frame from a binary stream (the binary part, if any, under `_payload`); None at a clean end."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"frame of {size} bytes exceeds {max_bytes}")
    body = _read_exactly(stream, size)
    if body is None:
        raise EOFError("stream ended inside a frame")
    message = json.loads(body)
    if message.get(BINARY_KEY):
        message[PAYLOAD_KEY] = _read_exactly(stream, int(message[BINARY_KEY])) or b""
    return message


class FrameAssembler:
    """Assembles exactly one frame from chunks as they arrive, never trusting the sender: each part's
    size is checked against its limit before any of its bytes are kept, the head is parsed once, and a
    byte after the frame is an error. `done` once complete; then `head` and `binary` hold it."""

    def __init__(self, max_head: int, max_binary: int):
        self._max_head = max_head
        self._max_binary = max_binary
        self._buffer = bytearray()
        self._need = HEADER.size
        self._stage = "length"
        self.head: dict | None = None
        self.binary = b""
        self.done = False
        self.received = 0

    def feed(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        self.received += len(view)
        while len(view):
            if self.done:
                raise ProtocolError(f"{len(view)} byte(s) after the reply frame")
            take = min(self._need - len(self._buffer), len(view))
            self._buffer += view[:take]
            view = view[take:]
            if len(self._buffer) == self._need:
                self._advance()

    def _advance(self) -> None:
        part, self._buffer = bytes(self._buffer), bytearray()
        if self._stage == "length":
            (size,) = HEADER.unpack(part)
            if size > self._max_head:
                raise ProtocolError(f"reply head of {size} bytes exceeds the limit of {self._max_head}")
            if size == 0:
                raise ProtocolError("empty reply head")
            self._stage, self._need = "head", size
            return
        if self._stage == "head":
            self.head = _parse_head(part)
            size = self.head.pop(BINARY_KEY, 0)
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ProtocolError(f"{BINARY_KEY} must be a byte count, not {size!r}")
            if size > self._max_binary:
                raise ProtocolError(f"reply value of {size} bytes exceeds the limit of {self._max_binary}")
            if size:
                self._stage, self._need = "binary", size
                return
        else:
            self.binary = part
        self._stage, self.done = "done", True


def _parse_head(body: bytes) -> dict:
    try:
        head = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ProtocolError(f"reply head is not JSON: {exc}") from None
    if not isinstance(head, dict):
        raise ProtocolError(f"reply head must be a JSON object, not {type(head).__name__}")
    return head


def _read_exactly(stream, n: int) -> bytes | None:
    chunks = []
    remaining = n
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            if remaining == n:
                return None
            raise EOFError("stream ended inside a frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
