"""Live strategies end to end: a real gateway process, the real sandbox, a market data server whose
clock the test moves candle by candle, and a real webhook receiver on loopback.

The local exchange server answers with the bundled candles moved forward in time (by SHIFT) so that they
reach into the present: the gateway judges freshness by its own wall clock. The market data store keeps the
bundled candles at their own, old times: asked for the newest candles at an old clock time, it answers with
those, which no live strategy may act on."""

import datetime as dt
import json
import time

import httpx
import pytest

from botmoon_common.timefmt import iso
from botmoon_gateway.webhooks import verify
from botmoon_testing import live_market
from botmoon_testing.live_market import OLD, STEP, SteppedClock, shift_to_now, stepped_market
from botmoon_testing.processes import Gateway
from botmoon_testing.receiver import Receiver

pytestmark = [pytest.mark.docker, pytest.mark.stack]

# The exchange double's candles are the bundled ones this much later: START (OLD moved) is an hour ago.
SHIFT = shift_to_now()
START = OLD + SHIFT
MAX_CANDLE_AGE = 48  # timeframes: 4 hours of 5m candles, so the moved candles stay fresh while the tests run
NOWHERE = "127.0.0.1:9"
SYMBOLS = ["BTCUSDT_BINANCE", "ETH/USDT:USDT"]

# Crosses of the close over its 3-candle mean: a signal every few candles, computed causally.
STRATEGY = '''
class MeanCross:
    """Long when the close crosses above its short mean, short when it crosses below."""

    def __init__(self, params):
        self.n = params.get("n", 3)
        self.tp_pct = params.get("tp_pct", 2.0)
        self.sl_pct = params.get("sl_pct", 1.0)

    def generate_signals(self, data):
        mean = data["close"].rolling(self.n).mean()
        above = data["close"] > mean
        signals = []
        for i in range(self.n, len(data)):
            if above.iloc[i] != above.iloc[i - 1]:
                signals.append({"time": data.index[i], "type": "long" if above.iloc[i] else "short",
                                "price": float(data["close"].iloc[i])})
        return {"signals": signals}

    def calculate_tp_sl_levels(self, entry_price, side):
        up = 1 if side == "long" else -1
        return entry_price * (1 + up * self.tp_pct / 100), entry_price * (1 - up * self.sl_pct / 100)
'''

FAILING = '''
class Broken:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
        raise RuntimeError("no signals today")
'''


@pytest.fixture(scope="module")
def clock():
    return SteppedClock(START + 1000)


@pytest.fixture(scope="module")
def market(tmp_path_factory, clock):
    with stepped_market(tmp_path_factory.mktemp("md"), clock, SHIFT) as server:
        yield server


@pytest.fixture(scope="module")
def db_url(request, db_kind, tmp_path_factory):
    if db_kind == "postgresql":
        return request.getfixturevalue("postgres_server").database("live")
    return f"sqlite:///{tmp_path_factory.mktemp('live') / 'gw.db'}"


def start_gateway(sandbox, market, db_url) -> Gateway:
    return Gateway(sandbox.address, db_url, MARKETDATA_ADDR=market.address, BACKTEST_ADDR=NOWHERE,
                   GATEWAY_WEBHOOK_ALLOW="127.0.0.1/32", GATEWAY_WEBHOOK_BACKOFF_S="0.05",
                   GATEWAY_WEBHOOK_BACKOFF_MAX_S="0.5", GATEWAY_WEBHOOK_TIMEOUT_S="2",
                   GATEWAY_LIVE_MIN_INTERVAL_S="0.1", GATEWAY_LIVE_TICK_S="0.2", GATEWAY_LIVE_WINDOW="40",
                   GATEWAY_LIVE_LEASE_S="2", GATEWAY_LIVE_MAX_FAILURES="2",
                   GATEWAY_LIVE_MAX_CANDLE_AGE=str(MAX_CANDLE_AGE),
                   GATEWAY_LIVE_SYMBOLS="BTC/USDT:USDT,ETH/USDT:USDT,SOL/USDT:USDT,XRP/USDT:USDT").start()


