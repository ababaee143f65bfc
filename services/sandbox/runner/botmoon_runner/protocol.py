"""Frames between the sandbox service and the runner: a 4-byte big-endian length, then JSON."""

import json
import struct

HEADER = struct.Struct(">I")
READY_LINE = b"botmoon-runner-ready\n"


BINARY_KEY = "_binary"
PAYLOAD_KEY = "_payload"


def encode(message: dict, binary: bytes = b"") -> bytes:
    """One frame; `binary` (service to runner only) follows the JSON, its length in `_binary`."""
    if binary:
        message = {**message, BINARY_KEY: len(binary)}
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return HEADER.pack(len(body)) + body + binary


def read(stream, max_bytes: int = 1 << 30) -> dict | None:
    """Reads one frame from a binary stream; None at a clean end of stream."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ValueError(f"frame of {size} bytes exceeds {max_bytes}")
    body = _read_exactly(stream, size)
    if body is None:
        raise EOFError("stream ended inside a frame")
    message = json.loads(body)
    if message.get(BINARY_KEY):
        message[PAYLOAD_KEY] = _read_exactly(stream, int(message[BINARY_KEY]))
    return message


def decode_buffer(buffer: bytes | bytearray) -> tuple[dict | None, int]:
    """Decodes the first frame of `buffer`; (None, 0) while it is incomplete."""
    if len(buffer) < HEADER.size:
        return None, 0
    (size,) = HEADER.unpack_from(buffer)
    end = HEADER.size + size
    if len(buffer) < end:
        return None, 0
    return json.loads(bytes(buffer[HEADER.size:end])), end


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
