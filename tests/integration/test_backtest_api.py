"""Backtests through the real stack: gateway, backtest, market data (bundled candles) and sandbox."""

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

SEED_CONFIG = {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": "CRYPTO_FUTURE",
               "initial_capital": 10000, "commission_rate": 0.0005, "limit": 500,
               "enabled_directions": ["long", "short"]}
SEED_METRICS = ("total_return", "total_return_pct", "cagr", "max_drawdown", "win_rate", "profit_factor",
                "sharpe_ratio", "total_trades", "winning_trades", "losing_trades", "avg_trade", "avg_win", "avg_loss")

LOOKAHEAD = '''
class Peek:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
        tomorrow = data["close"].shift(-1)
        signals = []
        for t in data.index:
            if tomorrow[t] > data["close"][t] * 1.01:
                signals.append({"time": t, "type": "long", "price": float(data["close"][t])})
        return {"signals": signals}
'''


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def template(api):
    example = api.get("/api/backtest/example", params={"name": "ema_cross"}).json()
    assert example["success"] is True and example["name"] == "ema_cross"
    return example["code"]


def test_seed_example_runs_with_every_seed_field(api, template):
    reply = api.post("/api/backtest/run", json={"code": template, "backtest_config": SEED_CONFIG,
                                                "strategy_params": {"tp_pct": 2.0, "sl_pct": 1.0}})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["success"] is True, body
    for name in SEED_METRICS:
        assert name in body["metrics"], name
    metrics = body["metrics"]
    assert metrics["total_trades"] > 0 and len(body["trades"]) == metrics["total_trades"]
    assert metrics["winning_trades"] + metrics["losing_trades"] + metrics["breakeven_trades"] == metrics["total_trades"]
    assert 0 <= metrics["win_rate"] <= 100 and 0 <= metrics["max_drawdown"] < 100
    final = 10000 + sum(t["net_pnl"] for t in body["trades"])
    assert metrics["total_return"] == pytest.approx(final - 10000, rel=1e-9)
    config = body["config"]
    assert (config["exchange"], config["symbol"], config["timeframe"]) == ("binance", "BTC/USDT:USDT", "1h")
    assert config["data_points"] == 500 and config["source"] == "bundled"
    assert config["data_end"] == "2026-02-19T17:00:00Z" and config["symbol_type"] == "CRYPTO_FUTURE"
    assert len(body["equity_curve"]) == 500
    assert body["equity_curve"][-1]["equity"] == pytest.approx(final, rel=1e-9)
    trade = body["trades"][0]
    assert {"side", "entry_time", "exit_time", "entry_price", "exit_price", "size", "exit_reason", "gross_pnl",
            "net_pnl", "fees", "return_pct"} <= set(trade)
    stored = api.get(f"/api/backtest/{body['backtest_id']}").json()
    assert stored["metrics"] == metrics and stored["trades"] == body["trades"]


def test_quick_uses_defaults(api, template):
    body = api.post("/api/backtest/quick", json={"code": template, "symbol": "ETHUSDT_BINANCE", "timeframe": "4h",
                                                 "exchange": "binance"}).json()
    assert body["success"] is True
    assert body["config"]["symbol"] == "ETH/USDT:USDT" and body["config"]["data_points"] == 500
    assert body["config"]["initial_capital"] == 10000


def test_validate_template_and_interface_problems(api, template):
    assert api.post("/api/backtest/validate", json={"code": template}).json()["validation"] == {
        "valid": True, "errors": [], "warnings": []}
    bare = "class S:\n    def generate_signals(self, data):\n        return []\n"
    bare_result = api.post("/api/backtest/validate", json={"code": bare}).json()["validation"]
    assert bare_result["valid"] is True
    assert [w["rule"] for w in bare_result["warnings"]] == ["missing-method", "missing-method"]
    no_params = bare.replace("class S:\n", "class S:\n    def __init__(self):\n        pass\n\n")
    no_params_result = api.post("/api/backtest/validate", json={"code": no_params}).json()["validation"]
    assert "init-params" in {w["rule"] for w in no_params_result["warnings"]}
    two = bare + "\nclass T(S):\n    def generate_signals(self, data):\n        return []\n"
    errors = api.post("/api/backtest/validate", json={"code": two}).json()["validation"]["errors"]
    assert errors[0]["rule"] == "several-strategies" and "S, T" in errors[0]["message"] and errors[0]["line"] == 5
    none = api.post("/api/backtest/validate", json={"code": "x = 1"}).json()["validation"]
    assert none["valid"] is False and none["errors"][0]["rule"] == "no-strategy"
    blocked = api.post("/api/backtest/validate", json={"code": "import os\n" + bare}).json()["validation"]
    assert blocked["errors"][0]["rule"] == "blocked-import"