@pytest.fixture(scope="module")
def gateway_proc(sandbox, market, db_url):
    holder = {"gateway": start_gateway(sandbox, market, db_url)}
    yield holder
    holder["gateway"].stop()


def client(holder) -> httpx.Client:
    return httpx.Client(base_url=holder["gateway"].url, timeout=60)


def deploy(api: httpx.Client, code: str, name: str, auto_run: bool = False) -> str:
    body = api.post("/api/ai/deploy", json={"code": code, "name": name, "auto_run": auto_run}).json()
    assert body["algorithm_id"], body
    return body["algorithm_id"]


def strategy_of(api: httpx.Client, algorithm_id: str) -> dict:
    strategies = api.get("/api/strategies").json()["strategies"]
    [found] = [s for s in strategies if s["algorithm_id"] == algorithm_id]
    return found


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def evaluated(api: httpx.Client, strategy_id: str, candle_ms: int) -> bool:
    strategy = api.get(f"/api/strategies/{strategy_id}").json()["strategy"]
    marks = strategy["last_candles"]
    wanted = dt.datetime.fromtimestamp(candle_ms / 1000, dt.UTC)
    return all(dt.datetime.fromisoformat(marks.get(f"5m:{s}", "1970-01-01T00:00:00+00:00")) >= wanted
               for s in SYMBOLS)


def expected_signals(sandbox_address: str, market_address: str, first_ms: int, last_ms: int,
                     symbols: list[str] = SYMBOLS) -> set:
    """What the backtest's signal rules make of the strategy on the same candles, on the bars first..last."""
    return live_market.expected_signals(STRATEGY, sandbox_address, market_address, first_ms, last_ms, symbols)


def test_strategy_management_api(gateway_proc):
    with client(gateway_proc) as api:
        deploy(api, "print('not a strategy')\nresult = 1", "Plain")
        algorithm_id = deploy(api, STRATEGY, "Means")
        strategy = strategy_of(api, algorithm_id)
        assert (strategy["status"], strategy["class_name"], strategy["name"]) == ("stopped", "MeanCross", "Means")
        assert strategy["params"] == {"n": 3, "tp_pct": 2.0, "sl_pct": 1.0}
        sid = strategy["id"]
        assert api.get(f"/api/strategies/{sid}").json()["strategy"]["id"] == sid
        assert api.get("/api/strategies/strat_nope").status_code == 404
        assert api.post("/api/strategies/strat_nope/start").status_code == 404
        assert api.post(f"/api/strategies/{sid}/stop").status_code == 409

        def field(reply):
            assert reply.status_code == 422, reply.text
            return reply.json()["fields"][0]["field"]
        assert field(api.post(f"/api/strategies/{sid}/start")) == "symbols"
        assert field(api.post(f"/api/strategies/{sid}/start", json={"symbols": ["BTC USDT"]})) == "symbols.0"
        assert field(api.post(f"/api/strategies/{sid}/start", json={"symbols": SYMBOLS, "timeframe": "7m"})) \
            == "timeframe"
        unknown = {"symbols": SYMBOLS, "webhook_endpoint_ids": [999]}
        assert field(api.post(f"/api/strategies/{sid}/start", json=unknown)) == "webhook_endpoint_ids"
        assert field(api.post(f"/api/strategies/{sid}/start", json={"symbols": SYMBOLS, "interval_seconds": 0})) \
            == "interval_seconds"
        assert field(api.post(f"/api/strategies/{sid}/start", json={"symbols": SYMBOLS, "price_source": "tea"})) \
            == "price_source"
        assert field(api.put(f"/api/strategies/{sid}/config", json={"params": "x"})) == "params"
        assert field(api.get("/api/strategies", params={"status": "bogus"})) == "status"

        updated = api.put(f"/api/strategies/{sid}/config", json={"params": {"n": 4}, "enabled": False}).json()
        assert updated["strategy"]["params"] == {"n": 4} and updated["strategy"]["enabled"] is False
        assert api.post(f"/api/strategies/{sid}/start", json={"symbols": SYMBOLS}).status_code == 409
        api.put(f"/api/strategies/{sid}/config", json={"params": {"n": 3}, "enabled": True})


