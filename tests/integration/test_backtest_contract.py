"""What the docs promise about backtests is what the API does (issue 10): one resolution of symbols, one list
of timeframes, no candles as a 404 with its reason, ISO times, the documented config fields, and the
contract's own template as the example. Real gateway, backtest, market data (bundled candles) and sandbox."""

import re
from pathlib import Path

import httpx
import pandas as pd
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
# A strategy that trades often: a long every 10th candle, a short every 10th from the 5th.
EVERY_FEW = '''
class Alternate:
    def __init__(self, params):
        pass

    def generate_signals(self, data):
        closes = data["close"]
        return [{"time": t, "type": "long" if i % 10 == 0 else "short", "price": float(closes.iloc[i])}
                for i, t in enumerate(data.index) if i % 5 == 0]
'''


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


def run(api, config, code=EVERY_FEW, params=None):
    return api.post("/api/backtest/run", json={"code": code, "backtest_config": config,
                                               "strategy_params": params or {}})


def test_the_spelling_decides_the_market_and_the_reply_names_the_series(api):
    spot = run(api, {"symbol": "BTC/USDT", "limit": 100}).json()
    perp = run(api, {"symbol": "BTC/USDT:USDT", "limit": 100}).json()
    assert spot["success"] is True and perp["success"] is True
    assert (spot["config"]["symbol"], spot["config"]["symbol_type"]) == ("BTC/USDT", "CRYPTO_SPOT")
    assert (perp["config"]["symbol"], perp["config"]["symbol_type"]) == ("BTC/USDT:USDT", "CRYPTO_FUTURE")
    candles = api.get("/api/marketdata/candles", params={"symbol": "BTC/USDT", "limit": 100}).json()
    assert spot["config"]["data_end"] == candles["last"] and candles["type"] == "CRYPTO_SPOT"
    assert spot["config"]["data_end"] != perp["config"]["data_end"]  # the bundled series end at different hours
    assert {t["side"] for t in spot["trades"]} == {"long"}  # spot: shorts only close longs
    bare = run(api, {"symbol": "BTCUSDT", "symbol_type": "CRYPTO_SPOT", "limit": 100}).json()
    assert bare["config"]["symbol"] == "BTC/USDT" and bare["trades"] == spot["trades"]


def test_a_symbol_type_that_contradicts_the_spelling_is_a_422_naming_both(api):
    reply = run(api, {"symbol": "BTC/USDT", "symbol_type": "CRYPTO_FUTURE"})
    assert reply.status_code == 422
    (problem,) = reply.json()["fields"]
    assert problem["field"] == "backtest_config.symbol_type"
    assert "CRYPTO_FUTURE conflicts with symbol 'BTC/USDT', which is CRYPTO_SPOT" in problem["reason"]


def test_every_listed_timeframe_runs_and_unlisted_ones_say_why(api):
    listing = api.get("/api/backtest/symbols").json()
    eth = next(s for s in listing["symbols"] if s["symbol"] == "ETH/USDT:USDT")
    assert {"6h", "8h", "12h"} <= set(eth["timeframes"]) and "1m" not in eth["timeframes"]
    for timeframe in ("6h", "12h"):
        body = run(api, {"symbol": "ETH/USDT:USDT", "timeframe": timeframe, "limit": 50}).json()
        assert body["success"] is True and body["config"]["timeframe"] == timeframe
        assert body["config"]["resampled_from"] == "1h" and body["config"]["data_points"] == 50
    missing = run(api, {"symbol": "ETH/USDT:USDT", "timeframe": "1m", "limit": 50})
    assert missing.status_code == 404
    assert "no candles for ETH/USDT:USDT (CRYPTO_FUTURE) 1m on binance" in missing.json()["error"]


def test_no_candles_in_a_range_is_a_404_naming_symbol_timeframe_and_range(api):
    reply = run(api, {"symbol": "SOL/USDT", "timeframe": "1h", "start": "2020-01-01T00:00:00Z",
                      "end": "2020-02-01T00:00:00Z"})
    assert reply.status_code == 404
    error = reply.json()["error"]
    assert "no candles for SOL/USDT (CRYPTO_SPOT) 1h on binance with open times from 2020-01-01T00:00:00Z up to " \
           "2020-02-01T00:00:00Z" in error and "1h 2021-01-01T00:00:00Z..2026-05-16T17:00:00Z" in error


