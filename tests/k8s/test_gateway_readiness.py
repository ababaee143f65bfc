"""The gateway's readiness (its Kubernetes readinessProbe): one backend down must not take the API out of
service, and the answer must come within the probe's timeout however many backends hang."""

import socket
import threading
import time

import httpx
import pytest

from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack]


@pytest.fixture
def silent_backend():
    """A TCP listener that accepts and never answers: a backend that hangs (each health check hits its deadline)."""
    server = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_ready_with_the_sandbox_although_two_backends_hang_and_within_one_check_deadline(sandbox, silent_backend,
                                                                                          tmp_path):
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp_path / 'ready.db'}", MARKETDATA_ADDR=silent_backend,
                      BACKTEST_ADDR=silent_backend, GATEWAY_HEALTH_TIMEOUT_S="1").start()
    try:
        started = time.monotonic()
        reply = httpx.get(f"{gateway.url}/ready", timeout=10)
        took = time.monotonic() - started
        body = reply.json()
        assert reply.status_code == 200, body
        assert body["backends"]["sandbox"] == "SERVING" and body["essential"] == ["sandbox"]
        assert body["degraded"] == ["backtest", "marketdata"]
        assert took < 1.9, f"checks ran one after another: {took:.2f}s for two 1 s deadlines"
        execute = httpx.post(f"{gateway.url}/api/ai/execute", json={"code": "result = 7"}, timeout=60)
        assert execute.status_code == 200 and execute.json()["result"] == 7
    finally:
        gateway.stop()


def test_not_ready_when_an_essential_backend_is_down(sandbox, silent_backend, tmp_path):
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp_path / 'ess.db'}", MARKETDATA_ADDR=silent_backend,
                      BACKTEST_ADDR=silent_backend, GATEWAY_READY_BACKENDS="sandbox,marketdata").start()
    try:
        reply = httpx.get(f"{gateway.url}/ready", timeout=10)
        assert reply.status_code == 503
        assert reply.json()["essential"] == ["sandbox", "marketdata"] and reply.json()["degraded"] == ["backtest"]
    finally:
        gateway.stop()
