"""Property tests on random candles, signals, levels, sizes and settings.

The engine (both paths) must match the naive reference simulator trade for trade; final equity is
the initial capital plus the net PnL of the trades; every fill lies within its candle's range; and
metrics recomputed here in plain Python from the trades and the curve agree with `compute_metrics`.
"""

import itertools
import math
import statistics

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botmoon_backtest.domain import (
    BothHit,
    Candles,
    EntryTiming,
    ExitReason,
    Levels,
    OppositeSignal,
    Signals,
    SimulationSettings,
    SymbolType,
    compute_metrics,
    entry_prices,
    simulate,
)
from botmoon_backtest.domain.ledger import settle
from botmoon_backtest.domain.prepare import prepare
from botmoon_backtest.domain.results import SimulationResult
from botmoon_backtest.domain.sequential import run_sequential
from botmoon_backtest.reference import reference_simulate

HOUR = 3_600_000
T0 = 1_704_067_200_000
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw):
    n = draw(st.integers(2, 40))
    steps = draw(st.lists(st.floats(-0.08, 0.08), min_size=n, max_size=n))
    gaps = draw(st.lists(st.floats(-0.03, 0.03), min_size=n, max_size=n))
    wicks = draw(st.lists(st.tuples(st.floats(0, 0.05), st.floats(0, 0.05)), min_size=n, max_size=n))
    close = 100 * np.exp(np.cumsum(steps))
    open_ = np.concatenate(([100.0], close[:-1])) * np.exp(gaps)
    high = np.maximum(open_, close) * (1 + np.array([w[0] for w in wicks]))
    low = np.minimum(open_, close) * (1 - np.array([w[1] for w in wicks]))
    step = draw(st.sampled_from([HOUR, 4 * HOUR, 24 * HOUR]))
    candles = Candles.from_arrays(T0 + step * np.arange(n), open_, high, low, close)
    raw = draw(st.lists(st.tuples(st.integers(0, n - 1), st.sampled_from([1, -1]), st.floats(0, 1)), max_size=14))
    raw.sort(key=lambda r: r[0])
    index = np.array([r[0] for r in raw], dtype=np.int64)
    price = low[index] + (high[index] - low[index]) * np.array([r[2] for r in raw])
    signals = Signals.from_arrays(index, [r[1] for r in raw], np.clip(price, low[index], high[index]))
    config = SimulationSettings(
        initial_capital=draw(st.sampled_from([1_000.0, 10_000.0])),
        commission_rate=draw(st.sampled_from([0.0, 0.0005, 0.01, 0.1])),
        symbol_type=draw(st.sampled_from(list(SymbolType))),
        enabled_directions=draw(st.sampled_from([{"long", "short"}, {"long"}, {"short"}])),
        max_leverage=draw(st.sampled_from([1.0, 10.0, 125.0])),
        entry_timing=draw(st.sampled_from(list(EntryTiming))),
        opposite_signal=draw(st.sampled_from(list(OppositeSignal))),
        both_hit=draw(st.sampled_from(list(BothHit))),
    )
    fills = entry_prices(candles, signals, config)
    pct = st.sampled_from([0.005, 0.02, 0.1, 0.5, -0.01, math.nan])
    tp_pct = np.array(draw(st.lists(pct, min_size=len(raw), max_size=len(raw))))
    sl_pct = np.array(draw(st.lists(pct, min_size=len(raw), max_size=len(raw))))
    levels = Levels(tp=fills * (1 + tp_pct * signals.side), sl=fills * (1 - sl_pct * signals.side))
    kind = draw(st.sampled_from(["fixed", "array", "fraction", "risk"]))
    if kind == "fixed":
        size = draw(st.sampled_from([0.5, 3.0, 80.0]))
    elif kind == "array":
        size = np.array(draw(st.lists(st.sampled_from([1.0, 10.0, 500.0, 0.0, -2.0, math.nan]),
                                      min_size=len(raw), max_size=len(raw))))
    elif kind == "fraction":
        fraction = draw(st.sampled_from([0.3, 1.0, 4.0]))

        def size(capital, entry, sl, side):
            return capital * fraction / entry
    else:
        def size(capital, entry, sl, side):
            return capital * 0.05 / abs(entry - sl) if sl is not None else 0.0
    return candles, signals, config, levels, size