def test_a_range_echoes_the_candles_used_not_a_default_limit(api):
    body = run(api, {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}).json()
    config = body["config"]
    assert config["data_points"] == 744 and config["limit"] is None
    assert (config["start"], config["end"]) == ("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")
    assert (config["data_start"], config["data_end"]) == ("2025-01-01T00:00:00Z", "2025-01-31T23:00:00Z")
    capped = run(api, {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z", "limit": 100}).json()
    assert capped["config"]["limit"] == 100 and capped["config"]["data_points"] == 100


def test_every_time_in_a_result_is_iso_utc_with_z(api):
    body = run(api, {"limit": 300, "check_lookahead": True}).json()
    times = [body["config"]["data_start"], body["config"]["data_end"]]
    times += [t[k] for t in body["trades"] for k in ("entry_time", "exit_time")]
    times += [p["time"] for p in body["equity_curve"]]
    assert body["trades"] and all(ISO_Z.match(t) for t in times), [t for t in times if not ISO_Z.match(t)][:3]
    stored = api.get(f"/api/backtest/{body['backtest_id']}").json()
    assert stored["trades"] == body["trades"]


def test_documented_config_fields_work(api):
    plain = run(api, {"limit": 2000}).json()["metrics"]
    with_rate = run(api, {"limit": 2000, "risk_free_rate": 0.5}).json()["metrics"]
    assert with_rate["sharpe_ratio"] < plain["sharpe_ratio"]
    curve = run(api, {"limit": 300, "max_points": 8}).json()["equity_curve"]
    assert 2 <= len(curve) <= 8 and curve[0]["time"] < curve[-1]["time"]
    signals = run(api, {"limit": 300}).json()["signals"]
    assert {"total", "dropped", "entered", "closed_position", "disabled_direction", "skipped_size",
            "ignored"} <= set(signals)


@pytest.mark.parametrize(("body", "field"), [
    ({"code": EVERY_FEW, "config": {}}, "config"),
    ({"code": EVERY_FEW, "backtest_config": {"limit": 100, "symbols": "BTC/USDT"}}, "backtest_config.symbols"),
])
def test_unknown_keys_are_refused_by_name(api, body, field):
    reply = api.post("/api/backtest/run", json=body)
    assert reply.status_code == 422 and field in [f["field"] for f in reply.json()["fields"]]


def _documented_template() -> str:
    """The contract's strategy template as docs/api.md shows it (the python block of its template section)."""
    section = API_DOC.read_text().split("## Strategy code template", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_example_is_the_contracts_template_and_trades_like_it(api):
    example = api.get("/api/backtest/example").json()
    assert example["name"] == "seed_template" and example["examples"] == ["seed_template", "ema_cross"]
    documented = _documented_template()
    assert example["code"].strip() == documented.strip()
    assert ".ewm(span=9).mean()" in example["code"] and "adjust" not in example["code"]
    config = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 1000}
    from_example = run(api, config, example["code"], example["strategy_params"]).json()
    from_docs = run(api, config, documented, {"tp_pct": 2.0, "sl_pct": 1.0}).json()
    assert from_example["success"] is True and from_example["metrics"]["total_trades"] > 0
    assert from_example["trades"] == from_docs["trades"]
    # The seed's code run here, on the same candles, signals where the backtest entered.
    candles = api.get("/api/marketdata/candles", params={"symbol": "BTC/USDT:USDT", "limit": 1000}).json()["candles"]
    frame = pd.DataFrame({k: candles[k] for k in ("open", "high", "low", "close", "volume")},
                         index=pd.to_datetime(candles["time"]))
    namespace: dict = {}
    exec(compile(documented, "seed_template", "exec"), namespace)
    local = namespace["MyStrategy"]({"tp_pct": 2.0, "sl_pct": 1.0}).generate_signals(frame)["signals"]
    local_times = {s["time"].strftime("%Y-%m-%dT%H:%M:%SZ"): s["type"] for s in local}
    entries = {t["entry_time"]: t["side"] for t in from_example["trades"]}
    assert entries.items() <= local_times.items() and len(entries) >= len(local) - 1
    improved = api.get("/api/backtest/example", params={"name": "ema_cross"}).json()
    assert improved["name"] == "ema_cross" and "adjust=False" in improved["code"]
    improved_run = run(api, config, improved["code"], improved["strategy_params"]).json()
    assert improved_run["success"] is True and improved_run["trades"] != from_example["trades"]


def test_an_unknown_example_name_is_a_422(api):
    reply = api.get("/api/backtest/example", params={"name": "nope"})
    assert reply.status_code == 422 and reply.json()["fields"][0]["field"] == "name"
    assert "seed_template, ema_cross" in reply.json()["fields"][0]["reason"]
