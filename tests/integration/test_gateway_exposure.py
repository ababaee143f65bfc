"""A real gateway process: it refuses to start reachable beyond loopback without API keys (unless told to serve
openly), and answers only requests whose Host is localhost, an IP address or an allowed name (DNS rebinding)."""

import httpx
import pytest

from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.stack]

# No backend is needed for these checks: the addresses are never called.
NOWHERE = "127.0.0.1:9"


def gateway(tmp_path, **env) -> Gateway:
    return Gateway(NOWHERE, f"sqlite:///{tmp_path}/botmoon.db", MARKETDATA_ADDR=NOWHERE, BACKTEST_ADDR=NOWHERE, **env)


def refused(tmp_path, **env) -> str:
    service = gateway(tmp_path, **env)
    service.process.start()
    assert service.process.proc.wait(30) == 2
    service.process.stop()
    return service.process.logs()


@pytest.mark.parametrize("exposure", [{"GATEWAY_HOST": "0.0.0.0"}, {"GATEWAY_HOST": "::"},
                                      {"GATEWAY_BIND": "0.0.0.0"}, {"GATEWAY_BIND": "192.0.2.10"}])
def test_beyond_loopback_without_keys_it_refuses_to_start(tmp_path, exposure):
    logs = refused(tmp_path, **exposure)
    assert "refusing to start" in logs and "GATEWAY_API_KEYS" in logs and "GATEWAY_OPEN_ACCESS" in logs


@pytest.mark.parametrize("allowed", [{"GATEWAY_API_KEYS": "k1"}, {"GATEWAY_OPEN_ACCESS": "true"}])
def test_beyond_loopback_it_starts_with_keys_or_open_access(tmp_path, allowed):
    service = gateway(tmp_path, GATEWAY_BIND="0.0.0.0", **allowed).start()
    try:
        headers = {"X-API-Key": "k1"} if "GATEWAY_API_KEYS" in allowed else {}
        assert httpx.get(f"{service.url}/openapi.json", headers=headers, timeout=10).status_code == 200
        if "GATEWAY_API_KEYS" in allowed:
            assert httpx.get(f"{service.url}/openapi.json", timeout=10).status_code == 401
    finally:
        service.stop()


def test_on_loopback_without_keys_it_is_open(tmp_path):
    service = gateway(tmp_path, GATEWAY_BIND="127.0.0.1").start()
    try:
        assert httpx.get(f"{service.url}/openapi.json", timeout=10).status_code == 200
    finally:
        service.stop()


@pytest.fixture(scope="module")
def local_gateway(tmp_path_factory):
    service = gateway(tmp_path_factory.mktemp("hosts"), GATEWAY_ALLOWED_HOSTS="botmoon.lan,*.example.org").start()
    yield service
    service.stop()


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:37674", "127.0.0.1:80", "[::1]:37674", "10.1.2.3",
                                  "app.localhost", "botmoon.lan", "botmoon.lan:8080", "api.example.org"])
def test_localhost_ip_addresses_and_allowed_names_are_served(local_gateway, host):
    reply = httpx.get(f"{local_gateway.url}/openapi.json", headers={"Host": host}, timeout=10)
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "botmoon.lan.evil.example",
                                  "example.org", "127.0.0.1.nip.io"])
def test_other_host_names_are_refused_before_anything_runs(local_gateway, host):
    for method, path in [("GET", "/openapi.json"), ("POST", "/api/ai/execute")]:
        reply = httpx.request(method, f"{local_gateway.url}{path}", headers={"Host": host},
                              json={"code": "print(1)"}, timeout=10)
        assert reply.status_code == 400, reply.text
        body = reply.json()
        assert body["success"] is False and body["fields"][0]["field"] == "Host"
        assert "not an allowed host" in body["fields"][0]["reason"]


def test_probes_answer_whatever_the_host(local_gateway):
    assert httpx.get(f"{local_gateway.url}/health", headers={"Host": "10-0-0-7.pod"}, timeout=10).status_code == 200
    ready = httpx.get(f"{local_gateway.url}/ready", headers={"Host": "gateway.botmoon.svc"}, timeout=10)
    assert ready.status_code in (200, 503) and "ready" in ready.json()
