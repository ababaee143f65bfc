"""Two gateway processes on one PostgreSQL, three running strategies: the strategies are spread over both
gateways, each signal is recorded once and delivered once per endpoint; SIGKILL one gateway mid-run and the
other takes its strategies over within the lease time, missing and doubling no signal."""

import json
import time
import uuid
from collections import Counter

import httpx
import pytest

from botmoon_testing.docker_state import remove_pool
from botmoon_testing.live_market import OLD, STEP, SteppedClock, expected_signals, shift_to_now, stepped_market
from botmoon_testing.processes import Gateway, Sandbox
from botmoon_testing.receiver import Receiver

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(600)]

LEASE_S = 3.0
SYMBOLS = ["BTCUSDT_BINANCE", "ETH/USDT:USDT"]
STRATEGY = '''
class MeanCross:
    def __init__(self, params):
        self.n = params.get("n", 3)

    def generate_signals(self, data):
        mean = data["close"].rolling(self.n).mean()
        above = data["close"] > mean
        return {"signals": [{"time": data.index[i], "type": "long" if above.iloc[i] else "short",
                             "price": float(data["close"].iloc[i])}
                            for i in range(self.n, len(data)) if above.iloc[i] != above.iloc[i - 1]]}
'''


@pytest.fixture(scope="module")
def sandbox():
    """A warm container for each of the three strategies' sessions of a round."""
    service = Sandbox(f"replicas-{uuid.uuid4().hex[:8]}", pool_size=3, max_output_bytes=65536).start()
    yield service
    service.stop()
    remove_pool(service.pool_name)


def start_gateway(sandbox, market, url: str) -> Gateway:
    return Gateway(sandbox.address, url, MARKETDATA_ADDR=market.address, BACKTEST_ADDR="127.0.0.1:9",
                   GATEWAY_WEBHOOK_ALLOW="127.0.0.1/32", GATEWAY_WEBHOOK_BACKOFF_S="0.05",
                   GATEWAY_WEBHOOK_BACKOFF_MAX_S="0.5", GATEWAY_WEBHOOK_TIMEOUT_S="2",
                   GATEWAY_LIVE_MIN_INTERVAL_S="0.1", GATEWAY_LIVE_TICK_S="0.2", GATEWAY_LIVE_WINDOW="40",
                   GATEWAY_LIVE_LEASE_S=str(LEASE_S), GATEWAY_LIVE_MAX_CANDLE_AGE="48").start()


def wait_until(predicate, timeout: float = 120.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


def states(api: httpx.Client, ids: list[str]) -> list:
    return [(s["id"], s["status"], s["runner"], s["last_candles"], s["last_error"]) for s in strategies(api, ids)]


def strategies(api: httpx.Client, ids: list[str]) -> list[dict]:
    return [api.get(f"/api/strategies/{sid}").json()["strategy"] for sid in ids]


def evaluated(api: httpx.Client, ids: list[str], candle_ms: int) -> bool:
    wanted = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(candle_ms / 1000))
    return all(s["last_candles"].get(f"5m:{symbol}", "") >= wanted for s in strategies(api, ids) for symbol in SYMBOLS)


def runners(api: httpx.Client, ids: list[str]) -> dict[str, str | None]:
    return {s["id"]: s["runner"] for s in strategies(api, ids)}


def test_two_gateways_share_three_strategies_and_one_takes_over_when_the_other_dies(
        sandbox, postgres_server, tmp_path):
    shift = shift_to_now()
    clock = SteppedClock(OLD + shift + 1000)
    url = postgres_server.database("replicas")
    receivers = [Receiver().start(), Receiver().start()]
    with stepped_market(tmp_path, clock, shift) as market:
        one, two = start_gateway(sandbox, market, url), start_gateway(sandbox, market, url)
        try:
            with httpx.Client(base_url=one.url, timeout=60) as api:
                endpoints = [api.post("/api/webhooks/endpoints", json={"url": r.url}).json()["endpoint"]["id"]
                             for r in receivers]
                ids = []
                for n in range(3):
                    deployed = api.post("/api/ai/deploy", json={"code": STRATEGY, "name": f"Replicated {n}",
                                                                "auto_run": False}).json()
                    ids.append(deployed["strategy"]["id"])
                    started = api.post(f"/api/strategies/{ids[-1]}/start", json={
                        "symbols": SYMBOLS, "timeframe": "5m", "interval_seconds": 0.1,
                        "webhook_endpoint_ids": endpoints})
                    assert started.status_code == 200, started.text
                first = clock.newest_closed()
                wait_until(lambda: evaluated(api, ids, first), what="the first candle")
                spread = wait_until(lambda: len(set((held := runners(api, ids)).values()) - {None}) == 2 and held,
                                    what="the strategies spread over both gateways")
                assert sorted(Counter(spread.values()).values()) == [1, 2]

            gateways = {one, two}
            for step in range(1, 7):
                clock.now += STEP
                if step == 3:  # SIGKILL the gateway that runs two strategies, mid-run
                    with httpx.Client(base_url=one.url, timeout=60) as api:
                        spread = runners(api, ids)
                    victim = next(g for g in gateways if Counter(spread.values())[owner_of(g, spread)] == 2)
                    victim.process.kill()
                    killed_at = time.monotonic()
                    gateways.discard(victim)
                    survivor = next(iter(gateways))
                    with httpx.Client(base_url=survivor.url, timeout=60) as api:
                        taken = wait_until(lambda: len(set(runners(api, ids).values())) == 1, timeout=4 * LEASE_S,
                                           what="the survivor to run every strategy")
                        took_s = time.monotonic() - killed_at
                    assert took_s <= LEASE_S + 2, f"took {took_s:.1f}s over a {LEASE_S}s lease"
                    assert taken
                last = clock.newest_closed()
                with httpx.Client(base_url=next(iter(gateways)).url, timeout=60) as api:
                    wait_until(lambda last=last: evaluated(api, ids, last),
                               what=lambda last=last, step=step: f"candle {last} at step {step}: {states(api, ids)}")

            expected = expected_signals(STRATEGY, sandbox.address, market.address, first, last, SYMBOLS)
            assert len(expected) >= 4, expected
            with httpx.Client(base_url=next(iter(gateways)).url, timeout=60) as api:
                stored = {sid: api.get(f"/api/strategies/{sid}/signals", params={"limit": 1000}).json()["signals"]
                          for sid in ids}
                for receiver in receivers:
                    receiver.wait_for(3 * len(expected), timeout=30)
                time.sleep(0.5)  # a late duplicate would arrive now
                for sid in ids:
                    api.post(f"/api/strategies/{sid}/stop")
        finally:
            for gateway in (one, two):
                gateway.stop()
            for receiver in receivers:
                receiver.stop()

    for sid in ids:
        got = {(s["payload"]["symbol"], s["payload"]["candle_time_ms"], s["payload"]["signal"], s["payload"]["price"])
               for s in stored[sid]}
        assert got == expected and len(stored[sid]) == len(expected), sid
    every_signal = sorted(s["signal_id"] for signals in stored.values() for s in signals)
    for receiver in receivers:
        delivered = sorted(json.loads(r.body)["signal_id"] for r in receiver.accepted())
        assert delivered == every_signal  # each signal once at each endpoint: none missed, none doubled


def owner_of(gateway: Gateway, held: dict[str, str | None]) -> str | None:
    """The runner id (host-pid-token) of a gateway process among the strategies' runners."""
    return next((runner for runner in held.values() if runner and f"-{gateway.process.proc.pid}-" in runner), None)
