"""Piecewise-constant values expanded over the candles a chunk at a time.

Expanding per-segment values (barriers, equity intercepts) to every candle of a million-candle
series at once would allocate several arrays of that length per call; chunk by chunk, the
temporaries stay small enough to live in the CPU cache and to be reused by the allocator.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

CHUNK = 1 << 17


def segment_edges(starts: np.ndarray, stops: np.ndarray, n: int) -> np.ndarray:
    """[0, starts[0], stops[0], starts[1], ..., n]: the disjoint sorted windows with the gaps between them.

    Segment 2k+1 is window k; the even segments are the gaps (possibly empty).
    """
    edges = np.empty(2 * len(starts) + 2, dtype=np.int64)
    edges[0] = 0
    edges[1:-1:2] = starts
    edges[2:-1:2] = stops
    edges[-1] = n
    return edges


def chunks(edges: np.ndarray, size: int | None = None) -> Iterator[tuple[int, int, slice, np.ndarray]]:
    """For each chunk [a, b) of [0, edges[-1]): (a, b, the segments covering it, their lengths within it).

    Segment k spans [edges[k], edges[k+1]); `np.repeat(values[segments], lengths)` is then the
    chunk's slice of the expanded values.
    """
    n = int(edges[-1])
    size = size or CHUNK
    for a in range(0, n, size):
        b = min(n, a + size)
        first = int(np.searchsorted(edges, a, side="right")) - 1
        last = int(np.searchsorted(edges, b, side="left"))
        bounds = edges[first:last + 1].copy()
        bounds[0], bounds[-1] = a, b
        yield a, b, slice(first, last), np.diff(bounds)