def test_failing_strategy_stops_with_error(gateway_proc, clock):
    with client(gateway_proc) as api:
        sid = strategy_of(api, deploy(api, FAILING, "Broken"))["id"]
        started = api.post(f"/api/strategies/{sid}/start", json={"symbols": ["BTCUSDT_BINANCE"], "timeframe": "5m",
                                                                  "interval_seconds": 0.1})
        assert started.status_code == 200, started.text
        assert api.post(f"/api/strategies/{sid}/start").status_code == 409
        errored = wait_until(lambda: (s := api.get(f"/api/strategies/{sid}").json()["strategy"])["status"] == "error"
                             and s, what="status error")
        assert "no signals today" in errored["last_error"]
        assert errored["counters"]["consecutive_failures"] == 2 and errored["counters"]["errors"] == 2
        assert api.post(f"/api/strategies/{sid}/stop").status_code == 409


def test_live_signals_end_to_end_with_a_restart(gateway_proc, sandbox, market, db_url, clock):
    receiver = Receiver().start()
    try:
        with client(gateway_proc) as api:
            endpoint = api.post("/api/webhooks/endpoints", json={"url": receiver.url, "generate_secret": True}).json()
            secret = endpoint["endpoint"]["secret"]
            receiver.answer(500, 500)  # the first signal's delivery gets through on its third attempt
            sid = strategy_of(api, deploy(api, STRATEGY, "Live means"))["id"]
            reply = api.post(f"/api/strategies/{sid}/start", json={
                "symbols": SYMBOLS, "price_source": "ccxt", "timeframe": "5m", "interval_seconds": 0.1,
                "webhook_endpoint_ids": [endpoint["endpoint"]["id"]]})
            assert reply.status_code == 200, reply.text
            assert reply.json()["strategy"]["status"] == "running"
            first = clock.newest_closed()
            wait_until(lambda: evaluated(api, sid, first), what="the first candle")
            summary = api.get("/api/console/summary").json()["summary"]
            assert summary["active_streams"] == 2 and summary["running_strategies"] == 1
            running = api.get("/api/console/running").json()
            assert [s["id"] for s in running["strategies"]] == [sid]
        for step in range(1, 7):
            if step == 3:
                gateway_proc["gateway"].process.kill()
                clock.now += STEP  # a candle closes while the gateway is down
                gateway_proc["gateway"] = start_gateway(sandbox, market, db_url)
            else:
                clock.now += STEP
            last = clock.newest_closed()
            with client(gateway_proc) as api:
                wait_until(lambda last=last: evaluated(api, sid, last), what=f"candle {last}")
        expected = expected_signals(sandbox.address, market.address, first, last)
        with client(gateway_proc) as api:
            stored = api.get(f"/api/strategies/{sid}/signals", params={"limit": 1000}).json()["signals"]
            wait_until(lambda: len(receiver.accepted()) >= len(expected), what="every delivery")
            time.sleep(0.3)  # a late duplicate would arrive now
            strategy = api.get(f"/api/strategies/{sid}").json()["strategy"]
            deliveries = api.get("/api/webhooks/deliveries",
                                 params={"endpoint_id": endpoint["endpoint"]["id"], "limit": 500}).json()
            api.post(f"/api/strategies/{sid}/stop")
        accepted = receiver.accepted()
        payloads = [json.loads(r.body) for r in accepted]
        got = {(p["symbol"], p["candle_time_ms"], p["signal"], p["price"]) for p in payloads}
        assert len(expected) >= 4, expected
        assert got == expected
        assert len(payloads) == len(got) == len(stored) == strategy["counters"]["signals"]
        assert len({r.headers["webhook-id"] for r in accepted}) == len(accepted)
        assert all(verify(secret, r.headers, r.body) for r in accepted)
        for p in payloads:
            assert p["side"] == ("BUY_MARKET" if p["signal"] == "long" else "SELL_MARKET")
            assert p["strategy"] == "Live means" and p["timeframe"] == "5" and p["market_type"] == "CRYPTO_FUTURES"
            assert p["tp_pct"] == pytest.approx(2.0) and p["sl_pct"] == pytest.approx(1.0)
        assert [r.status for r in receiver.requests[:3]] == [500, 500, 200]
        assert all(d["status"] == "delivered" for d in deliveries["deliveries"])
        assert deliveries["count"] == len(expected)
    finally:
        receiver.stop()


