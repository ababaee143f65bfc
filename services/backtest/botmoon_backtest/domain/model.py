"""The engine's inputs: candles, signals and levels as columns of numpy arrays, and the settings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np

LONG = 1
SHORT = -1
SIDE_NAMES = {LONG: "long", SHORT: "short"}
MAX_COMMISSION_RATE = 0.1


class SymbolType(StrEnum):
    """Market kind: spot trades long only, futures both ways with leverage."""

    CRYPTO_FUTURE = "CRYPTO_FUTURE"
    CRYPTO_SPOT = "CRYPTO_SPOT"


class EntryTiming(StrEnum):
    """Where a signal fills: at its own price at its candle's close, or at the next candle's open."""

    SIGNAL_PRICE = "signal_price"
    NEXT_OPEN = "next_open"


class OppositeSignal(StrEnum):
    """What a signal against the open position does."""

    REVERSE = "reverse"
    CLOSE_ONLY = "close_only"
    IGNORE = "ignore"


class BothHit(StrEnum):
    """Which level a candle that touches both TP and SL (opening between them) exits at."""

    SL = "sl"
    TP = "tp"


class ExitReason(IntEnum):
    """Why a trade closed; `name.lower()` is the reported string."""

    TP = 0
    SL = 1
    SIGNAL = 2
    END = 3
    LIQUIDATION = 4


EXIT_REASON_NAMES = tuple(reason.name.lower() for reason in ExitReason)


@dataclass(frozen=True)
class Candles:
    """OHLC candles as float64 columns, `time` as int64 epoch milliseconds (the candle's open time)."""

    time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    @classmethod
    def from_arrays(cls, time, open, high, low, close) -> Candles:  # noqa: A002 - the column's name
        """Build candles from array-likes; raises ValueError on ragged, unsorted or non-finite input."""
        columns = {"open": open, "high": high, "low": low, "close": close}
        arrays = {name: np.ascontiguousarray(values, dtype=np.float64) for name, values in columns.items()}
        times = np.ascontiguousarray(time, dtype=np.int64)
        n = len(times)
        if n == 0:
            raise ValueError("candles: at least one candle is needed")
        for name, values in arrays.items():
            if values.shape != (n,):
                raise ValueError(f"candles: column {name!r} has {values.shape} values for {n} times")
            if not np.isfinite(values).all():
                raise ValueError(f"candles: column {name!r} holds NaN or infinite values")
            if not (values > 0).all():
                raise ValueError(f"candles: column {name!r} holds prices at or below zero")
        if n > 1 and not (np.diff(times) > 0).all():
            raise ValueError("candles: times must be strictly increasing")
        if (arrays["low"] > np.minimum(arrays["open"], arrays["close"])).any() or (
            arrays["high"] < np.maximum(arrays["open"], arrays["close"])
        ).any():
            raise ValueError("candles: every candle needs low <= open, close <= high")
        return cls(time=times, **arrays)

    def __len__(self) -> int:
        return len(self.time)

    @property
    def bar_ms(self) -> int:
        """The candle length in ms, taken as the median spacing (0 for a single candle)."""
        if len(self.time) < 2:
            return 0
        return int(np.median(np.diff(self.time)))


@dataclass(frozen=True)
class Signals:
    """Validated signals sorted by candle: `index` into the candles, `side` +1/-1, `price`."""

    index: np.ndarray
    side: np.ndarray
    price: np.ndarray

    @classmethod
    def from_arrays(cls, index, side, price) -> Signals:
        """Build signals from array-likes; a stable sort by candle keeps the given order within a candle."""
        idx = np.asarray(index, dtype=np.int64)
        sides = np.asarray(side, dtype=np.int8)
        prices = np.asarray(price, dtype=np.float64)
        if not (idx.shape == sides.shape == prices.shape) or idx.ndim != 1:
            raise ValueError("signals: index, side and price must be 1-d arrays of one length")
        if not np.isin(sides, (LONG, SHORT)).all():
            raise ValueError("signals: side must be +1 (long) or -1 (short)")
        order = np.argsort(idx, kind="stable")
        if (order != np.arange(len(idx))).any():
            idx, sides, prices = idx[order], sides[order], prices[order]
        return cls(index=np.ascontiguousarray(idx), side=np.ascontiguousarray(sides),
                   price=np.ascontiguousarray(prices))

    @classmethod
    def empty(cls) -> Signals:
        """No signals."""
        return cls.from_arrays([], [], [])

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True)
class Levels:
    """Take-profit and stop-loss prices per signal (aligned with `Signals`), NaN where there is none."""

    tp: np.ndarray
    sl: np.ndarray

    @classmethod
    def none(cls, count: int) -> Levels:
        """No levels for `count` signals."""
        return cls(tp=np.full(count, np.nan), sl=np.full(count, np.nan))


@dataclass(frozen=True)
class SimulationSettings:
    """Every setting of the simulation; the defaults are those of `docs/backtest-semantics.md`."""

    initial_capital: float = 10_000.0
    commission_rate: float = 0.0005
    symbol_type: SymbolType = SymbolType.CRYPTO_FUTURE
    enabled_directions: frozenset[str] = frozenset({"long", "short"})
    max_leverage: float = 10.0
    entry_timing: EntryTiming = EntryTiming.SIGNAL_PRICE
    opposite_signal: OppositeSignal = OppositeSignal.REVERSE
    both_hit: BothHit = BothHit.SL

    def __post_init__(self) -> None:
        _check(math.isfinite(self.initial_capital) and self.initial_capital > 0,
               "initial_capital", "must be a finite number > 0")
        _check(math.isfinite(self.commission_rate) and 0 <= self.commission_rate <= MAX_COMMISSION_RATE,
               "commission_rate", f"must be within [0, {MAX_COMMISSION_RATE}]")
        _check(math.isfinite(self.max_leverage) and self.max_leverage >= 1, "max_leverage", "must be >= 1")
        given = self.enabled_directions
        directions = frozenset(d.lower() for d in ([given] if isinstance(given, str) else given))
        _check(directions <= {"long", "short"}, "enabled_directions", "may hold only 'long' and 'short'")
        for name, kind in (("symbol_type", SymbolType), ("entry_timing", EntryTiming),
                           ("opposite_signal", OppositeSignal), ("both_hit", BothHit)):
            value = getattr(self, name)
            _check(value in set(kind), name, f"must be one of {[k.value for k in kind]}")
            object.__setattr__(self, name, kind(value))
        object.__setattr__(self, "enabled_directions", directions)

    @property
    def effective_directions(self) -> frozenset[str]:
        """The directions that may open positions: spot never opens shorts."""
        if self.symbol_type is SymbolType.CRYPTO_SPOT:
            return self.enabled_directions & {"long"}
        return self.enabled_directions


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise ValueError(f"{name}: {message}")
