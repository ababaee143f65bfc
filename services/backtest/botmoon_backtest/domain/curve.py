"""The equity curve as reported: time, equity and drawdown per candle, optionally downsampled for charts."""

from __future__ import annotations

import numpy as np

from botmoon_backtest.domain.metrics import drawdown_pct

MIN_POINTS = 8


def equity_curve_points(time_ms: np.ndarray, equity: np.ndarray, initial_capital: float,
                        max_points: int | None = None) -> list[dict]:
    """`[{time, equity, drawdown_pct}]`, one per candle, or at most `max_points` keeping the extremes.

    Downsampling keeps the first and last candles, the peak and trough of the deepest drawdown,
    and, in each of equal-width buckets of candles, the candles of lowest and highest equity;
    drawdowns are those of the full curve. `max_points` below MIN_POINTS is raised to it.
    """
    drawdown = drawdown_pct(equity, initial_capital)
    keep = select_points(equity, drawdown, max_points)
    times = time_ms[keep].tolist()
    values = equity[keep].tolist()
    drawdowns = drawdown[keep].tolist()
    return [{"time": t, "equity": e, "drawdown_pct": d} for t, e, d in zip(times, values, drawdowns, strict=True)]


def select_points(equity: np.ndarray, drawdown: np.ndarray, max_points: int | None) -> np.ndarray:
    """Sorted candle positions to report: all of them, or a subset of at most `max_points` (see above)."""
    n = len(equity)
    if max_points is None or n <= max(max_points, MIN_POINTS):
        return np.arange(n)
    max_points = max(max_points, MIN_POINTS)
    trough = int(np.argmax(drawdown))
    peak = int(np.argmax(equity[: trough + 1]))
    fixed = np.array([0, n - 1, peak, trough])
    buckets = (max_points - len(fixed)) // 2
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    lows = np.minimum.reduceat(equity, edges[:-1])
    highs = np.maximum.reduceat(equity, edges[:-1])
    low_at = _first_position_of(equity, edges, lows)
    high_at = _first_position_of(equity, edges, highs)
    return np.unique(np.concatenate((fixed, low_at, high_at)))


def _first_position_of(equity: np.ndarray, edges: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each bucket [edges[k], edges[k+1]), the first position whose equity equals targets[k]."""
    bucket = np.repeat(np.arange(len(targets)), np.diff(edges))
    matches = np.flatnonzero(equity == targets[bucket])
    return matches[np.searchsorted(bucket[matches], np.arange(len(targets)))]
