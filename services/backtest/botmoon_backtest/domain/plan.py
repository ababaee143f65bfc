"""Trade timing without the account, vectorised: the default `reverse` mode with sizes known in advance.

In `reverse` mode the signals fall into runs of one side. The first enabled signal of a run always
opens a position (any earlier position is of the other side and is closed by the run's first
signal), so runs are independent: a position opened in a run ends at its TP/SL or at the first
signal of the next run. After a TP/SL exit the next enabled signal of the same run at or after the
exit candle opens again. Each round below handles one such entry for every run at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from botmoon_backtest.domain.exits import barrier_exits
from botmoon_backtest.domain.model import ExitReason
from botmoon_backtest.domain.prepare import Prepared
from botmoon_backtest.domain.search import first_hits


@dataclass(frozen=True)
class Plan:
    """Trades without sizes, sorted by entry: entry signal, exit candle, price, reason, closing signal."""

    signal: np.ndarray
    exit_bar: np.ndarray
    exit_price: np.ndarray
    exit_reason: np.ndarray
    exit_signal: np.ndarray

    def __len__(self) -> int:
        return len(self.signal)

    def head(self, count: int) -> Plan:
        """A copy of the first `count` trades."""
        return Plan(*(getattr(self, name)[:count].copy() for name in self.__dataclass_fields__))


def plan_reverse(prep: Prepared) -> Plan:
    """Every trade of a `reverse`-mode simulation in which every enabled signal can be entered."""
    candles = prep.candles
    n = len(candles)
    m = len(prep)
    if m == 0:
        return _empty_plan()
    change = np.flatnonzero(prep.side[1:] != prep.side[:-1]) + 1
    run_start = np.concatenate(([0], change))
    run_end = np.append(change, m)
    closer = np.where(run_end < m, run_end, -1)
    stop = np.where(closer >= 0, prep.index[np.minimum(closer, m - 1)] + 1, n)

    runs = np.arange(len(run_start))
    entries = prep.next_enabled[run_start]
    live = entries < run_end
    runs, entries = runs[live], entries[live]
    parts = []
    while len(entries):
        hits = first_hits(candles.low, candles.high, prep.index[entries] + 1, stop[runs],
                          prep.lower[entries], prep.upper[entries])
        parts.append(_round_trades(prep, entries, closer[runs], hits))
        hit = hits >= 0
        runs, entries, hits = runs[hit], entries[hit], hits[hit]
        following = prep.next_enabled[np.searchsorted(prep.index, hits)]
        live = following < run_end[runs]
        runs, entries = runs[live], following[live]
    if not parts:
        return _empty_plan()
    if len(parts) == 1:
        return Plan(*parts[0])
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    return Plan(*(column[order] for column in columns))


def _round_trades(prep: Prepared, entries: np.ndarray, closers: np.ndarray, hits: np.ndarray):
    candles = prep.candles
    n = len(candles)
    # Exit by the closing signal by default; only a run that reaches the end of the data has none.
    bar = prep.act_bar[closers]
    price = prep.act_price[closers]
    reason = np.full(len(entries), ExitReason.SIGNAL, dtype=np.int8)
    exit_signal = closers.copy()
    open_at_end = np.flatnonzero(closers < 0)
    bar[open_at_end] = n - 1
    price[open_at_end] = candles.close[n - 1]
    reason[open_at_end] = ExitReason.END
    hit = np.flatnonzero(hits >= 0)
    if len(hit):
        h = hits[hit]
        e = entries[hit]
        price[hit], reason[hit] = barrier_exits(candles.open[h], candles.low[h], candles.high[h], prep.side[e],
                                                prep.lower[e], prep.upper[e], prep.settings.both_hit)
        bar[hit] = h
        exit_signal[hit] = -1
    return entries, bar, price, reason, exit_signal


def _empty_plan() -> Plan:
    empty_int = np.empty(0, dtype=np.int64)
    return Plan(empty_int, empty_int, np.empty(0), np.empty(0, dtype=np.int8), empty_int)