def test_console_counts_agree(gateway_proc):
    with client(gateway_proc) as api:
        status = api.get("/api/console/status").json()
        strategies = api.get("/api/strategies").json()["strategies"]
        executions = api.get("/api/ai/executions", params={"limit": 500}).json()["count"]
        light = api.get("/api/console/summary").json()["summary"]
    summary = status["summary"]
    assert set(summary) == {"total_strategies", "running_strategies", "enabled_strategies", "total_symbols",
                            "enabled_symbols", "active_streams", "ai_executions_count", "saved_algorithms_count"}
    assert summary["total_strategies"] == len(strategies) == 3
    assert summary["running_strategies"] == sum(s["status"] == "running" for s in strategies) == 0
    assert summary["enabled_strategies"] == 3
    assert summary["saved_algorithms_count"] == len(status["saved_algorithms"]) == 4
    assert summary["ai_executions_count"] == executions == len(status["ai_executions"])
    assert (summary["total_symbols"], summary["enabled_symbols"]) == (4, 2)
    assert summary["active_streams"] == 0 and status["streams"] == []
    assert {s["id"] for s in status["strategies"]} == {s["id"] for s in strategies}
    assert sum(a["strategy_id"] is not None for a in status["saved_algorithms"]) == 3
    assert light == summary


def checks_after(api: httpx.Client, strategy_id: str, rounds: int) -> dict:
    """The strategy once the runner has checked its candles `rounds` more times."""
    seen = set()

    def checked():
        strategy = api.get(f"/api/strategies/{strategy_id}").json()["strategy"]
        seen.add(strategy["freshness"][0]["checked_at"] if strategy["freshness"] else None)
        return len(seen) > rounds and strategy
    return wait_until(checked, what=f"{rounds} more rounds")


