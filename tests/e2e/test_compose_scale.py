"""Backtest scaled out under compose: the gateway spreads calls over every replica, and losing one
mid-burst loses no request that was not in flight on it."""

import concurrent.futures
import subprocess
import time

import httpx
import pytest

from botmoon_testing.compose import BASE, make, service_containers

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def scaled():
    make("up", "BACKTEST_REPLICAS=3")
    try:
        with httpx.Client(base_url=BASE, timeout=180) as client:
            yield client
    finally:
        make("down", "VOLUMES=1")


def _burst(client: httpx.Client, code: str, count: int, during=None) -> list[httpx.Response]:
    body = {"code": code, "backtest_config": {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 300}}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(client.post, "/api/backtest/run", json=body) for _ in range(count)]
        if during:
            during()
        return [f.result() for f in futures]


def test_a_burst_is_served_by_all_three_replicas(scaled):
    code = scaled.get("/api/backtest/example").json()["code"]
    replies = _burst(scaled, code, 18)
    assert all(r.status_code == 200 and r.json()["success"] for r in replies)
    nodes = {r.json()["node"] for r in replies}
    replicas = service_containers("backtest")
    assert len(replicas) == 3
    assert nodes == {c.attrs["Config"]["Hostname"] for c in replicas}


def test_stopping_a_replica_mid_burst_loses_no_request_that_was_not_on_it(scaled):
    code = scaled.get("/api/backtest/example").json()["code"]
    victim = service_containers("backtest")[0]

    def stop_one():
        time.sleep(1.0)
        subprocess.run(["docker", "stop", "-t", "10", victim.id], check=True, capture_output=True)

    replies = _burst(scaled, code, 24, during=stop_one)
    for reply in replies:
        assert reply.status_code in (200, 503, 504), reply.text
        if reply.status_code != 200:
            assert reply.json()["success"] is False and reply.json()["error"]
    served = [r.json() for r in replies if r.status_code == 200]
    failed = len(replies) - len(served)
    assert all(body["success"] for body in served)
    # Only calls in flight on the stopped replica may fail; the service drains those within its grace.
    assert failed <= 6, [r.text[:200] for r in replies if r.status_code != 200]
    after = _burst(scaled, code, 6)
    assert all(r.status_code == 200 for r in after)
    assert victim.attrs["Config"]["Hostname"] not in {r.json()["node"] for r in after}
