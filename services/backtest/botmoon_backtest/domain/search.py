"""Finding the first candle that crosses a barrier: one window at a time, or many disjoint windows at once.

A barrier pair is `lower` (hit when `low <= lower`) and `upper` (hit when `high >= upper`); ±inf disables a side.
For a long position the SL is the lower barrier and the TP the upper one; for a short it is the other way round.
"""

from __future__ import annotations

import numpy as np

from botmoon_backtest.domain.pieces import chunks, segment_edges

_FIRST_CHUNK = 32
_GROWTH = 4


def first_hit(low: np.ndarray, high: np.ndarray, start: int, stop: int, lower: float, upper: float) -> int:
    """First index in [start, stop) with `low <= lower` or `high >= upper`, or -1.

    Searches in chunks that grow geometrically, so a hit close to `start` costs one small
    array operation and a far one costs O(distance).
    """
    check_low = lower > -np.inf
    check_high = upper < np.inf
    if not (check_low or check_high):
        return -1
    chunk = _FIRST_CHUNK
    while start < stop:
        end = min(stop, start + chunk)
        if check_low and check_high:
            hit = (low[start:end] <= lower) | (high[start:end] >= upper)
        elif check_low:
            hit = low[start:end] <= lower
        else:
            hit = high[start:end] >= upper
        j = int(hit.argmax())
        if hit[j]:
            return start + j
        start = end
        chunk *= _GROWTH
    return -1


def first_hits(low: np.ndarray, high: np.ndarray, starts: np.ndarray, stops: np.ndarray,
               lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """`first_hit` for many windows [starts[k], stops[k]) at once; -1 where there is none.

    The windows must be disjoint and sorted by start (the open positions of one round of the
    simulation are). When they cover much of the data every candle is compared with the barriers
    of its window, chunk by chunk; otherwise only the windows' candles are gathered.

    Only the first hit of each run of consecutive hits can be a window's first hit, unless the
    run began before the window: windows hit at their first candle are taken directly, the others
    are looked up among the runs' first candles, which are far fewer than the hits.
    """
    result = np.full(len(starts), -1, dtype=np.int64)
    lengths = stops - starts
    active = np.flatnonzero((lengths > 0) & ((lower > -np.inf) | (upper < np.inf)))
    if len(active) == 0:
        return result
    if len(active) < len(starts):
        starts, stops, lengths = starts[active], stops[active], lengths[active]
        lower, upper = lower[active], upper[active]
    total = int(lengths.sum())
    if 4 * total >= len(low):
        at_start, run_starts = _scan_dense(low, high, starts, stops, lower, upper)
        result[active] = _first_of_windows(at_start, run_starts, starts, stops)
    else:
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)
        hit = low[positions] <= np.repeat(lower, lengths)
        hit |= high[positions] >= np.repeat(upper, lengths)
        run_starts = np.flatnonzero(hit[1:] > hit[:-1]) + 1
        first = _first_of_windows(hit[offsets], run_starts, offsets, offsets + lengths)
        result[active] = np.where(first >= 0, positions[np.maximum(first, 0)], -1)
    return result


def _scan_dense(low, high, starts, stops, lower, upper) -> tuple[np.ndarray, np.ndarray]:
    """Whether each window is hit at its first candle, and every candle that starts a run of hits."""
    edges = segment_edges(starts, stops, len(low))
    lower_seg = np.full(len(edges) - 1, -np.inf)
    upper_seg = np.full(len(edges) - 1, np.inf)
    lower_seg[1::2] = lower
    upper_seg[1::2] = upper
    at_start = np.empty(len(starts), dtype=bool)
    runs = []
    previous = False
    for a, b, segments, lengths in chunks(edges):
        hit = low[a:b] <= np.repeat(lower_seg[segments], lengths)
        hit |= high[a:b] >= np.repeat(upper_seg[segments], lengths)
        if hit[0] and not previous:
            runs.append(np.array([a]))
        runs.append(np.flatnonzero(hit[1:] > hit[:-1]) + (a + 1))
        previous = bool(hit[-1])
        first, last = np.searchsorted(starts, (a, b))
        at_start[first:last] = hit[starts[first:last] - a]
    return at_start, np.concatenate(runs)


def _first_of_windows(at_start, run_starts, starts, stops) -> np.ndarray:
    j = np.searchsorted(run_starts, starts)
    candidate = run_starts[np.minimum(j, len(run_starts) - 1)] if len(run_starts) else np.zeros_like(starts)
    found = (j < len(run_starts)) & (candidate < stops)
    return np.where(at_start, starts, np.where(found, candidate, -1))
