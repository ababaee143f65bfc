"""Hostile webhook receivers against a real gateway process: endless and dripping replies end at the attempt's
deadline with the gateway's memory flat; unusable secrets and headers are refused when configured."""

import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.stack]

NOWHERE = "127.0.0.1:9"  # no backend is needed for webhooks
RECEIVER_HOST = "127.0.0.3"
DEADLINE_S = 2.0
QUOTE_BYTES = 1024
SEED = {"symbol": "BTCUSDT", "side": "BUY_MARKET", "price": 50000.0}


@dataclass
class Hostile:
    """A raw TCP receiver: reads the request, then misbehaves as `behaviour` says, counting what it sent."""

    behaviour: str
    sent: int = 0
    connections: int = 0
    closed_after_s: list[float] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> "Hostile":
        hostile = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                hostile._serve(self.request)

        socketserver.ThreadingTCPServer.daemon_threads = True
        self._server = socketserver.ThreadingTCPServer((RECEIVER_HOST, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://{RECEIVER_HOST}:{self._server.server_address[1]}/hook"

    def _serve(self, conn: socket.socket) -> None:
        self.connections += 1
        _read_request(conn)
        started = time.monotonic()
        try:
            if self.behaviour == "endless-500":
                self._send(conn, b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\n\r\n")
                chunk = b"x" * 65536
                while True:
                    self._send(conn, chunk)
            elif self.behaviour == "endless-200":
                self._send(conn, b"HTTP/1.1 200 OK\r\n\r\n")
                while True:
                    self._send(conn, b"y" * 65536)
            elif self.behaviour == "drip-status":
                for byte in b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n" * 1000:
                    self._send(conn, bytes([byte]))
                    time.sleep(0.1)
            elif self.behaviour == "drip-500":
                self._send(conn, b"HTTP/1.1 500 Internal Server Error\r\n\r\n")
                while True:
                    self._send(conn, b"z")
                    time.sleep(0.1)
        except OSError:
            self.closed_after_s.append(time.monotonic() - started)

    def _send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += conn.recv(65536)
    return head


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def gateway_process(tmp_path_factory):
    db = tmp_path_factory.mktemp("webhooks-hostile") / "gw.db"
    service = Gateway(NOWHERE, f"sqlite:///{db}", MARKETDATA_ADDR=NOWHERE, BACKTEST_ADDR=NOWHERE,
                      GATEWAY_WEBHOOK_ALLOW=f"{RECEIVER_HOST}/32", GATEWAY_WEBHOOK_MAX_ATTEMPTS="1",
                      GATEWAY_WEBHOOK_TIMEOUT_S=str(DEADLINE_S),
                      GATEWAY_WEBHOOK_MAX_RESPONSE_BYTES=str(QUOTE_BYTES))
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def gw(gateway_process):
    with httpx.Client(base_url=gateway_process.url, timeout=30) as client:
        yield client


@pytest.fixture
def hostile(request):
    receiver = Hostile(request.param).start()
    yield receiver
    receiver.stop()


def _attempt(gw, url: str) -> dict:
    reply = gw.post("/api/webhook/send", json={"webhook_url": url, **SEED})
    assert reply.status_code == 200, reply.text
    [attempt] = reply.json()["delivery"]["attempt_log"]
    return attempt


@pytest.mark.parametrize("hostile", ["endless-500"], indirect=True)
def test_an_endless_reply_is_cut_after_the_quote_and_memory_stays_flat(gw, gateway_process, hostile):
    pid = gateway_process.process.proc.pid
    before = _rss_bytes(pid)
    for _ in range(5):
        attempt = _attempt(gw, hostile.url)
        assert attempt["status"] == "failed" and attempt["response_code"] == 500
        assert attempt["error"].startswith("HTTP 500: xxx")
        assert attempt["latency_ms"] < DEADLINE_S * 1000
    deadline = time.monotonic() + DEADLINE_S + 2
    while len(hostile.closed_after_s) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    # The gateway hung up on every stream (the receiver's send failed) within the attempt's deadline ...
    assert len(hostile.closed_after_s) == 5 and max(hostile.closed_after_s) < DEADLINE_S + 1
    # ... having taken no more than socket buffers hold (a reader of the whole body would have had GiBs).
    assert hostile.sent < 5 * 16 * 2**20
    assert _rss_bytes(pid) - before < 16 * 2**20


@pytest.mark.parametrize("hostile", ["endless-200"], indirect=True)
def test_a_2xx_with_an_endless_body_is_delivered_without_reading_it(gw, hostile):
    attempt = _attempt(gw, hostile.url)
    assert (attempt["status"], attempt["response_code"]) == ("delivered", 200)
    assert attempt["latency_ms"] < DEADLINE_S * 1000


@pytest.mark.parametrize("hostile", ["drip-status"], indirect=True)
def test_a_status_line_dripped_a_byte_at_a_time_ends_at_the_deadline(gw, hostile):
    started = time.monotonic()
    attempt = _attempt(gw, hostile.url)
    assert attempt["status"] == "timeout" and attempt["response_code"] is None
    assert "deadline" in attempt["error"]
    assert DEADLINE_S * 1000 - 100 <= attempt["latency_ms"] <= DEADLINE_S * 1000 + 500
    assert time.monotonic() - started < DEADLINE_S + 3


@pytest.mark.parametrize("hostile", ["drip-500"], indirect=True)
def test_a_dripped_error_body_is_quoted_until_the_deadline(gw, hostile):
    attempt = _attempt(gw, hostile.url)
    assert (attempt["status"], attempt["response_code"]) == ("failed", 500)
    assert attempt["error"].startswith("HTTP 500: z") and len(attempt["error"]) < 60
    assert DEADLINE_S * 1000 - 300 <= attempt["latency_ms"] <= DEADLINE_S * 1000 + 500


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"secret": "whsec_not*base64!"}, "secret", "base64"),
    ({"secret": "whsec_QUJD"}, "secret", "8 to 128 bytes"),
    ({"headers": {"Host": "internal.example"}}, "headers", "set by the delivery"),
    ({"headers": {"x-a": "line\r\nbreak"}}, "headers", "one line"),
    ({"headers": {"bad name": "v"}}, "headers", "header name"),
])
def test_unusable_secrets_and_headers_are_refused_when_configured(gw, body, field, reason):
    url = f"http://{RECEIVER_HOST}:9/hook"
    created = gw.post("/api/webhooks/endpoints", json={"url": url, **body})
    assert created.status_code == 422, created.text
    [problem] = created.json()["fields"]
    assert problem["field"].startswith(field) and reason in problem["reason"]
    endpoint = gw.post("/api/webhooks/endpoints", json={"url": url})
    assert endpoint.status_code == 201
    updated = gw.put(f"/api/webhooks/endpoints/{endpoint.json()['endpoint']['id']}", json=body)
    assert updated.status_code == 422 and updated.json()["fields"][0]["field"].startswith(field)
    if field == "secret":
        sent = gw.post("/api/webhook/test", json={"webhook_url": url, **body})
        assert sent.status_code == 422 and sent.json()["fields"][0]["field"] == "secret"
