"""Metrics and request ids of the real stack: traffic through the gateway, then every service's /metrics
scraped and every service's log read."""

import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.docker, pytest.mark.stack]

CONFIG = {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": "CRYPTO_FUTURE",
          "initial_capital": 10000, "commission_rate": 0.0005, "limit": 200}


def scrape(url: str) -> list:
    reply = httpx.get(url, timeout=10)
    assert reply.status_code == 200, reply.text
    return [s for family in text_string_to_metric_families(reply.text) for s in family.samples]


def value(samples: list, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels` (0 when there is none yet)."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())


class Traffic:
    """Scrapes before and after: a backtest with a known request id, a refused backtest, a timed-out run."""

    def __init__(self, gateway, sandbox, marketdata, backtest_node):
        self.urls = {"gateway": f"{gateway.url}/metrics", "sandbox": sandbox.metrics_url,
                     "marketdata": marketdata.metrics_url, "backtest": backtest_node.metrics_url}
        self.request_id = f"obs-{uuid.uuid4().hex}"
        self.before = {name: scrape(url) for name, url in self.urls.items()}
        with httpx.Client(base_url=gateway.url, timeout=120) as api:
            code = api.get("/api/backtest/example").json()["code"]
            self.run = api.post("/api/backtest/run", headers={"X-Request-ID": self.request_id},
                                json={"code": code, "backtest_config": CONFIG})
            self.refused = api.post("/api/backtest/run", json={
                "code": code, "backtest_config": {**CONFIG, "symbol": "NOPE/USDT:USDT"}})
            self.timed_out = api.post("/api/ai/execute", json={"code": "while True:\n    pass\n"})
        self.after = {name: scrape(url) for name, url in self.urls.items()}

    def delta(self, service: str, name: str, **labels: str) -> float:
        return value(self.after[service], name, **labels) - value(self.before[service], name, **labels)


@pytest.fixture(scope="module")
def traffic(gateway, sandbox, marketdata, backtest_node) -> Traffic:
    traffic = Traffic(gateway, sandbox, marketdata, backtest_node)
    assert traffic.run.status_code == 200 and traffic.run.json()["success"] is True, traffic.run.text
    assert traffic.refused.status_code in (404, 422), traffic.refused.text
    assert traffic.timed_out.json()["status"] == "timeout", traffic.timed_out.text
    return traffic


def test_every_grpc_service_counts_and_times_each_rpc(traffic):
    rpc = {"sandbox": ("botmoon.sandbox.v1.SandboxService", "Session"),
           "marketdata": ("botmoon.marketdata.v1.MarketDataService", "GetCandles"),
           "backtest": ("botmoon.backtest.v1.BacktestService", "Run")}
    for service, (grpc_service, method) in rpc.items():
        labels = {"grpc_service": grpc_service, "grpc_method": method}
        assert traffic.delta(service, "grpc_server_handled_total", grpc_code="OK", **labels) >= 1, service
        assert traffic.delta(service, "grpc_server_handling_seconds_count", **labels) >= 2 - (service == "sandbox")
        assert traffic.delta(service, "grpc_server_started_total", **labels) >= 1, service
    # Errors: the refused backtest is a non-OK Run on the backtest node and a non-OK GetCandles on market data.
    backtest_ok = traffic.delta("backtest", "grpc_server_handled_total", grpc_method="Run", grpc_code="OK")
    backtest_all = traffic.delta("backtest", "grpc_server_handled_total", grpc_method="Run")
    assert backtest_all - backtest_ok == 1
    marketdata_all = traffic.delta("marketdata", "grpc_server_handled_total", grpc_method="GetCandles")
    marketdata_ok = traffic.delta("marketdata", "grpc_server_handled_total", grpc_method="GetCandles", grpc_code="OK")
    assert marketdata_all - marketdata_ok >= 1


def test_sandbox_pool_starts_and_kills(traffic):
    assert traffic.delta("sandbox", "botmoon_sandbox_kills_total", reason="timeout") == 1
    assert traffic.delta("sandbox", "botmoon_sandbox_executions_total", status="timeout") == 1
    # Two runs took two containers; the pool starts one for each, in the background.
    deadline = time.monotonic() + 20
    while traffic.delta("sandbox", "botmoon_sandbox_container_starts_total") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        traffic.after["sandbox"] = scrape(traffic.urls["sandbox"])
    assert traffic.delta("sandbox", "botmoon_sandbox_container_starts_total") >= 2


def test_sandbox_pool_gauge_follows_the_idle_containers(traffic, sandbox):
    """The idle gauge reads the pool: it comes back to the pool's size once the refill after the runs is done."""
    def idle() -> list[float]:
        return [s.value for s in scrape(traffic.urls["sandbox"]) if s.name == "botmoon_sandbox_pool_idle_containers"]

    deadline = time.monotonic() + 30
    while idle() != [sandbox.pool_size] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert idle() == [sandbox.pool_size]


def test_backtests_by_outcome_and_duration(traffic):
    assert traffic.delta("backtest", "botmoon_backtests_total", outcome="success") == 1
    assert traffic.delta("backtest", "botmoon_backtests_total", outcome="invalid") == 1
    assert traffic.delta("backtest", "botmoon_backtest_duration_seconds_count", outcome="success") == 1
    assert traffic.delta("backtest", "botmoon_backtest_duration_seconds_sum", outcome="success") > 0


def test_candles_served_by_source(traffic):
    assert traffic.delta("marketdata", "botmoon_marketdata_candles_served_total", source="bundled") >= CONFIG["limit"]


def test_gateway_counts_requests_per_route_template(traffic):
    run = {"method": "POST", "route": "/api/backtest/run"}
    assert traffic.delta("gateway", "botmoon_http_requests_total", status="200", **run) == 1
    assert traffic.delta("gateway", "botmoon_http_requests_total", **run) == 2
    assert traffic.delta("gateway", "botmoon_http_request_duration_seconds_count", **run) == 2


def test_request_id_reaches_the_logs_of_every_service_it_crossed(traffic, gateway, sandbox, marketdata,
                                                                 backtest_node):
    assert traffic.run.headers["x-request-id"] == traffic.request_id
    assert traffic.run.json()["request_id"] == traffic.request_id
    processes = {"gateway": gateway.process, "backtest": backtest_node.process, "marketdata": marketdata.process,
                 "sandbox": sandbox.process}
    deadline = time.monotonic() + 10
    needle = f'"request_id": "{traffic.request_id}"'
    missing = list(processes)
    while missing and time.monotonic() < deadline:
        missing = [name for name, proc in processes.items() if needle not in proc.logs()]
        time.sleep(0.2)
    assert not missing, f"request id not in the logs of {missing}"
    sandbox_lines = [line for line in sandbox.process.logs().splitlines() if traffic.request_id in line]
    assert any("SandboxService/Session" in line for line in sandbox_lines), sandbox_lines
