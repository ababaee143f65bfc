"""Backtest scaled out on a running stack: replicas added by `make up BACKTEST_REPLICAS=3` take calls within
15 s without the gateway being restarted, a stopped one is dropped at once, and calls in flight on a replica
that stops are answered (retried on another replica, or a clear 503)."""

import concurrent.futures
import subprocess
import time

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1200)]

FOUND_WITHIN_S = 15


@pytest.fixture(scope="module")
def scaled(stack):
    """The running test stack, scaled to three backtest replicas the way a user does it."""
    before = stack.started()
    assert len(stack.containers("backtest")) == 1
    stack.up(replicas=3)
    scaled_at = time.monotonic()
    assert len(stack.containers("backtest")) == 3
    assert {k: v for k, v in stack.started().items() if k in before} == before, "a running container restarted"
    with stack.client() as client:
        yield stack, client, scaled_at
    stack.up()


def _burst(client: httpx.Client, count: int, during=None) -> list[httpx.Response]:
    code = client.get("/api/backtest/example").json()["code"]
    body = {"code": code, "backtest_config": {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 300}}
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(client.post, "/api/backtest/run", json=body) for _ in range(count)]
        if during:
            during()
        return [f.result() for f in futures]


def _nodes(replies: list[httpx.Response]) -> set[str]:
    assert all(r.status_code == 200 and r.json()["success"] for r in replies), [r.text[:200] for r in replies]
    return {r.json()["node"] for r in replies}


def _hostnames(containers) -> set[str]:
    return {c.attrs["Config"]["Hostname"] for c in containers}


def test_added_replicas_take_calls_within_15_s_and_a_stopped_one_is_dropped(scaled):
    stack, client, scaled_at = scaled
    replicas = _hostnames(stack.containers("backtest"))
    seen: set[str] = set()
    while seen != replicas and time.monotonic() - scaled_at < FOUND_WITHIN_S:
        seen |= _nodes(_burst(client, 6))
    took = time.monotonic() - scaled_at
    assert seen == replicas, f"after {took:.1f}s only {len(seen)} of 3 replicas served"
    assert _nodes(_burst(client, 9)) == replicas, "a burst was not spread over all three"

    victim = stack.containers("backtest")[0]
    subprocess.run(["docker", "stop", "-t", "10", victim.id], check=True, capture_output=True)
    after = _nodes(_burst(client, 6))
    assert victim.attrs["Config"]["Hostname"] not in after
    assert after == replicas - {victim.attrs["Config"]["Hostname"]}


def test_calls_in_flight_on_a_replica_that_stops_are_answered(scaled):
    stack, client, _ = scaled
    stack.up(replicas=3)
    running = stack.containers("backtest")
    assert len(running) == 3
    victim = running[0]

    def stop_one():
        time.sleep(1.0)
        subprocess.run(["docker", "stop", "-t", "10", victim.id], check=True, capture_output=True)

    replies = _burst(client, 24, during=stop_one)
    for reply in replies:
        assert reply.status_code in (200, 503), reply.text
        if reply.status_code == 503:
            assert reply.json()["success"] is False and "unavailable" in reply.json()["error"]
            assert reply.headers["retry-after"]
    served = [r.json() for r in replies if r.status_code == 200]
    assert all(body["success"] for body in served)
    # The stopped replica drains its calls within its shutdown grace; anything cut off is retried elsewhere.
    assert len(served) == len(replies), [r.text[:200] for r in replies if r.status_code != 200]
    after = _burst(client, 6)
    assert victim.attrs["Config"]["Hostname"] not in _nodes(after)
