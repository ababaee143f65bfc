"""The signal a strategy gives on one candle, from what `generate_signals` returned.

The rules are the backtest's (`botmoon_backtest.domain.signals`): `{'signals': [...]}` or a list;
keys without regard to case, with aliases; `time` as epoch ms, ISO text (UTC when no zone) or a
timestamp; `type` long/short/buy/sell; the price inside the candle's low-high.
"""

import datetime as dt
import math
import numbers

KEY_ALIASES = {
    "time": ("time", "timestamp", "datetime", "date"),
    "type": ("type", "side", "signal", "direction"),
    "price": ("price", "entry_price", "entry"),
}
SIDE_WORDS = {"long": "long", "buy": "long", "short": "short", "sell": "short"}
PRICE_TOLERANCE = 1e-9


class SignalFormatError(ValueError):
    """The return value of `generate_signals` has no usable shape at all."""


def signal_on(raw, time_ms: int, low: float, high: float) -> tuple[str, float] | None:
    """(side, price) of the last valid signal on the candle opened at `time_ms`, else None."""
    found = None
    for item in _items(raw):
        if not isinstance(item, dict):
            continue
        fields = _fields(item)
        if to_epoch_ms(fields.get("time")) != time_ms:
            continue
        kind = fields.get("type")
        side = SIDE_WORDS.get(kind.strip().lower()) if isinstance(kind, str) else None
        price = _number(fields.get("price"))
        if side is None or price is None:
            continue
        slack = PRICE_TOLERANCE * max(abs(low), abs(high))
        if low - slack <= price <= high + slack:
            found = (side, min(max(price, low), high))
    return found


def _items(raw) -> list:
    if isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(key, str) and key.lower() == "signals":
                raw = value
                break
        else:
            raise SignalFormatError("generate_signals returned a dict without a 'signals' key")
    if isinstance(raw, list | tuple):
        return list(raw)
    raise SignalFormatError(f"generate_signals returned {type(raw).__name__}; expected {{'signals': [...]}} "
                            "or a list")


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
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
        return int(number) if math.isfinite(number) and number == int(number) else None
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        delta = moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    return None


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