def _trade_rows(result):
    t = result.trades
    return list(zip(t.signal.tolist(), t.entry_bar.tolist(), t.exit_bar.tolist(), t.exit_price.tolist(),
                    [ExitReason(r).name.lower() for r in t.exit_reason.tolist()], t.size.tolist(), strict=True))


@PROPERTY_SETTINGS
@given(cases())
def test_engine_matches_the_reference_simulator(case):
    candles, signals, config, levels, size = case
    result = simulate(candles, signals, config, size=size, levels=levels)
    sizes = list(size) if isinstance(size, np.ndarray) else size
    ref = reference_simulate(candles, signals, config, size=sizes, tp=levels.tp, sl=levels.sl)
    ours = _trade_rows(result)
    theirs = [(t.signal, t.entry_bar, t.exit_bar, t.exit_price, t.reason, t.size) for t in ref.trades]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a[:3] == b[:3] and a[4] == b[4]
        assert math.isclose(a[3], b[3], rel_tol=1e-12) and math.isclose(a[5], b[5], rel_tol=1e-12)
    np.testing.assert_allclose(result.equity, ref.equity, rtol=1e-9, atol=1e-6)
    assert result.stopped_at_bar == ref.stopped_at


@PROPERTY_SETTINGS
@given(cases())
def test_both_engine_paths_agree(case):
    candles, signals, config, levels, size = case
    if callable(size):
        return
    fast = simulate(candles, signals, config, size=size, levels=levels)
    prep = prepare(candles, signals, config, levels)
    values = np.broadcast_to(size, (len(signals),))[prep.kept].tolist()
    run = run_sequential(prep, lambda position, *_: values[position])
    trades, equity, ruin = settle(prep, run.plan, run.size, run.requested, run.capped)
    slow = SimulationResult(trades=trades, initial_capital=config.initial_capital, close=candles.close,
                            built_equity=equity)
    assert _trade_rows(fast) == _trade_rows(slow)
    np.testing.assert_array_equal(fast.equity, slow.equity)
    assert fast.stopped_at_bar == ruin


@PROPERTY_SETTINGS
@given(cases())
def test_final_equity_is_initial_capital_plus_net_pnl_and_fills_lie_within_their_candles(case):
    candles, signals, config, levels, size = case
    result = simulate(candles, signals, config, size=size, levels=levels)
    t = result.trades
    expected = config.initial_capital + math.fsum(t.net_pnl.tolist())
    assert math.isclose(result.final_equity, expected, rel_tol=1e-9, abs_tol=1e-6)
    for bar, price in ((t.entry_bar, t.entry_price), (t.exit_bar, t.exit_price)):
        assert np.all(candles.low[bar] <= price) and np.all(price <= candles.high[bar])
    np.testing.assert_allclose(t.fees + t.net_pnl, t.gross_pnl, rtol=1e-12, atol=1e-9)


@PROPERTY_SETTINGS
@given(cases(), st.sampled_from([0.0, 0.03]))
def test_metrics_agree_with_an_independent_recomputation(case, risk_free):
    candles, signals, config, levels, size = case
    result = simulate(candles, signals, config, size=size, levels=levels)
    metrics = compute_metrics(result, candles, risk_free_rate=risk_free)
    expected = naive_metrics(result.trades.to_records(), result.equity.tolist(), candles, config.initial_capital,
                             risk_free)
    for name, value in expected.items():
        got = metrics.values[name]
        if value is None:
            assert got is None, name
            assert any(w.startswith(f"{name} is null") for w in metrics.warnings), name
        else:
            assert got is not None, name
            assert math.isclose(got, value, rel_tol=1e-7, abs_tol=1e-9), (name, got, value)
    for value in metrics.values.values():
        assert value is None or math.isfinite(value)


