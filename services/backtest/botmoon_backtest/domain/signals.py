"""What `generate_signals` returned (as JSON-like data) -> validated `Signals`: forgiving in, exact out.

Accepted: `{'signals': [...]}` or a bare list of `{'time', 'type', 'price'}` objects. Keys are
matched without regard to case, with a few aliases (`timestamp`, `side`, ...). `time` may be epoch
milliseconds, an ISO-8601 string (UTC when it names no zone), a datetime or a pandas Timestamp;
`type` is long/short/buy/sell in any case. A signal whose time is not a candle's open time, whose
price is missing, NaN or outside that candle's low-high, or whose type is unknown, is dropped with a
warning that names it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from botmoon_backtest.domain.model import LONG, SHORT, Candles, Signals
from botmoon_common import signal_fields as shared
from botmoon_common.signal_fields import (
    PRICE_TOLERANCE,
    SignalFormatError,
    side_of,
    signal_fields,
    signal_items,
    to_number,
)
from botmoon_common.timefmt import iso

__all__ = ["NormalizedSignals", "SignalFormatError", "normalize_signals", "to_epoch_ms"]

SIDES = {"long": LONG, "short": SHORT}
NAMED_DROPS = 20


@dataclass(frozen=True)
class NormalizedSignals:
    """The usable signals, sorted by candle, and one warning per kind of problem."""

    signals: Signals
    warnings: list[str]
    dropped: int


def normalize_signals(raw, candles: Candles) -> NormalizedSignals:
    """Turn the strategy's returned value into `Signals` on these candles, dropping malformed ones."""
    items = signal_items(raw)
    index, side, price = [], [], []
    problems: list[str] = []
    for number, item in enumerate(items):
        parsed = _parse(item, candles)
        if isinstance(parsed, str):
            problems.append(f"signal #{number} {_short(item)}: {parsed}")
            continue
        index.append(parsed[0])
        side.append(parsed[1])
        price.append(parsed[2])
    warnings = []
    if problems:
        shown = "; ".join(problems[:NAMED_DROPS])
        more = f"; and {len(problems) - NAMED_DROPS} more" if len(problems) > NAMED_DROPS else ""
        warnings.append(f"{len(problems)} of {len(items)} signal(s) dropped: {shown}{more}")
    signals = Signals.from_arrays(np.array(index, dtype=np.int64), np.array(side, dtype=np.int8),
                                  np.array(price, dtype=np.float64))
    return NormalizedSignals(signals=signals, warnings=warnings, dropped=len(problems))


def _parse(item, candles: Candles) -> tuple[int, int, float] | str:
    if not isinstance(item, dict):
        return f"not an object but {type(item).__name__}"
    fields = signal_fields(item)
    if "time" not in fields:
        return "no time"
    if "type" not in fields:
        return "no type"
    ms = to_epoch_ms(fields["time"])
    if ms is None:
        return f"time {fields['time']!r} is not a timestamp"
    position = _candle_at(candles.time, ms)
    if position is None:
        seconds = _candle_at(candles.time, ms * 1000) is not None
        hint = " (epoch seconds? times are epoch milliseconds)" if seconds else ""
        return f"time {iso(ms)} is not a candle of the data{hint}"
    kind = fields["type"]
    side = SIDES.get(side_of(kind) or "")
    if side is None:
        return f"unknown type {kind!r} (expected long/short/buy/sell)"
    price = to_number(fields.get("price"))
    if price is None:
        return "price missing or not a number"
    low, high = float(candles.low[position]), float(candles.high[position])
    slack = PRICE_TOLERANCE * max(abs(low), abs(high))
    if not low - slack <= price <= high + slack:
        return f"price {price:.10g} outside the candle's low-high [{low:.10g}, {high:.10g}]"
    return position, side, min(max(price, low), high)


def _candle_at(times: np.ndarray, ms: int) -> int | None:
    if not -(2**62) < ms < 2**62:
        return None
    position = int(np.searchsorted(times, ms))
    return position if position < len(times) and times[position] == ms else None


def to_epoch_ms(value) -> int | None:
    """Epoch milliseconds of a timestamp (also a numpy datetime64); None if not one."""
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else int(value.astype("datetime64[ms]").astype(np.int64))
    return shared.to_epoch_ms(value)


def _short(item) -> str:
    text = repr(item)
    return text if len(text) <= 120 else text[:117] + "..."
