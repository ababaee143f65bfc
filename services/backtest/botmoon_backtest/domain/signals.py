"""What `generate_signals` returned (as JSON-like data) -> validated `Signals`: forgiving in, exact out.

Accepted: `{'signals': [...]}` or a bare list of `{'time', 'type', 'price'}` objects. Keys are
matched without regard to case, with a few aliases (`timestamp`, `side`, ...). `time` may be epoch
milliseconds, an ISO-8601 string (UTC when it names no zone), a datetime or a pandas Timestamp;
`type` is long/short/buy/sell in any case. A signal whose time is not a candle's open time, whose
price is missing, NaN or outside that candle's low-high, or whose type is unknown, is dropped with a
warning that names it.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from botmoon_backtest.domain.model import LONG, SHORT, Candles, Signals
from botmoon_backtest.domain.timefmt import iso

KEY_ALIASES = {
    "time": ("time", "timestamp", "datetime", "date"),
    "type": ("type", "side", "signal", "direction"),
    "price": ("price", "entry_price", "entry"),
}
SIDE_WORDS = {"long": LONG, "buy": LONG, "short": SHORT, "sell": SHORT}
NAMED_DROPS = 20
# Signal prices computed from the candles may differ from them in the last bits.
PRICE_TOLERANCE = 1e-9


class SignalFormatError(ValueError):
    """The return value of `generate_signals` has no usable shape at all."""


@dataclass(frozen=True)
class NormalizedSignals:
    """The usable signals, sorted by candle, and one warning per kind of problem."""

    signals: Signals
    warnings: list[str]
    dropped: int


def normalize_signals(raw, candles: Candles) -> NormalizedSignals:
    """Turn the strategy's returned value into `Signals` on these candles, dropping malformed ones."""
    items = _items(raw)
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


def _items(raw) -> list:
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(key, str) and key.lower() == "signals":
                raw = value
                break
        else:
            raise SignalFormatError("generate_signals returned a dict without a 'signals' key "
                                    f"(keys: {sorted(map(str, raw))[:10]})")
    if raw is None:
        raise SignalFormatError("generate_signals returned None; expected {'signals': [...]} or a list")
    if isinstance(raw, (list, tuple)):
        return list(raw)
    raise SignalFormatError(f"generate_signals returned {type(raw).__name__}; "
                            "expected {'signals': [...]} or a list")


def _parse(item, candles: Candles) -> tuple[int, int, float] | str:
    if not isinstance(item, dict):
        return f"not an object but {type(item).__name__}"
    fields = _fields(item)
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
    side = SIDE_WORDS.get(kind.strip().lower()) if isinstance(kind, str) else None
    if side is None:
        return f"unknown type {kind!r} (expected long/short/buy/sell)"
    price = _number(fields.get("price"))
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


def _fields(item: dict) -> dict:
    lowered = {str(key).strip().lower(): value for key, value in item.items()}
    fields = {}
    for name, aliases in KEY_ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                fields[name] = lowered[alias]
                break
    return fields


def to_epoch_ms(value) -> int | None:
    """Epoch milliseconds of a timestamp given as ms, ISO string, datetime or pandas Timestamp; None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number) or number != int(number):
            return None
        return int(number)
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else int(value.astype("datetime64[ms]").astype(np.int64))
    if isinstance(value, str):
        return _parse_text_time(value.strip())
    if isinstance(value, datetime):
        return _datetime_ms(value)
    return None


def _datetime_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _parse_text_time(text: str) -> int | None:
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _parse_with_pandas(text)
    return _datetime_ms(moment)


def _parse_with_pandas(text: str) -> int | None:
    import pandas as pd

    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1_000_000)


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _short(item) -> str:
    text = repr(item)
    return text if len(text) <= 120 else text[:117] + "..."
