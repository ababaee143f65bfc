"""The signal a strategy gives on one candle, read by the backtest's rules (`botmoon_common.signal_fields`):
time is that candle's open time, type long/short/buy/sell, price inside the candle's low-high."""

from botmoon_common.signal_fields import (
    PRICE_TOLERANCE,
    SignalFormatError,
    side_of,
    signal_fields,
    signal_items,
    to_epoch_ms,
    to_number,
)

__all__ = ["SignalFormatError", "signal_on"]


def signal_on(raw, time_ms: int, low: float, high: float) -> tuple[str, float] | None:
    """(side, price) of the last valid signal on the candle opened at `time_ms`, else None."""
    found = None
    for item in signal_items(raw):
        if not isinstance(item, dict):
            continue
        fields = signal_fields(item)
        if to_epoch_ms(fields.get("time")) != time_ms:
            continue
        side, price = side_of(fields.get("type")), to_number(fields.get("price"))
        if side is None or price is None:
            continue
        slack = PRICE_TOLERANCE * max(abs(low), abs(high))
        if low - slack <= price <= high + slack:
            found = (side, min(max(price, low), high))
    return found
