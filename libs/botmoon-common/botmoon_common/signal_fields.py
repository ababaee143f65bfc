"""How a signal returned by `generate_signals` is read, for the backtest and the live runner alike.

Accepted: `{'signals': [...]}` or a bare list of objects. Keys are matched without regard to case,
with a few aliases (`timestamp`, `side`, ...). `time` may be epoch milliseconds, an ISO-8601 string
(UTC when it names no zone) or a datetime; `type` is long/short/buy/sell in any case.
"""

import math
import numbers
from datetime import UTC, datetime

KEY_ALIASES = {
    "time": ("time", "timestamp", "datetime", "date"),
    "type": ("type", "side", "signal", "direction"),
    "price": ("price", "entry_price", "entry"),
}
SIDE_WORDS = {"long": "long", "buy": "long", "short": "short", "sell": "short"}
# Signal prices computed from the candles may differ from them in the last bits.
PRICE_TOLERANCE = 1e-9


class SignalFormatError(ValueError):
    """The return value of `generate_signals` has no usable shape at all."""


def signal_items(raw) -> list:
    """The list of signal objects in what `generate_signals` returned."""
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
    if isinstance(raw, list | tuple):
        return list(raw)
    raise SignalFormatError(f"generate_signals returned {type(raw).__name__}; "
                            "expected {'signals': [...]} or a list")


def signal_fields(item: dict) -> dict:
    """`time`, `type` and `price` of one signal object, found under any alias."""
    lowered = {str(key).strip().lower(): value for key, value in item.items()}
    fields = {}
    for name, aliases in KEY_ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                fields[name] = lowered[alias]
                break
    return fields


def side_of(kind) -> str | None:
    """"long" or "short" for a signal's type word; None when it is not one."""
    return SIDE_WORDS.get(kind.strip().lower()) if isinstance(kind, str) else None


def to_epoch_ms(value) -> int | None:
    """Epoch milliseconds of a timestamp given as ms, ISO string, datetime or pandas Timestamp; None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number) or number != int(number):
            return None
        return int(number)
    if isinstance(value, str):
        return _parse_text_time(value.strip())
    if isinstance(value, datetime):
        return _datetime_ms(value)
    return None


def to_number(value) -> float | None:
    """A finite float, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


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
    try:
        import pandas as pd  # the rarer spellings only; callers without pandas get None
    except ImportError:
        return None
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1_000_000)