@pytest.mark.parametrize(("config", "field"), [
    ({"exchange": "kraken"}, "backtest_config.exchange"),
    ({"symbol": "NOPE/USD:USDT"}, "backtest_config.symbol"),
    ({"timeframe": "3h"}, "backtest_config.timeframe"),
    ({"symbol": "BTC/USDT", "symbol_type": "CRYPTO_FUTURE"}, "backtest_config.symbol_type"),
    ({"max_points": 7}, "backtest_config.max_points"),
    ({"risk_free_rate": 2}, "backtest_config.risk_free_rate"),
    ({"riskfree_rate": 0.04}, "backtest_config.riskfree_rate"),
    ({"enabled_directions": ["up"]}, "backtest_config.enabled_directions.0"),
    ({"initial_capital": -5}, "backtest_config.initial_capital"),
    ({"commission_rate": 0.2}, "backtest_config.commission_rate"),
    ({"limit": 5}, "backtest_config.limit"),
    ({"limit": 2_000_000}, "backtest_config.limit"),
])
def test_bad_configs_are_4xx_naming_the_field(api, template, config, field):
    reply = api.post("/api/backtest/run", json={"code": template, "backtest_config": config})
    assert reply.status_code == 422, reply.text
    assert field in [f["field"] for f in reply.json()["fields"]]


def test_strategy_exception_is_success_false_with_traceback(api, template):
    broken = template.replace("fast = close.ewm", "fast = 1 / 0 + close.ewm")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "1 / 0" in text)
    body = api.post("/api/backtest/run", json={"code": broken}).json()
    assert body["success"] is False
    assert body["error"]["type"] == "ZeroDivisionError" and body["error"]["line"] == line
    assert f"line {line}, in generate_signals" in body["error"]["traceback"]


def test_malformed_signals_are_dropped_with_warnings(api):
    code = '''
class S:
    def __init__(self, params):
        pass

    def generate_signals(self, data):
        t = data.index[10]
        return [{"time": t, "type": "LONG", "price": float(data["close"].iloc[10])},
                {"time": "1999-01-01", "type": "long", "price": 1.0},
                {"time": data.index[20], "type": "sideways", "price": float(data["close"].iloc[20])},
                {"time": int(data.index[30].timestamp() * 1000), "type": "sell", "price": 1e12}]
'''
    body = api.post("/api/backtest/run", json={"code": code}).json()
    assert body["success"] is True
    assert body["signals"]["dropped"] == 3 and body["metrics"]["total_trades"] == 1
    warning = next(w for w in body["warnings"] if "dropped" in w)
    assert "sideways" in warning and "1999-01-01" in warning


def test_lookahead_is_flagged_and_the_template_is_not(api, template):
    config = {"check_lookahead": True, "limit": 300}
    peek = api.post("/api/backtest/run", json={"code": LOOKAHEAD, "backtest_config": config}).json()
    assert peek["success"] is True
    assert peek["lookahead"]["clean"] is False and peek["lookahead"]["suspicious"]
    assert any("lookahead" in w for w in peek["warnings"])
    clean = api.post("/api/backtest/run", json={"code": template, "backtest_config": config}).json()
    assert clean["lookahead"]["clean"] is True and clean["lookahead"]["checked_cuts"] > 0


def test_unknown_backtest_id_is_404(api):
    assert api.get("/api/backtest/bt_missing").status_code == 404
