"""The REST replies of backtests do not change when the backtest contract does (issue 13): representative
backtests through the real gateway, backtest node, market data (bundled candles) and sandbox, each reply
compared, key order and float values included, with a JSON snapshot recorded from the code before the proto
was typed (BOTMOON_UPDATE_SNAPSHOT=1 rewrites them, so a change is deliberate). The stored copy
(GET /api/backtest/{id}) must be the same document.

Every config names its range (start/end): the replies then depend only on those candles, not on how much
data is bundled."""

import json
import os
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

SNAPSHOTS = Path(__file__).parent / "snapshots" / "backtest_rest"
# What differs between two runs of the same backtest.
VOLATILE = ("backtest_id", "duration_ms", "node", "request_id")

EMA_CROSS = '''
import pandas as pd


class EMACrossStrategy:
    def __init__(self, params=None):
        params = params or {}
        self.fast = int(params.get("fast_period", 9))
        self.slow = int(params.get("slow_period", 21))
        self.tp_pct = float(params.get("tp_pct", 2.0))
        self.sl_pct = float(params.get("sl_pct", 1.0))
        self.risk_pct = float(params.get("risk_pct", 2.0))

    def generate_signals(self, data: pd.DataFrame) -> dict:
        close = data["close"]
        fast = close.ewm(span=self.fast, adjust=False).mean()
        slow = close.ewm(span=self.slow, adjust=False).mean()
        above = fast > slow
        crossed_up = above & ~above.shift(1, fill_value=False)
        crossed_down = ~above & above.shift(1, fill_value=False)
        signals = []
        for time in data.index[self.slow:]:
            if crossed_up[time]:
                signals.append({"time": time, "type": "long", "price": float(close[time])})
            elif crossed_down[time]:
                signals.append({"time": time, "type": "short", "price": float(close[time])})
        print("signals:", len(signals))
        return {"signals": signals}

    def calculate_tp_sl_levels(self, entry_price: float, side: str):
        if side == "long":
            return entry_price * (1 + self.tp_pct / 100), entry_price * (1 - self.sl_pct / 100)
        return entry_price * (1 - self.tp_pct / 100), entry_price * (1 + self.sl_pct / 100)

    def calculate_position_size(self, capital: float, entry_price: float, sl_price, side: str) -> float:
        risk_amount = capital * self.risk_pct / 100
        if sl_price is None or abs(entry_price - sl_price) == 0:
            return risk_amount / entry_price
        return risk_amount / abs(entry_price - sl_price)
'''

# No levels, no sizer: a long every 10th candle, a short every 10th from the 5th.
ALTERNATE = '''
class Alternate:
    def __init__(self, params):
        self.every = int(params.get("every", 5))

    def generate_signals(self, data):
        closes = data["close"]
        return [{"time": t, "type": "long" if i % (2 * self.every) == 0 else "short",
                 "price": float(closes.iloc[i])} for i, t in enumerate(data.index) if i % self.every == 0]
'''

PEEK = '''
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

SILENT = '''
class Silent:
    def __init__(self, params):
        pass

    def generate_signals(self, data):
        return []
'''

RAISES = '''
class Raises:
    def __init__(self, params):
        pass

    def generate_signals(self, data):
        print("about to fail")
        return {"signals": [1 / 0]}
'''

BAD_SIGNALS = '''
class BadSignals:
    def __init__(self, params):
        pass

    def generate_signals(self, data):
        return [{"time": "not a time", "type": "sideways", "price": 1.0}]
'''

NOT_SIGNALS = SILENT.replace("return []", "return {'orders': []}")

BLOCKED = "import os\n" + SILENT

FUTURES_RANGE = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2025-03-01T00:00:00Z",
                 "end": "2025-04-01T00:00:00Z"}

CASES = {
    "levels_and_size": (EMA_CROSS, {**FUTURES_RANGE, "commission_rate": 0.001, "initial_capital": 5000},
                        {"fast_period": 7, "slow_period": 30, "tp_pct": 3.0, "sl_pct": 1.5}),
    "no_levels": (ALTERNATE, {**FUTURES_RANGE, "opposite_signal": "close_only", "entry_timing": "next_open"},
                  {"every": 7}),
    "lookahead_clean": (EMA_CROSS, {**FUTURES_RANGE, "check_lookahead": True}, {}),
    "lookahead_suspicious": (PEEK, {**FUTURES_RANGE, "check_lookahead": True}, {}),
    "no_trades_null_metrics": (SILENT, FUTURES_RANGE, {}),
    "strategy_exception": (RAISES, FUTURES_RANGE, {}),
    "signals_dropped": (BAD_SIGNALS, FUTURES_RANGE, {}),
    "signal_format_error": (NOT_SIGNALS, FUTURES_RANGE, {}),
    "rejected_code": (BLOCKED, FUTURES_RANGE, {}),
    "spot": (ALTERNATE, {"symbol": "ETH/USDT", "timeframe": "1h", "start": "2025-05-01T00:00:00Z",
                         "end": "2025-05-15T00:00:00Z", "enabled_directions": ["long"], "risk_free_rate": 0.04},
             {"every": 4}),
    "futures_leverage": (EMA_CROSS, {**FUTURES_RANGE, "symbol": "SOL/USDT:USDT", "symbol_type": "CRYPTO_FUTURE",
                                     "max_leverage": 3, "both_hit": "tp", "enabled_directions": ["short"]},
                         {"risk_pct": 20}),
    "max_points_small": (EMA_CROSS, {**FUTURES_RANGE, "max_points": 20}, {"fast_period": 5, "slow_period": 12}),
    "resampled_6h": (ALTERNATE, {"symbol": "ETH/USDT:USDT", "timeframe": "6h", "start": "2025-01-01T00:00:00Z",
                                 "end": "2025-06-01T00:00:00Z"}, {"every": 3}),
    "range_with_gaps": (EMA_CROSS, {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2024-12-28T00:00:00Z",
                                    "end": "2025-01-20T00:00:00Z"}, {}),
    "limit_from_start": (ALTERNATE, {"symbol": "BTC/USDT:USDT", "timeframe": "4h", "start": "2025-02-01T00:00:00Z",
                                     "limit": 60}, {}),
}


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


def comparable(document: dict) -> str:
    """The reply without what differs between runs, as JSON text: equal text means equal keys, order and values."""
    return json.dumps({k: v for k, v in document.items() if k not in VOLATILE}, indent=1, ensure_ascii=False,
                      allow_nan=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_reply_is_the_recorded_one(api, case):
    code, config, params = CASES[case]
    reply = api.post("/api/backtest/run", json={"code": code, "backtest_config": config, "strategy_params": params})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {"backtest_id", "node", "request_id"} <= set(body)
    snapshot = SNAPSHOTS / f"{case}.json"
    if os.environ.get("BOTMOON_UPDATE_SNAPSHOT"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(comparable(body) + "\n")
    expected = snapshot.read_text().rstrip("\n")
    assert comparable(body) == expected, f"{case}: the reply differs from {snapshot.name}"
    stored = api.get(f"/api/backtest/{body['backtest_id']}")
    assert stored.status_code == 200 and comparable(stored.json()) == expected
