"""Candles as columns: the checks every stored series passes, gaps, merging and resampling."""

from dataclasses import dataclass
from enum import Enum

import numpy as np

from botmoon_marketdata.domain import timeframes
from botmoon_marketdata.domain.errors import InvalidSeries

PRICE_COLUMNS = ("open", "high", "low", "close")


class Source(Enum):
    """Where candles came from: fetched now, fetched or imported earlier, or shipped with the project."""

    EXCHANGE = "exchange"
    STORE = "store"
    BUNDLED = "bundled"


COLUMNS = ("open_time_ms", *PRICE_COLUMNS, "volume")


@dataclass(frozen=True)
class Candles:
    """One series, ascending by open time (UTC ms). Row i of every column is one candle."""

    open_time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    @classmethod
    def empty(cls) -> "Candles":
        return cls(np.empty(0, np.int64), *(np.empty(0, np.float64) for _ in range(5)))

    @classmethod
    def from_columns(cls, open_time_ms, open, high, low, close, volume) -> "Candles":  # noqa: A002
        return cls(np.asarray(open_time_ms, dtype=np.int64), *(np.asarray(c, dtype=np.float64)
                                                               for c in (open, high, low, close, volume)))

    @classmethod
    def from_rows(cls, rows) -> "Candles":
        """From [[time, open, high, low, close, volume], ...] as ccxt returns them."""
        if len(rows) == 0:
            return cls.empty()
        table = np.asarray(rows, dtype=np.float64)
        return cls(table[:, 0].astype(np.int64), *(np.ascontiguousarray(table[:, i]) for i in range(1, 6)))

    def __len__(self) -> int:
        return len(self.open_time_ms)

    def columns(self) -> tuple[np.ndarray, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)

    def take(self, selector) -> "Candles":
        return Candles(*(c[selector] for c in self.columns()))

    def between(self, start_ms: int, end_ms: int) -> "Candles":
        """Rows with start_ms <= open time < end_ms."""
        lo, hi = np.searchsorted(self.open_time_ms, [start_ms, end_ms], side="left")
        return self.take(slice(lo, hi))

    @property
    def first_ms(self) -> int:
        return int(self.open_time_ms[0]) if len(self) else 0

    @property
    def last_ms(self) -> int:
        return int(self.open_time_ms[-1]) if len(self) else 0


def problems(c: Candles, timeframe: str, limit: int = 5) -> list[str]:
    """What is wrong with a series, one line per broken rule with its first rows (empty: valid)."""
    step = timeframes.ms(timeframe)
    t = c.open_time_ms
    found: list[str] = []

    def report(rule: str, bad: np.ndarray) -> None:
        rows = np.flatnonzero(bad)
        if len(rows):
            shown = ", ".join(f"row {i} (t={int(t[i])})" for i in rows[:limit])
            found.append(f"{rule}: {len(rows)} rows, e.g. {shown}")

    report(f"open time off the {timeframe} grid", t % step != 0)
    if len(t) > 1:
        report("open time not increasing", np.concatenate([[False], np.diff(t) <= 0]))
    for name in (*PRICE_COLUMNS, "volume"):
        report(f"{name} not a finite number", ~np.isfinite(getattr(c, name)))
    report("high below max(open, close)", c.high < np.maximum(c.open, c.close))
    report("low above min(open, close)", c.low > np.minimum(c.open, c.close))
    report("negative volume", c.volume < 0)
    report("non-positive price", (c.low <= 0) | (c.open <= 0) | (c.close <= 0))
    return found


def validate(c: Candles, timeframe: str) -> Candles:
    """`c` itself when every rule holds, else InvalidSeries listing the broken ones."""
    found = problems(c, timeframe)
    if found:
        raise InvalidSeries(found)
    return c


@dataclass(frozen=True)
class Gap:
    first_ms: int
    last_ms: int
    missing: int


def gaps(c: Candles, timeframe: str, start_ms: int | None = None, end_ms: int | None = None) -> list[Gap]:
    """Runs of missing candles inside [start_ms, end_ms) (default: between the first and last candle)."""
    step = timeframes.ms(timeframe)
    t = c.open_time_ms
    found: list[Gap] = []
    if start_ms is not None and end_ms is not None and not len(t):
        first = -(-start_ms // step) * step
        if first < end_ms:
            n = (end_ms - 1 - first) // step + 1
            found.append(Gap(first, first + (n - 1) * step, int(n)))
        return found
    if not len(t):
        return found
    if start_ms is not None:
        first = -(-start_ms // step) * step
        if first < t[0]:
            found.append(Gap(first, int(t[0]) - step, int((t[0] - first) // step)))
    holes = np.flatnonzero(np.diff(t) > step)
    found.extend(Gap(int(t[i]) + step, int(t[i + 1]) - step, int((t[i + 1] - t[i]) // step - 1)) for i in holes)
    if end_ms is not None:
        last = (end_ms - 1) // step * step
        if last > t[-1]:
            found.append(Gap(int(t[-1]) + step, last, int((last - t[-1]) // step)))
    return found


def merge(old: Candles, new: Candles) -> Candles:
    """Union by open time; where both have a candle, the new one wins (an upsert)."""
    if not len(old):
        return new
    if not len(new):
        return old
    times = np.concatenate([new.open_time_ms, old.open_time_ms])
    _, first = np.unique(times, return_index=True)  # first occurrence: from `new` where both exist
    stacked = [np.concatenate([a, b]) for a, b in zip(new.columns(), old.columns(), strict=True)]
    return Candles(*(col[first] for col in stacked))


def resample(c: Candles, source_tf: str, target_tf: str) -> tuple[Candles, int]:
    """Candles of `target_tf` built from `source_tf`: open of the first, highest high, lowest low, close of
    the last, summed volume, on the target's UTC grid. Buckets missing any source candle are left out (never
    half-built); their count is returned with the result."""
    src, dst = timeframes.ms(source_tf), timeframes.ms(target_tf)
    if dst % src or dst <= src:
        raise ValueError(f"{target_tf} is not a multiple of {source_tf}")
    per_bucket = dst // src
    if not len(c):
        return Candles.empty(), 0
    bucket = c.open_time_ms // dst * dst
    starts = np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]]))
    counts = np.diff(np.append(starts, len(c)))
    complete = counts == per_bucket
    ends = starts + counts - 1
    out = Candles(
        bucket[starts],
        c.open[starts],
        np.maximum.reduceat(c.high, starts),
        np.minimum.reduceat(c.low, starts),
        c.close[ends],
        np.add.reduceat(c.volume, starts),
    )
    return out.take(complete), int((~complete).sum())
