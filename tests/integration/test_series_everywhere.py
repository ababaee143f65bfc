"""`BTC/USDT` and `BTC/USDT:USDT` are different series, and every endpoint says which one it used (issue 10):
candles, symbols, backtests and a strategy's configuration. Real gateway and services, bundled candles."""

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

STRATEGY = '''
class Quiet:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
        return []
'''
SPOT = {"symbol": "BTC/USDT", "type": "CRYPTO_SPOT", "exchange": "binance"}
PERP = {"symbol": "BTC/USDT:USDT", "type": "CRYPTO_FUTURE", "exchange": "binance"}


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


def test_a_strategy_config_names_the_series_of_each_symbol(api):
    deployed = api.post("/api/ai/deploy", json={"code": STRATEGY, "name": "series", "auto_run": False}).json()
    strategy = deployed["strategy"]["id"]
    started = api.post(f"/api/strategies/{strategy}/start",
                       json={"symbols": ["BTC/USDT", "BTC/USDT:USDT", "ETHUSDT_BINANCE"], "timeframe": "1h",
                             "interval_seconds": 3600})
    assert started.status_code == 200, started.text
    series = started.json()["strategy"]["config"]["series"]
    assert series == [SPOT, PERP, {"symbol": "ETH/USDT:USDT", "type": "CRYPTO_FUTURE", "exchange": "binance"}]
    assert api.post(f"/api/strategies/{strategy}/stop").status_code == 200
    changed = api.put(f"/api/strategies/{strategy}/config", json={"symbols": ["btcusdt_binance"], "timeframe": "4h"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["strategy"]["config"]["series"] == [PERP]
    assert api.get(f"/api/strategies/{strategy}").json()["strategy"]["config"]["series"] == [PERP]


def test_every_endpoint_names_the_series_it_used(api):
    listed = {(s["symbol"], s["type"]) for s in api.get("/api/backtest/symbols").json()["symbols"]}
    assert {(SPOT["symbol"], SPOT["type"]), (PERP["symbol"], PERP["type"])} <= listed
    for asked, expected in (("BTC/USDT", SPOT), ("BTC/USDT:USDT", PERP)):
        candles = api.get("/api/marketdata/candles", params={"symbol": asked, "limit": 24}).json()
        assert {k: candles[k] for k in ("symbol", "type", "exchange")} == expected
        backtest = api.post("/api/backtest/run", json={"code": STRATEGY, "backtest_config": {
            "symbol": asked, "limit": 24}}).json()
        config = backtest["config"]
        assert (config["symbol"], config["symbol_type"], config["exchange"]) == tuple(expected.values())
        assert config["data_end"] == candles["last"]


def test_a_strategy_on_a_series_without_candles_is_a_404_saying_which(api):
    deployed = api.post("/api/ai/deploy", json={"code": STRATEGY, "name": "no data", "auto_run": False}).json()
    reply = api.post(f"/api/strategies/{deployed['strategy']['id']}/start",
                     json={"symbols": ["ETH/USDT"], "timeframe": "1m"})
    assert reply.status_code == 404
    assert "no candles for ETH/USDT (CRYPTO_SPOT) 1m on binance" in reply.json()["error"]