def naive_metrics(trades, equity, candles, initial, risk_free):
    """The metric definitions of docs/backtest-semantics.md, written as plainly as possible."""
    times = candles.time.tolist()
    out = {}
    final = equity[-1]
    out["total_return"] = final - initial
    out["total_return_pct"] = (final - initial) / initial * 100
    peak, worst, peaks = initial, 0.0, []
    for value in equity:
        peak = max(peak, value)
        peaks.append(peak)
        worst = max(worst, (peak - value) / peak * 100)
    out["max_drawdown"] = worst
    nets = [t["net_pnl"] for t in trades]
    wins = [t["net_pnl"] for t in trades if t["net_pnl"] > 1e-10 * t["size"] * t["entry_price"]]
    losses = [t["net_pnl"] for t in trades if t["net_pnl"] < -1e-10 * t["size"] * t["entry_price"]]
    out["total_trades"] = len(trades)
    out["winning_trades"] = len(wins)
    out["losing_trades"] = len(losses)
    out["win_rate"] = len(wins) / (len(wins) + len(losses)) * 100 if wins or losses else None
    out["profit_factor"] = sum(wins) / -sum(losses) if losses else None
    out["avg_trade"] = statistics.fmean(nets) if nets else None
    out["avg_win"] = statistics.fmean(wins) if wins else None
    out["avg_loss"] = statistics.fmean(losses) if losses else None
    out["expectancy"] = (sum(wins) + sum(losses)) / (len(wins) + len(losses)) if wins or losses else None
    out["sqn"] = (math.sqrt(len(nets)) * statistics.fmean(nets) / statistics.stdev(nets)
                  if len(nets) > 1 and statistics.stdev(nets) > 0 else None)
    out["fees_paid"] = sum(t["fees"] for t in trades)
    out["exposure_pct"] = sum(t["exit_bar"] - t["entry_bar"] for t in trades) / len(equity) * 100
    out["buy_and_hold_return_pct"] = (candles.close[-1] / candles.open[0] - 1) * 100
    out["best_trade"] = max(nets) if nets else None
    out["worst_trade"] = min(nets) if nets else None
    out["avg_trade_duration_hours"] = (statistics.fmean((t["exit_time"] - t["entry_time"]) / HOUR for t in trades)
                                       if trades else None)
    bar_ms = statistics.median([b - a for a, b in itertools.pairwise(times)]) if len(times) > 1 else 0
    years = (times[-1] - times[0] + bar_ms) / (365.25 * 86_400_000)
    cagr = None
    if final > 0 and years > 0 and math.log(final / initial) / years <= math.log(1e12):
        cagr = (final / initial) ** (1 / years) * 100 - 100
    out["cagr"] = cagr
    if cagr is None or worst == 0:
        out["calmar_ratio"] = None
    else:
        out["calmar_ratio"] = cagr / worst
    last_by_day = {}
    for time, value in zip(times, equity, strict=True):
        last_by_day[time // 86_400_000] = value
    closes = list(last_by_day.values())
    returns, previous = [], initial
    for value in closes:
        if previous <= 0:
            break
        returns.append(value / previous - 1)
        previous = value
    excess = [r - risk_free / 365 for r in returns]
    if len(returns) > 1 and statistics.stdev(returns) > 1e-14:
        out["sharpe_ratio"] = statistics.fmean(excess) / statistics.stdev(returns) * math.sqrt(365)
    else:
        out["sharpe_ratio"] = None
    downside = math.sqrt(sum(min(e, 0) ** 2 for e in excess) / len(excess)) if excess else 0
    out["sortino_ratio"] = (statistics.fmean(excess) / downside * math.sqrt(365)
                            if len(excess) > 1 and downside > 0 else None)
    longest, best_hours = 0, 0.0
    under_since = None
    for k, value in enumerate([*equity, math.inf]):
        below = k < len(equity) and value < peaks[k]
        if below and under_since is None:
            under_since = max(k - 1, 0)
        elif not below and under_since is not None:
            end = min(k, len(equity) - 1)
            if end - under_since > longest:
                longest, best_hours = end - under_since, (times[end] - times[under_since]) / HOUR
            under_since = None
    out["longest_drawdown_bars"] = longest
    out["longest_drawdown_hours"] = best_hours
    return out
