"""The gateway's channel to several backtest replicas (real processes): calls are spread over all of them, a
replica that stops mid-burst loses no call (UNAVAILABLE retried on another, the gRPC service config), and after
it stopped it gets none. The DNS side (replicas added to a running stack) is tests/e2e/test_compose_scale.py."""

import concurrent.futures
import time

import httpx
import pytest

from botmoon_testing.processes import BacktestNode, Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack]


@pytest.fixture(scope="module")
def replicas(sandbox, marketdata):
    nodes = [BacktestNode(sandbox.address, marketdata.address).start() for _ in range(2)]
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture(scope="module")
def api(sandbox, marketdata, replicas, tmp_path_factory):
    db = tmp_path_factory.mktemp("replicas") / "botmoon.db"
    addresses = ",".join(node.address for node in replicas)
    service = Gateway(sandbox.address, f"sqlite:///{db}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=f"ipv4:{addresses}", GATEWAY_FAIR_MAX_BACKTESTS="12").start()
    with httpx.Client(base_url=service.url, timeout=180) as client:
        yield client
    service.stop()


def runs_served(node: BacktestNode) -> int:
    """Run calls the node answered OK, from its own metrics."""
    lines = httpx.get(node.metrics_url, timeout=5).text.splitlines()
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("grpc_server_handled_total{")
                   and 'grpc_method="Run"' in line and 'grpc_code="OK"' in line))


def burst(api: httpx.Client, count: int, during=None) -> list[httpx.Response]:
    code = api.get("/api/backtest/example").json()["code"]
    body = {"code": code, "backtest_config": {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 300}}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(api.post, "/api/backtest/run", json=body) for _ in range(count)]
        if during:
            during()
        return [f.result() for f in futures]


def test_calls_are_spread_over_every_replica(api, replicas):
    before = [runs_served(node) for node in replicas]
    replies = burst(api, 8)
    assert all(r.status_code == 200 and r.json()["success"] for r in replies), [r.text[:200] for r in replies]
    served = [runs_served(node) - b for node, b in zip(replicas, before, strict=True)]
    assert sum(served) == 8 and min(served) >= 2, served


def test_a_replica_stopping_mid_burst_loses_no_call_and_gets_no_more(api, replicas):
    victim, survivor = replicas

    def stop_victim():
        time.sleep(0.5)
        victim.process.stop()  # SIGTERM: graceful shutdown, then anything still running is cut off

    replies = burst(api, 12, during=stop_victim)
    assert [r.status_code for r in replies] == [200] * 12, [r.text[:200] for r in replies if r.status_code != 200]
    assert all(r.json()["success"] for r in replies)
    before = runs_served(survivor)
    after = burst(api, 4)
    assert all(r.status_code == 200 for r in after)
    assert runs_served(survivor) - before == 4