def test_stale_candles_are_never_acted_on_and_a_fresh_one_signals_once(gateway_proc, sandbox, market, clock):
    symbol = "BTC/USDT:USDT"
    old = [t for _, t, _, _ in expected_signals(sandbox.address, market.address, OLD - 30 * STEP, OLD - STEP,
                                                [symbol])]
    assert old, "the bundled candles give no signal to test with"
    candle = max(old)  # evaluated, this bundled candle would give a signal
    clock.now = candle + STEP + 1000  # market data's newest closed candle: `candle`, from the store (bundled)
    receiver = Receiver().start()
    try:
        with client(gateway_proc) as api:
            endpoint = api.post("/api/webhooks/endpoints", json={"url": receiver.url}).json()["endpoint"]
            deployed = api.post("/api/ai/deploy", json={"code": STRATEGY, "name": "Stale guard", "auto_run": False})
            sid = deployed.json()["strategy"]["id"]
            reply = api.post(f"/api/strategies/{sid}/start", json={
                "symbols": [symbol], "timeframe": "5m", "interval_seconds": 0.1,
                "webhook_endpoint_ids": [endpoint["id"]]})
            assert reply.status_code == 200, reply.text
            started = reply.json()
            assert started["strategy"]["status"] == "running" and started["strategy"]["state"] == "stale_data"
            assert started["message"].startswith("started, waiting for a fresh candle")
            [seen] = started["strategy"]["freshness"]
            assert (seen["symbol"], seen["candle_time"], seen["fresh"]) == (symbol, iso(candle), False)
            assert seen["max_age_seconds"] == MAX_CANDLE_AGE * 300
            assert seen["age_seconds"] > 100 * 86400  # the bundled candles are months old

            stale = checks_after(api, sid, 3)
            assert (stale["status"], stale["state"]) == ("running", "stale_data")
            assert f"{symbol} 5m" in stale["state_reason"] and "GATEWAY_LIVE_MAX_CANDLE_AGE" in stale["state_reason"]
            assert stale["freshness"][0]["age_seconds"] > stale["freshness"][0]["max_age_seconds"]
            assert stale["last_candles"] == {} and stale["counters"]["signals"] == 0 and stale["last_error"] is None
            assert api.get(f"/api/strategies/{sid}/signals").json()["count"] == 0
            console = api.get("/api/console/status").json()
            [shown] = [s for s in console["strategies"] if s["id"] == sid]
            assert shown["state"] == "stale_data" and shown["state_reason"] == stale["state_reason"]
            [stream] = [s for s in console["streams"] if s["strategy_id"] == sid]
            assert stream["fresh"] is False and stream["candle_age_seconds"] > 100 * 86400

            clock.now = candle + SHIFT + STEP + 1000  # the same candle, moved: fresh, from the exchange double
            wait_until(lambda: api.get(f"/api/strategies/{sid}/signals").json()["count"] == 1, what="the signal")
            receiver.wait_for(1)
            live = checks_after(api, sid, 3)  # later rounds see the same newest candle: nothing new
            signals = api.get(f"/api/strategies/{sid}/signals").json()["signals"]
            deliveries = api.get("/api/webhooks/deliveries", params={"endpoint_id": endpoint["id"]}).json()
            api.post(f"/api/strategies/{sid}/stop")
        assert (live["state"], live["state_reason"], live["freshness"][0]["fresh"]) == ("live", None, True)
        assert live["counters"]["signals"] == 1 and len(signals) == 1 and deliveries["count"] == 1
        assert signals[0]["payload"]["candle_time_ms"] == candle + SHIFT
        assert [json.loads(r.body)["signal_id"] for r in receiver.requests] == [signals[0]["signal_id"]]
    finally:
        receiver.stop()


QUIET = '''
class Quiet:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
        return {"signals": []}
'''


def test_deploy_names_its_strategy_or_says_why_none(gateway_proc):
    with client(gateway_proc) as api:
        def deployed(code: str, **extra):
            return api.post("/api/ai/deploy", json={"code": code, "name": "Named", "auto_run": False, **extra})

        plain = deployed("result = 1").json()
        assert plain["success"] and plain["algorithm_id"] and plain["strategy"] is None
        assert "no class with a generate_signals(self, data) method" in plain["strategy_reason"]

        one = deployed(STRATEGY).json()
        assert one["strategy_reason"] is None
        assert (one["strategy"]["class_name"], one["strategy"]["status"]) == ("MeanCross", "stopped")
        assert one["strategy"]["params"] == {"n": 3, "tp_pct": 2.0, "sl_pct": 1.0}
        stored = api.get(f"/api/strategies/{one['strategy']['id']}").json()["strategy"]
        assert (stored["algorithm_id"], stored["class_name"], stored["state"]) == (one["algorithm_id"], "MeanCross",
                                                                                  "stopped")

        saved = api.get("/api/console/summary").json()["summary"]["saved_algorithms_count"]
        two = deployed(STRATEGY + FAILING)
        assert two.status_code == 422, two.text
        [problem] = two.json()["fields"]
        assert problem["field"] == "strategy_class" and "(MeanCross, Broken)" in problem["reason"]
        assert api.get("/api/console/summary").json()["summary"]["saved_algorithms_count"] == saved

        chosen = deployed(STRATEGY + FAILING, strategy_class="Broken").json()
        assert chosen["strategy"]["class_name"] == "Broken"
        assert api.get(f"/api/strategies/{chosen['strategy']['id']}").json()["strategy"]["class_name"] == "Broken"
        for wrong, listed in (("Nope", "MeanCross, Broken"), ("Quiet", "defines no strategy class")):
            reply = deployed(STRATEGY + FAILING if wrong == "Nope" else "result = 1", strategy_class=wrong)
            assert reply.status_code == 422 and reply.json()["fields"][0]["field"] == "strategy_class"
            assert listed in reply.json()["fields"][0]["reason"]


