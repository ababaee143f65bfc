"""Cross-check against backtesting.py on the bundled real BTC/USDT 1h candles.

Both engines get the same EMA(9)/EMA(21) crossover signals at the signal candle's close, the same
TP/SL prices and the same sizes; they must produce the same trades and final equities within
1e-6 relative. backtesting.py is set up to match our semantics:

- `trade_on_close=True`: a market order fills at the close of the candle it was placed on.
- `exclusive_orders=True`: an opposite order closes the open trade first (our `reverse`); the
  strategy below skips a same-side signal while in a position, as our engine does.
- `commission=rate`: charged on the notional at entry and at exit, like ours.
- whole-unit sizes (backtesting.py reads sizes below 1 as a fraction of equity).
- `finalize_trades=True` closes what is open at the end, but at the *second-to-last* close
  (it re-runs its broker on the last candle with `trade_on_close` reading the previous close), so
  a copy of the last candle is appended for it: its final close is then our last close. Signals on
  the last candle are left out, since backtesting.py would check their TP/SL on that copy.
"""

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from botmoon_backtest.domain import Candles, ExitReason, Levels, Signals, SimulationSettings, simulate

# The real Binance candles the project ships (services/marketdata/.../bundled, see docs/marketdata.md).
DATA = (Path(__file__).resolve().parents[2] / "marketdata" / "botmoon_marketdata" / "bundled"
        / "binance-spot-since2021_BTCUSDT_1h.csv.gz")
# The span these cases were first checked on (2024-09-14 00:00 → 2026-02-19 03:00), which has no halt.
SPAN_MS = (1_726_272_000_000, 1_771_470_000_000)
CAPITAL = 1_000_000.0

@pytest.fixture(scope="module")
def market():
    frame = pd.read_csv(DATA)
    frame = frame[frame["timestamp"].between(*SPAN_MS)].reset_index(drop=True)
    candles = Candles.from_arrays(frame["timestamp"], frame["open"], frame["high"], frame["low"], frame["close"])
    close = frame["close"]
    above = (close.ewm(span=9, adjust=False).mean() > close.ewm(span=21, adjust=False).mean()).to_numpy()
    crossed = np.zeros(len(frame), dtype=bool)
    crossed[1:] = above[1:] != above[:-1]
    crossed[-1] = False
    index = np.flatnonzero(crossed)
    signals = Signals.from_arrays(index, np.where(above[index], 1, -1), candles.close[index])
    return candles, signals


CASES = {
    "tp2_sl1_fee5bp_1btc": {"tp": 0.02, "sl": 0.01, "rate": 0.0005, "sizes": [1]},
    "no_levels_fee10bp": {"tp": None, "sl": None, "rate": 0.001, "sizes": [1]},
    "tp3_sl1.5_sizes_1_2_3": {"tp": 0.03, "sl": 0.015, "rate": 0.0004, "sizes": [1, 2, 3]},
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_trades_and_final_equity_as_backtesting_py(market, name):
    case = CASES[name]
    candles, signals = market
    sizes = np.resize(np.array(case["sizes"], dtype=float), len(signals))
    tp = signals.price * (1 + case["tp"] * signals.side) if case["tp"] else np.full(len(signals), np.nan)
    sl = signals.price * (1 - case["sl"] * signals.side) if case["sl"] else np.full(len(signals), np.nan)
    ours = simulate(candles, signals, SimulationSettings(initial_capital=CAPITAL, commission_rate=case["rate"]),
                    size=sizes, levels=Levels(tp=tp, sl=sl))
    theirs = _run_backtesting_py(candles, signals, sizes, tp, sl, case["rate"])

    t = ours.trades
    assert len(t) == len(theirs) > 100
    assert t.entry_bar.tolist() == theirs["EntryBar"].tolist()
    assert t.exit_bar.tolist() == theirs["ExitBar"].tolist()
    np.testing.assert_allclose(t.entry_price, theirs["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose(t.exit_price, theirs["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose(t.size * t.side, theirs["Size"], rtol=1e-12)
    np.testing.assert_allclose(t.net_pnl, theirs["PnL"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(t.fees, theirs["Commission"], rtol=1e-9)
    assert math.isclose(ours.final_equity, theirs.attrs["final_equity"], rel_tol=1e-6)
    reasons = {ExitReason(r).name.lower() for r in t.exit_reason}
    assert "signal" in reasons and (case["tp"] is None or {"tp", "sl"} <= reasons)


def _run_backtesting_py(candles, signals, sizes, tp, sl, rate) -> pd.DataFrame:
    from backtesting import Backtest, Strategy

    frame = pd.DataFrame({"Open": candles.open, "High": candles.high, "Low": candles.low, "Close": candles.close,
                          "Volume": 1.0}, index=pd.to_datetime(candles.time, unit="ms"))
    copy_of_last = frame.iloc[[-1]].set_axis(frame.index[-1:] + pd.Timedelta(hours=1))
    frame = pd.concat([frame, copy_of_last])
    at_bar = {int(i): k for k, i in enumerate(signals.index.tolist())}
    sides, prices = signals.side.tolist(), signals.price.tolist()

    class Replay(Strategy):
        def init(self):
            pass

        def next(self):
            k = at_bar.get(len(self.data) - 1)
            if k is None:
                return
            assert self.data.Close[-1] == prices[k]
            levels = {"tp": None if math.isnan(tp[k]) else tp[k], "sl": None if math.isnan(sl[k]) else sl[k]}
            if sides[k] == 1 and not self.position.is_long:
                self.buy(size=sizes[k], **levels)
            elif sides[k] == -1 and not self.position.is_short:
                self.sell(size=sizes[k], **levels)

    test = Backtest(frame, Replay, cash=CAPITAL, commission=rate, trade_on_close=True, exclusive_orders=True,
                    finalize_trades=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = test.run()
    trades = stats["_trades"].copy()
    trades.attrs["final_equity"] = float(stats["Equity Final [$]"])
    return trades
