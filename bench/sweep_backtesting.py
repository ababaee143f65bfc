"""backtesting.py's `Backtest.optimize` on the sweep benchmark's grid: the EMA crossover that the cross-check
(services/backtest/tests/test_crosscheck_backtesting.py) sets up with Botmoon's semantics, here computing its
EMAs from the two periods being optimised, as the ema_cross template does."""

import functools
import os
import resource
import time
import warnings
from pathlib import Path

import pandas as pd

os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bars
BUNDLED = (Path(__file__).resolve().parents[1] / "services" / "marketdata" / "botmoon_marketdata" / "bundled"
           / "binance-spot-since2021_BTCUSDT_1h.csv.gz")
CAPITAL = 1_000_000.0  # whole BTC units (backtesting.py reads sizes below 1 as a share of equity)


def year_of_candles(start: str, end: str) -> pd.DataFrame:
    """The bundled BTC/USDT spot 1h candles with open times in [start, end), in backtesting.py's columns."""
    frame = pd.read_csv(BUNDLED)
    frame.index = pd.to_datetime(frame["timestamp"], unit="ms")
    frame = frame.loc[(frame.index >= pd.Timestamp(start).tz_localize(None))
                      & (frame.index < pd.Timestamp(end).tz_localize(None))]
    data = frame.rename(columns=str.title)[["Open", "High", "Low", "Close", "Volume"]]
    # backtesting.py closes what is open at the end at the second-to-last close: a copy of the last candle
    # makes that the last close (as in the cross-check).
    return pd.concat([data, data.iloc[[-1]].set_axis(data.index[-1:] + pd.Timedelta(hours=1))])


def process_cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (optimize's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _ema(values, span):
    return pd.Series(values).ewm(span=span, adjust=False).mean().to_numpy()


@functools.cache
def _strategy():
    """The strategy class (backtesting.py is imported only when this suite runs), made a module attribute so that
    optimize's worker processes can unpickle it."""
    from backtesting import Strategy

    class EmaCross(Strategy):
        fast_period, slow_period, tp_pct, sl_pct = 9, 21, 2.0, 1.0
        bars = 0  # the data's length: its last bar is the copy of the last candle, where no signal is taken

        def init(self):
            self.fast = self.I(_ema, self.data.Close, self.fast_period)
            self.slow = self.I(_ema, self.data.Close, self.slow_period)

        def next(self):
            # The template signals from bar `slow_period` on, at the close of the crossing candle.
            if len(self.data) - 1 < self.slow_period or len(self.data) == self.bars:
                return
            above, was = self.fast[-1] > self.slow[-1], self.fast[-2] > self.slow[-2]
            price = self.data.Close[-1]
            tp, sl = self.tp_pct / 100, self.sl_pct / 100
            if above and not was and not self.position.is_long:
                self.buy(size=1, tp=price * (1 + tp), sl=price * (1 - sl))
            elif was and not above and not self.position.is_short:
                self.sell(size=1, tp=price * (1 - tp), sl=price * (1 + sl))

    EmaCross.__qualname__ = "EmaCross"
    globals()["EmaCross"] = EmaCross
    return EmaCross


def optimize(data: pd.DataFrame, fast: list[int], slow: list[int], tp_pct: float, sl_pct: float,
             commission: float) -> dict:
    """Backtest.optimize over fast x slow, maximising the Sharpe ratio: wall time, CPU time and the best pair."""
    import backtesting
    from backtesting import Backtest

    test = Backtest(data, _strategy(), cash=CAPITAL, commission=commission, trade_on_close=True, exclusive_orders=True,
                    finalize_trades=True)
    cpu, started = process_cpu_s(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = test.optimize(fast_period=fast, slow_period=slow, tp_pct=[tp_pct], sl_pct=[sl_pct], bars=[len(data)],
                              maximize="Sharpe Ratio")
    wall = time.perf_counter() - started
    best = stats["_strategy"]
    return {"version": backtesting.__version__, "wall_s": wall, "cpu_s": process_cpu_s() - cpu,
            "runs": len(fast) * len(slow),
            "best": {"fast_period": best.fast_period, "slow_period": best.slow_period},
            "best_sharpe": float(stats["Sharpe Ratio"])}
