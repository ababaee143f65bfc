"""Builders of small hand-made candles, signals and levels, for tests: 1h candles from 2024-01-01 00:00 UTC."""

import numpy as np

from botmoon_backtest.domain.model import Candles, Levels, Signals

T0 = 1_704_067_200_000
HOUR = 3_600_000


def candles_of(rows, *, start_ms: int = T0, step_ms: int = HOUR) -> Candles:
    """Candles from (open, high, low, close) rows, `step_ms` apart."""
    o, h, lo, c = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    return Candles.from_arrays(start_ms + step_ms * np.arange(len(rows)), o, h, lo, c)


def signals_of(rows) -> Signals:
    """Signals from (candle index, 'long' or 'short', price) rows."""
    if not rows:
        return Signals.empty()
    index, side, price = zip(*rows, strict=True)
    return Signals.from_arrays(index, [1 if s == "long" else -1 for s in side], price)


def levels_of(rows) -> Levels:
    """Levels from (tp, sl) rows, None for no level."""
    tp = [np.nan if t is None else t for t, _ in rows]
    sl = [np.nan if s is None else s for _, s in rows]
    return Levels(tp=np.array(tp, dtype=float), sl=np.array(sl, dtype=float))