def test_a_start_checks_the_endpoints_again_and_send_skips_disabled_ones(gateway_proc, clock):
    clock.now = START + 1000
    receiver = Receiver().start()
    try:
        with client(gateway_proc) as api:
            kept, deleted = (api.post("/api/webhooks/endpoints", json={"url": receiver.url}).json()["endpoint"]["id"]
                             for _ in range(2))
            sid = api.post("/api/ai/deploy", json={"code": QUIET, "name": "Quiet", "auto_run": False}
                           ).json()["strategy"]["id"]
            first = api.post(f"/api/strategies/{sid}/start", json={
                "symbols": ["BTC/USDT:USDT"], "timeframe": "5m", "webhook_endpoint_ids": [kept, deleted]})
            assert first.status_code == 200 and first.json()["warnings"] == [], first.text
            assert first.json()["strategy"]["state"] == "live"
            api.post(f"/api/strategies/{sid}/stop")
            assert api.delete(f"/api/webhooks/endpoints/{deleted}").status_code == 200

            again = api.post(f"/api/strategies/{sid}/start")  # no body: the stored endpoints, one of them deleted
            assert again.status_code == 422, again.text
            [problem] = again.json()["fields"]
            assert problem["field"] == "webhook_endpoint_ids"
            assert f"webhook endpoint {deleted}, which no longer exists" in problem["reason"]
            assert api.get(f"/api/strategies/{sid}").json()["strategy"]["status"] == "stopped"

            assert api.put(f"/api/webhooks/endpoints/{kept}", json={"enabled": False}).status_code == 200
            disabled = f"webhook endpoint {kept} is disabled: its deliveries are skipped until it is enabled"
            replaced = api.post(f"/api/strategies/{sid}/start", json={"webhook_endpoint_ids": [kept]})
            assert replaced.status_code == 200 and replaced.json()["warnings"] == [disabled], replaced.text
            api.post(f"/api/strategies/{sid}/stop")
            stored = api.post(f"/api/strategies/{sid}/start")
            assert stored.status_code == 200 and stored.json()["warnings"] == [disabled], stored.text
            api.post(f"/api/strategies/{sid}/stop")

            payload = {"symbol": "BTCUSDT", "side": "BUY_MARKET", "price": 50000.0}
            skipped = api.post("/api/webhook/send", json={"endpoint_id": kept, **payload})
            assert skipped.status_code == 200, skipped.text
            body = skipped.json()
            assert (body["success"], body["delivery"]) == (False, None)
            assert f"webhook endpoint {kept} is disabled" in body["skipped"] and "include_disabled" in body["skipped"]
            assert api.post("/api/webhook/test", json={"endpoint_id": kept}).json()["delivery"] is None
            assert receiver.requests == []
            forced = api.post("/api/webhook/send", json={"endpoint_id": kept, "include_disabled": True, **payload})
            assert forced.json()["success"] is True and forced.json()["delivery"]["status"] == "delivered"
        [got] = receiver.requests
        assert json.loads(got.body) == {"market_type": "CRYPTO_FUTURES", "signal_type": "MANUAL",
                                        "risk_level": "BALANCED", "timeframe": "15", **payload}
    finally:
        receiver.stop()
