"""The general simulation: one entry at a time, for sizes that depend on equity and every opposite-signal mode.

It walks from entry to entry (never candle by candle): each position's exit is found by a search
over the candles it is open for, and the account is settled before the next entry is sized.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from botmoon_backtest.domain.accounting import CAP_TOLERANCE, size_limit, trade_money
from botmoon_backtest.domain.exits import barrier_exit
from botmoon_backtest.domain.ledger import RUIN_MARGIN
from botmoon_backtest.domain.model import SIDE_NAMES, ExitReason, OppositeSignal
from botmoon_backtest.domain.plan import Plan
from botmoon_backtest.domain.prepare import Prepared, signal_label
from botmoon_backtest.domain.search import first_hit

# (signal position, equity, entry price, SL price or None, side name) -> requested size
Sizer = Callable[[int, float, float, float | None, str], float]


@dataclass
class SequentialRun:
    """The trades found, their sizes, and the entries skipped for an unusable size."""

    plan: Plan
    size: np.ndarray
    requested: np.ndarray
    capped: np.ndarray
    skipped: list[int] = field(default_factory=list)
    skip_notes: list[str] = field(default_factory=list)


def run_sequential(prep: Prepared, sizer: Sizer) -> SequentialRun:
    """Simulate entry by entry, calling `sizer` once per entry with the equity at that moment."""
    settings = prep.settings
    candles = prep.candles
    n = len(candles)
    m = len(prep)
    rate = settings.commission_rate
    mode = settings.opposite_signal
    index = prep.index.tolist()
    side = prep.side.tolist()
    act_bar = prep.act_bar.tolist()
    act_price = prep.act_price.tolist()
    next_enabled = prep.next_enabled.tolist()
    next_opposite = _next_opposite(prep.side).tolist()
    close = candles.close
    last_close = float(close[n - 1])
    lowest_close, highest_close = float(close.min()), float(close.max())
    rows: list[tuple] = []
    skipped: list[int] = []
    notes: list[str] = []
    equity = settings.initial_capital
    p = next_enabled[0] if m else 0
    while p < m and equity > 0:
        i = p
        d = side[i]
        entry = act_price[i]
        sl = float(prep.sl[i])
        requested = _call_sizer(sizer, i, equity, entry, None if math.isnan(sl) else sl, SIDE_NAMES[d])
        if not (math.isfinite(requested) and requested > 0):
            skipped.append(i)
            notes.append(f"{signal_label(prep, i)}: size {requested!r}")
            p = next_enabled[i + 1]
            continue
        limit = size_limit(equity, entry, settings)
        size = min(requested, limit) if requested > limit * (1 + CAP_TOLERANCE) else requested
        closer = -1 if mode is OppositeSignal.IGNORE else next_opposite[i]
        stop = index[closer] + 1 if closer >= 0 else n
        h = first_hit(candles.low, candles.high, index[i] + 1, stop, float(prep.lower[i]), float(prep.upper[i]))
        if h >= 0:
            exit_bar = h
            exit_price, reason = barrier_exit(float(candles.open[h]), float(candles.low[h]), float(candles.high[h]),
                                              d, float(prep.lower[i]), float(prep.upper[i]), settings.both_hit)
            exit_signal = -1
            p = next_enabled[max(int(np.searchsorted(prep.index, h)), i + 1)]
        elif closer >= 0:
            exit_bar, exit_price, reason, exit_signal = act_bar[closer], act_price[closer], ExitReason.SIGNAL, closer
            p = next_enabled[closer] if mode is OppositeSignal.REVERSE else next_enabled[closer + 1]
        else:
            exit_bar, exit_price, reason, exit_signal = n - 1, last_close, ExitReason.END, -1
            p = m
        intercept = equity - rate * size * entry - d * size * entry
        worst = intercept + d * size * (lowest_close if d > 0 else highest_close)
        j = _first_ruin(close, act_bar[i], exit_bar, intercept, d * size) if worst <= RUIN_MARGIN * equity else -1
        if j >= 0:
            exit_bar, exit_price, reason, exit_signal = j, float(close[j]), ExitReason.LIQUIDATION, -1
            p = m
        *_, net = trade_money(d, size, entry, exit_price, rate)
        equity += net
        rows.append((i, exit_bar, exit_price, int(reason), exit_signal, size, requested, size != requested))
    return _collect(rows, skipped, notes)


def _first_ruin(close: np.ndarray, start: int, stop: int, intercept: float, exposure: float) -> int:
    """First close in [start, stop) where `intercept + exposure * close` is at or below zero, or -1.

    The same arithmetic as `mark_to_market`, so that both paths see a ruin at the same candle.
    """
    if stop <= start:
        return -1
    values = close[start:stop] * exposure
    values += intercept
    below = np.flatnonzero(values <= 0)
    return start + int(below[0]) if len(below) else -1


def _next_opposite(side: np.ndarray) -> np.ndarray:
    """For each signal, the position of the first later signal of the other side; -1 if none."""
    m = len(side)
    if m == 0:
        return np.empty(0, dtype=np.int64)
    change = np.flatnonzero(side[1:] != side[:-1]) + 1
    run_end = np.append(change, m)
    run_len = np.diff(np.concatenate(([0], run_end)))
    out = np.repeat(run_end, run_len)
    out[out == m] = -1
    return out


def _call_sizer(sizer: Sizer, position: int, equity: float, entry: float, sl: float | None, side: str) -> float:
    value = sizer(position, equity, entry, sl, side)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _collect(rows: list[tuple], skipped: list[int], notes: list[str]) -> SequentialRun:
    if rows:
        cols = list(zip(*rows, strict=True))
    else:
        cols = [()] * 8
    plan = Plan(
        signal=np.array(cols[0], dtype=np.int64),
        exit_bar=np.array(cols[1], dtype=np.int64),
        exit_price=np.array(cols[2], dtype=np.float64),
        exit_reason=np.array(cols[3], dtype=np.int8),
        exit_signal=np.array(cols[4], dtype=np.int64),
    )
    return SequentialRun(plan=plan, size=np.array(cols[5], dtype=np.float64),
                         requested=np.array(cols[6], dtype=np.float64),
                         capped=np.array(cols[7], dtype=bool), skipped=skipped, skip_notes=notes)
