"""Benchmark of the engine core against vectorbt and backtesting.py on the same synthetic candles.

Fixed inputs, no user code: an EMA(9)/EMA(21) crossover on a random walk gives the signals, every
signal gets TP 2 % / SL 1 % from its price, and every entry trades 1 unit. vectorbt and
backtesting.py are optional (bench/test-only) dependencies, imported only here; a missing one is
reported, not fatal. Run through `make bench` (suite `backtest`).
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from botmoon_backtest.domain.model import Candles, ExitReason, Levels, Signals, SimulationSettings
from botmoon_backtest.domain.simulation import simulate

TP_PCT = 0.02
SL_PCT = 0.01
COMMISSION = 0.0005
CAPITAL = 1e9
SIZE = 1.0
BAR_MS = 60_000


@dataclass(frozen=True)
class BenchInputs:
    """One data set, in the engine's form and as the pandas objects the other engines take."""

    candles: Candles
    signals: Signals
    levels: Levels
    settings: SimulationSettings
    long_entries: np.ndarray
    short_entries: np.ndarray


def make_inputs(count: int = 1_000_000, seed: int = 7) -> BenchInputs:
    """A random walk with realistic candle ranges, and EMA 9/21 crossover signals on it."""
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, count)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, 0.001, count)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, 0.001, count)))
    time_ms = 1_600_000_000_000 + np.arange(count, dtype=np.int64) * BAR_MS
    candles = Candles.from_arrays(time_ms, open_, high, low, close)
    series = pd.Series(close)
    fast = series.ewm(span=9, adjust=False).mean().to_numpy()
    slow = series.ewm(span=21, adjust=False).mean().to_numpy()
    above = fast > slow
    long_entries = np.zeros(count, dtype=bool)
    short_entries = np.zeros(count, dtype=bool)
    long_entries[1:] = above[1:] & ~above[:-1]
    short_entries[1:] = ~above[1:] & above[:-1]
    index = np.flatnonzero(long_entries | short_entries)
    side = np.where(long_entries[index], 1, -1)
    signals = Signals.from_arrays(index, side, close[index])
    levels = Levels(tp=signals.price * (1 + TP_PCT * signals.side), sl=signals.price * (1 - SL_PCT * signals.side))
    settings = SimulationSettings(initial_capital=CAPITAL, commission_rate=COMMISSION)
    return BenchInputs(candles, signals, levels, settings, long_entries, short_entries)


def engine_runner(inputs: BenchInputs):
    """`simulate` on the inputs (trades; the equity curve is built when first read)."""
    def run():
        return simulate(inputs.candles, inputs.signals, inputs.settings, size=SIZE, levels=inputs.levels)

    return run


def vectorbt_runner(inputs: BenchInputs):
    """vectorbt's Portfolio.from_signals on the same inputs, or None when vectorbt is not installed."""
    try:
        import vectorbt as vbt
    except ImportError:
        return None
    c = inputs.candles

    # Plain arrays: vectorbt's fastest input (a tz-aware DatetimeIndex makes it many times slower).
    def run():
        return vbt.Portfolio.from_signals(
            c.close, entries=inputs.long_entries, short_entries=inputs.short_entries,
            open=c.open, high=c.high, low=c.low,
            sl_stop=SL_PCT, tp_stop=TP_PCT, size=SIZE, size_type="amount", fees=COMMISSION,
            init_cash=CAPITAL, upon_opposite_entry="reverse",
        )

    return run


def entries_on_a_stop_exit_bar(trades, entry_bars: np.ndarray | None = None) -> int:
    """How many of `entry_bars` (default: every entry) are on a bar where a trade was closed by its TP or SL.

    vectorbt's `from_signals` fills at most one order per bar and column: when its stop closes the
    position on a bar, that bar's entry signal is not taken. The engine closes at the stop and then
    enters at the signal's close, so the entries vectorbt skips are all on such bars.
    """
    stop_exit = np.isin(trades.exit_reason, (ExitReason.TP, ExitReason.SL))
    bars = trades.entry_bar if entry_bars is None else entry_bars
    return int(np.isin(bars, trades.exit_bar[stop_exit]).sum())


