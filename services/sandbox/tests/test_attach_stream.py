"""The attach stream, fed the engine's multiplexed frames over a real socket pair."""

import socket
import struct
import threading
import time

from botmoon_runner import protocol
from botmoon_sandbox.adapters.attach_stream import STDERR, STDOUT, AttachStream


def mux(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxI", stream, len(data)) + data


def read(chunks: list[bytes], max_head: int = 4096, max_binary: int = 4096, max_stderr: int = 1024):
    ours, theirs = socket.socketpair()
    stream = AttachStream(ours, max_stderr)
    reply = stream.expect_reply(max_head, max_binary)

    def write():
        try:
            for chunk in chunks:
                theirs.sendall(chunk)
            theirs.shutdown(socket.SHUT_WR)
        except OSError:
            return  # the reader stopped reading: a refused frame

    writer = threading.Thread(target=write)
    writer.start()
    stream.read_until(lambda s: reply.done, time.monotonic() + 10)
    stream.close()
    theirs.close()
    writer.join()
    return stream, reply


def test_a_reply_split_across_frames_and_stderr_is_assembled():
    frame = protocol.encode({"status": "completed"}, b"[1,2]")
    stream, reply = read([mux(STDOUT, frame[:3]), mux(STDERR, b"warn\n"), mux(STDOUT, frame[3:])])
    assert reply.done and reply.head == {"status": "completed"} and reply.binary == b"[1,2]"
    assert bytes(stream.stderr) == b"warn\n"
    assert stream.violation is None


def test_a_60_mib_head_is_refused_from_its_length_before_its_bytes_are_kept():
    body = b"x" * (60 << 20)
    chunks = [mux(STDOUT, (len(body)).to_bytes(4, "big"))] + [mux(STDOUT, body[i:i + (1 << 20)])
                                                              for i in range(0, len(body), 1 << 20)]
    stream, reply = read(chunks)
    assert stream.violation == "reply head of 62914560 bytes exceeds the limit of 4096"
    assert not reply.done
    assert reply.received < 2 << 20  # it stopped reading: nowhere near 60 MiB went through


def test_a_value_over_its_limit_is_refused_from_the_head():
    stream, _ = read([mux(STDOUT, protocol.encode({"status": "completed"}, b"x" * 5000))])
    assert stream.violation == "reply value of 5000 bytes exceeds the limit of 4096"


def test_a_second_frame_is_a_violation():
    frame = protocol.encode({"status": "completed"})
    stream, _ = read([mux(STDOUT, frame + frame)])
    assert "after the reply frame" in stream.violation


def test_stdout_outside_a_call_is_a_violation():
    ours, theirs = socket.socketpair()
    stream = AttachStream(ours, 1024)
    theirs.sendall(mux(STDOUT, b"early"))
    stream.read_until(lambda s: False, time.monotonic() + 0.5)
    assert stream.violation == "5 byte(s) on the reply channel outside a call"
    stream.close()
    theirs.close()


def test_stderr_over_its_cap_is_an_overflow_and_kept_to_the_cap():
    stream, _ = read([mux(STDERR, b"e" * 600), mux(STDERR, b"e" * 600)], max_stderr=1000)
    assert stream.overflow
    assert len(stream.stderr) == 1000
