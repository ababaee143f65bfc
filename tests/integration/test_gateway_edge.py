"""The gateway's edge with real gateway processes: optional API keys, and deadlines on its gRPC calls
(a dead backend gives 503, a slow one 504, at once, not a hang). The backtest service here is a small
real gRPC server on loopback whose answers can be held back."""

import threading
import time
from concurrent import futures

import grpc
import httpx
import pytest

from botmoon.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from botmoon_testing.processes import Gateway, free_port

pytestmark = pytest.mark.stack

TIMEOUT_S = 0.5


class HeldBacktest(backtest_pb2_grpc.BacktestServiceServicer):
    """Answers Example, after `release` is set when `hold` is on."""

    def __init__(self, hold: bool):
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def Example(self, request, context):
        self.release.wait(30)
        return backtest_pb2.ExampleResponse(code="class Strategy: ...", params_json="{}")


@pytest.fixture(scope="module")
def fake_backtest():
    """(address of a prompt backtest server, address of one that never answers in time)."""
    servers, servicers, addresses = [], [], []
    for hold in (False, True):
        servicer = HeldBacktest(hold)
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        backtest_pb2_grpc.add_BacktestServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        servers.append(server)
        servicers.append(servicer)
        addresses.append(f"127.0.0.1:{port}")
    yield addresses
    for servicer, server in zip(servicers, servers, strict=True):
        servicer.release.set()
        server.stop(0)


def start_gateway(tmp_path, backtest_addr: str, **env) -> Gateway:
    dead = f"127.0.0.1:{free_port()}"  # nothing listens there
    return Gateway(dead, f"sqlite:///{tmp_path}/botmoon.db", MARKETDATA_ADDR=dead, BACKTEST_ADDR=backtest_addr,
                   GATEWAY_GRPC_TIMEOUT_S=str(TIMEOUT_S), GATEWAY_HEALTH_TIMEOUT_S=str(TIMEOUT_S), **env).start()


@pytest.fixture(scope="module")
def keyed(fake_backtest, tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("keyed"), fake_backtest[0], GATEWAY_API_KEYS="alpha-key, beta-key")
    yield gateway
    gateway.stop()


@pytest.fixture(scope="module")
def open_gateway(fake_backtest, tmp_path_factory):
    gateway = start_gateway(tmp_path_factory.mktemp("open"), fake_backtest[1])
    yield gateway
    gateway.stop()


def test_without_a_key_every_endpoint_but_health_answers_401(keyed):
    assert httpx.get(f"{keyed.url}/health").status_code == 200
    assert httpx.get(f"{keyed.url}/ready", timeout=10).status_code == 503  # open, and the backends are down
    for method, path in [("GET", "/api/backtest/example"), ("POST", "/api/ai/execute"), ("GET", "/metrics"),
                         ("GET", "/api/marketdata/symbols"), ("GET", "/docs")]:
        reply = httpx.request(method, f"{keyed.url}{path}", json={"code": "result = 1"})
        assert reply.status_code == 401, (path, reply.text)
        body = reply.json()
        assert body["success"] is False and "API key" in body["error"]
        assert reply.headers["www-authenticate"].startswith("Bearer")
        assert reply.headers["x-request-id"]


def test_a_wrong_key_is_refused(keyed):
    for headers in ({"X-API-Key": "alpha"}, {"Authorization": "Bearer alpha-key-and-more"},
                    {"Authorization": "Basic alpha-key"}, {"X-API-Key": ""}, {"Authorization": "Bearer"}):
        assert httpx.get(f"{keyed.url}/api/backtest/example", headers=headers).status_code == 401, headers


def test_either_header_with_any_listed_key_passes(keyed):
    for headers in ({"Authorization": "Bearer alpha-key"}, {"X-API-Key": "beta-key"},
                    {"authorization": "bearer beta-key"}):
        reply = httpx.get(f"{keyed.url}/api/backtest/example", headers=headers, timeout=10)
        assert reply.status_code == 200, (headers, reply.text)
        assert reply.json()["code"] == "class Strategy: ..."
    metrics = httpx.get(f"{keyed.url}/metrics", headers={"X-API-Key": "alpha-key"})
    assert 'route="/api/backtest/example",status="200"' in metrics.text


def test_without_keys_the_api_is_open(open_gateway):
    reply = httpx.post(f"{open_gateway.url}/api/ai/validate", json={"code": "result = 1"}, timeout=10)
    assert reply.status_code != 401


def test_a_dead_backend_gives_503_at_once(open_gateway):
    started = time.monotonic()
    reply = httpx.post(f"{open_gateway.url}/api/ai/validate", json={"code": "result = 1"}, timeout=10)
    assert reply.status_code == 503, reply.text
    assert reply.json()["success"] is False and "unavailable" in reply.json()["error"]
    assert reply.headers["retry-after"]
    assert time.monotonic() - started < 5


def test_a_slow_backend_gives_504_at_the_deadline(open_gateway):
    started = time.monotonic()
    reply = httpx.get(f"{open_gateway.url}/api/backtest/example", timeout=10)
    elapsed = time.monotonic() - started
    assert reply.status_code == 504, reply.text
    assert reply.json()["success"] is False and "in time" in reply.json()["error"]
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 3