def time_engine_and_vectorbt(inputs: BenchInputs, repeat: int = 9) -> dict:
    """First calls, then warm calls of both engines interleaved, so that both see the same machine load.

    Each engine is timed alone (trades: `simulate`, `from_signals`) and with its equity curve
    (`simulate(...).equity`, `from_signals(...).value()`).
    """
    engine = engine_runner(inputs)
    vectorbt = vectorbt_runner(inputs)
    start = time.perf_counter()
    result = engine()
    report: dict = {"engine": {"first_call_s": time.perf_counter() - start, "trades": len(result.trades),
                               "final_equity": result.final_equity}}
    if vectorbt is None:
        report["vectorbt"] = {"error": "vectorbt is not installed"}
    else:
        import vectorbt as vbt

        start = time.perf_counter()
        portfolio = vectorbt()
        report["vectorbt"] = {"version": vbt.__version__, "first_call_s": time.perf_counter() - start,
                              "trades": int(portfolio.trades.count()), "final_equity": float(portfolio.final_value())}
        ours, theirs = set(result.trades.entry_bar.tolist()), set(portfolio.trades.values["entry_idx"].tolist())
        skipped = np.array(sorted(ours - theirs), dtype=np.int64)
        report["vectorbt"]["entries_it_skips"] = len(skipped)
        report["vectorbt"]["entries_it_makes_that_we_do_not"] = len(theirs - ours)
        report["vectorbt"]["skipped_on_a_stop_exit_bar"] = entries_on_a_stop_exit_bar(result.trades, skipped)
        report["engine"]["entries_on_a_stop_exit_bar"] = entries_on_a_stop_exit_bar(result.trades)
        taken = np.array(sorted(ours & theirs), dtype=np.int64)
        on_stop_bar = taken[np.isin(taken, result.trades.exit_bar[np.isin(
            result.trades.exit_reason, (ExitReason.TP, ExitReason.SL))])]
        report["vectorbt"]["taken_on_a_stop_exit_bar_where_it_closed_nothing"] = int(
            (~np.isin(on_stop_bar, portfolio.trades.values["exit_idx"])).sum())
        report["vectorbt"]["taken_on_a_stop_exit_bar"] = len(on_stop_bar)
    runs = {"engine": (engine, lambda: engine().equity)}
    if vectorbt is not None:
        runs["vectorbt"] = (vectorbt, lambda: vectorbt().value())
    timings = {name: ([], []) for name in runs}
    for _ in range(repeat):
        for name, (alone, with_curve) in runs.items():
            timings[name][0].append(_timed(alone))
            timings[name][1].append(_timed(with_curve))
    for name, (alone, with_curve) in timings.items():
        report[name].update({"warm_median_s": statistics.median(alone), "warm_min_s": min(alone),
                             "warm_median_with_curve_s": statistics.median(with_curve),
                             "warm_min_with_curve_s": min(with_curve)})
    if vectorbt is not None:
        ours, theirs = report["engine"], report["vectorbt"]
        report["speedup_vs_vectorbt"] = theirs["warm_median_s"] / ours["warm_median_s"]
        report["speedup_vs_vectorbt_min"] = theirs["warm_min_s"] / ours["warm_min_s"]
        report["speedup_vs_vectorbt_with_curves"] = (theirs["warm_median_with_curve_s"]
                                                     / ours["warm_median_with_curve_s"])
    return report


def time_backtesting(inputs: BenchInputs) -> dict:
    """backtesting.py on the same inputs, set up with the engine's semantics (fills at the signal's close)."""
    try:
        import backtesting
        from backtesting import Backtest, Strategy
    except ImportError as error:
        return {"error": f"backtesting.py not installed: {error}"}
    c = inputs.candles
    data = pd.DataFrame({"Open": c.open, "High": c.high, "Low": c.low, "Close": c.close, "Volume": 1.0},
                        index=pd.to_datetime(c.time, unit="ms"))
    # backtesting.py closes what is open at the end at the second-to-last close: a copy of the last
    # candle makes that our last close (see tests/test_crosscheck_backtesting.py).
    data = pd.concat([data, data.iloc[[-1]].set_axis(data.index[-1:] + pd.Timedelta(milliseconds=BAR_MS))])
    longs, shorts = inputs.long_entries, inputs.short_entries

    class Crossing(Strategy):
        def init(self):
            pass

        def next(self):
            i = len(self.data) - 1
            if i >= len(longs):
                return
            price = self.data.Close[-1]
            if longs[i] and not self.position.is_long:
                self.buy(size=SIZE, tp=price * (1 + TP_PCT), sl=price * (1 - SL_PCT))
            elif shorts[i] and not self.position.is_short:
                self.sell(size=SIZE, tp=price * (1 - TP_PCT), sl=price * (1 + SL_PCT))

    test = Backtest(data, Crossing, cash=CAPITAL, commission=COMMISSION, trade_on_close=True,
                    exclusive_orders=True, finalize_trades=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = test.run()
    elapsed = time.perf_counter() - start
    return {"version": backtesting.__version__, "run_s": elapsed, "trades": int(stats["# Trades"]),
            "final_equity": float(stats["Equity Final [$]"])}


def run_bench(count: int = 1_000_000, *, with_backtesting: bool = True, repeat: int = 9) -> dict:
    """All numbers in one run on one data set; speed-ups are the others' warm median (or min) over the engine's.

    vectorbt's semantics differ in details (its trade count and final equity are reported, not
    expected to match); backtesting.py is set up to match ours and its final equity does.
    """
    inputs = make_inputs(count)
    report: dict = {"candles": count, "signals": len(inputs.signals)}
    report.update(time_engine_and_vectorbt(inputs, repeat))
    if with_backtesting:
        report["backtesting"] = time_backtesting(inputs)
        if "error" not in report["backtesting"]:
            theirs, ours = report["backtesting"], report["engine"]
            report["speedup_vs_backtesting"] = theirs["run_s"] / ours["warm_median_s"]
            theirs["final_equity_relative_difference"] = abs(theirs["final_equity"] / ours["final_equity"] - 1)
    return report


def _timed(function) -> float:
    """Wall time of one call, with the garbage collector run before and held off during it (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        gc.enable()


if __name__ == "__main__":
    candles = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(run_bench(candles), indent=2))
