"""Metrics on hand-made scenarios, undefined metrics as None with a reason, and the downsampled curve."""

import json
import math
import statistics

import numpy as np
import pytest

from botmoon_backtest.domain import SimulationSettings, compute_metrics, equity_curve_points, simulate
from botmoon_backtest.testing import T0, candles_of, signals_of

DAY = 86_400_000
DAILY = [(100, 100, 100, 100), (100, 110, 100, 110), (110, 110, 99, 99), (99, 105, 99, 105), (105, 105, 100, 100)]


@pytest.fixture
def two_winners():
    """Long 10 from 100 closed at 110 by a short, short 10 from 110 closed at the end at 100."""
    candles = candles_of(DAILY, step_ms=DAY)
    result = simulate(candles, signals_of([(0, "long", 100), (1, "short", 110)]),
                      SimulationSettings(initial_capital=10_000, commission_rate=0.0), size=10.0)
    assert result.equity.tolist() == [10_000, 10_100, 10_210, 10_150, 10_200]
    return result, candles


def test_return_drawdown_and_calendar_metrics(two_winners):
    result, candles = two_winners
    m = compute_metrics(result, candles).values
    assert (m["total_return"], m["total_return_pct"], m["final_equity"]) == (200, 2.0, 10_200)
    assert m["max_drawdown"] == pytest.approx(60 / 10_210 * 100)
    assert (m["longest_drawdown_bars"], m["longest_drawdown_hours"]) == (2, 48.0)
    years = 5 / 365.25  # four days between the first and last candle, plus the last day itself
    assert m["cagr"] == pytest.approx((1.02 ** (1 / years) - 1) * 100)
    assert m["calmar_ratio"] == pytest.approx(m["cagr"] / m["max_drawdown"])
    assert m["exposure_pct"] == 80.0  # long open at close 0, short at closes 1-3
    assert m["buy_and_hold_return_pct"] == 0.0
    assert m["fees_paid"] == 0.0


def test_daily_sharpe_and_sortino(two_winners):
    result, candles = two_winners
    returns = [0.0, 10_100 / 10_000 - 1, 10_210 / 10_100 - 1, 10_150 / 10_210 - 1, 10_200 / 10_150 - 1]
    m = compute_metrics(result, candles).values
    assert m["sharpe_ratio"] == pytest.approx(statistics.fmean(returns) / statistics.stdev(returns) * math.sqrt(365))
    downside = math.sqrt(min(returns) ** 2 / len(returns))
    assert m["sortino_ratio"] == pytest.approx(statistics.fmean(returns) / downside * math.sqrt(365))
    rf = 0.05
    with_rf = compute_metrics(result, candles, risk_free_rate=rf).values
    excess = [r - rf / 365 for r in returns]
    assert with_rf["sharpe_ratio"] == pytest.approx(statistics.fmean(excess) / statistics.stdev(returns)
                                                    * math.sqrt(365))


def test_trade_metrics_and_the_undefined_ones(two_winners):
    result, candles = two_winners
    metrics = compute_metrics(result, candles)
    m = metrics.values
    assert (m["total_trades"], m["winning_trades"], m["losing_trades"], m["breakeven_trades"]) == (2, 2, 0, 0)
    assert (m["long_trades"], m["short_trades"]) == (1, 1)
    assert (m["win_rate"], m["avg_trade"], m["avg_win"], m["expectancy"]) == (100.0, 100.0, 100.0, 100.0)
    assert (m["best_trade"], m["worst_trade"]) == (100.0, 100.0)
    assert (m["best_trade_pct"], m["worst_trade_pct"]) == pytest.approx((10.0, 100 / 1100 * 100))
    assert m["avg_trade_duration_hours"] == 48.0
    for name in ("profit_factor", "avg_loss", "sqn"):
        assert m[name] is None
    assert "profit_factor is null: no losing trades: gross loss is zero" in metrics.warnings
    assert "avg_loss is null: no losing trades" in metrics.warnings
    assert "sqn is null: every trade has the same PnL" in metrics.warnings


def test_break_even_trades_are_counted_apart_from_losses():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 106, 99, 105), (105, 106, 90, 95)]
    result = simulate(candles_of(rows), signals_of([(0, "long", 100), (1, "short", 100), (2, "long", 105)]),
                      SimulationSettings(commission_rate=0.0), size=1.0)
    m = compute_metrics(result, candles_of(rows)).values
    assert result.trades.net_pnl.tolist() == [0.0, -5.0, -10.0]
    assert (m["winning_trades"], m["losing_trades"], m["breakeven_trades"]) == (0, 2, 1)
    assert m["win_rate"] == 0.0
    assert m["expectancy"] == -7.5
    assert m["avg_trade"] == -5.0


def test_no_trades_gives_nulls_with_reasons_and_valid_json():
    candles = candles_of([(100, 101, 99, 100)] * 3)
    result = simulate(candles, signals_of([]), SimulationSettings(), size=1.0)
    metrics = compute_metrics(result, candles)
    m = metrics.values
    assert (m["total_trades"], m["total_return"], m["max_drawdown"], m["exposure_pct"]) == (0, 0.0, 0.0, 0.0)
    for name in ("win_rate", "profit_factor", "avg_trade", "avg_win", "avg_loss", "sqn", "sharpe_ratio",
                 "sortino_ratio", "calmar_ratio", "best_trade", "avg_trade_duration_hours"):
        assert m[name] is None, name
        assert any(w.startswith(f"{name} is null: ") for w in metrics.warnings), name
    json.dumps(m, allow_nan=False)


def test_cagr_of_an_absurdly_short_winning_run_is_null_not_infinite():
    rows = [(100, 100, 100, 100), (100, 1000, 100, 1000)]
    candles = candles_of(rows, step_ms=60_000)
    result = simulate(candles, signals_of([(0, "long", 100)]), SimulationSettings(max_leverage=100), size=100.0)
    metrics = compute_metrics(result, candles)
    assert metrics.values["cagr"] is None and metrics.values["calmar_ratio"] is None
    assert any(w.startswith("cagr is null: too large to report") for w in metrics.warnings)
    json.dumps(metrics.values, allow_nan=False)


def test_equity_curve_has_a_point_per_candle_with_drawdown(two_winners):
    result, candles = two_winners
    points = equity_curve_points(candles.time, result.equity, result.initial_capital)
    assert [p["time"] for p in points] == [T0 + k * DAY for k in range(5)]
    assert points[3] == {"time": T0 + 3 * DAY, "equity": 10_150.0, "drawdown_pct": pytest.approx(60 / 10_210 * 100)}
    assert points[0]["drawdown_pct"] == 0.0


def test_downsampled_curve_keeps_the_extremes_and_the_deepest_drawdown():
    rng = np.random.default_rng(3)
    equity = 10_000 * np.exp(np.cumsum(rng.normal(0, 0.01, 20_000)))
    times = T0 + np.arange(len(equity)) * 60_000
    full = equity_curve_points(times, equity, 10_000.0)
    points = equity_curve_points(times, equity, 10_000.0, max_points=200)
    assert len(points) <= 200
    kept = [p["time"] for p in points]
    assert kept == sorted(kept) and kept[0] == times[0] and kept[-1] == times[-1]
    values = [p["equity"] for p in points]
    assert min(values) == equity.min() and max(values) == equity.max()
    deepest = max(full, key=lambda p: p["drawdown_pct"])
    assert deepest in points
    by_time = {p["time"]: p for p in full}
    assert all(by_time[p["time"]] == p for p in points)
