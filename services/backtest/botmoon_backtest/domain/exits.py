"""The exit price and reason on the candle where a position's TP or SL is reached."""

from __future__ import annotations

import numpy as np

from botmoon_backtest.domain.model import LONG, BothHit, ExitReason


def barrier_exits(open_, low, high, side, lower, upper, both_hit: BothHit):
    """Exit (price, reason) arrays for positions whose barrier candle has the given OHLC values.

    A candle that opens beyond a barrier fills at its open; one that opens between them and
    touches both exits at the SL (or at the TP when `both_hit` is TP).
    """
    gap_low = open_ <= lower
    gap_high = open_ >= upper
    touch_low = low <= lower
    touch_high = high >= upper
    is_long = side == LONG
    # The lower barrier is the SL of a long and the TP of a short.
    both_prefers_lower = is_long if both_hit is BothHit.SL else ~is_long
    take_lower = gap_low | (~gap_high & touch_low & (~touch_high | both_prefers_lower))
    price = np.where(take_lower, np.where(gap_low, open_, lower), np.where(gap_high, open_, upper))
    lower_is_sl = is_long
    reason = np.where(take_lower == lower_is_sl, ExitReason.SL, ExitReason.TP).astype(np.int8)
    return price, reason


def barrier_exit(open_: float, low: float, high: float, side: int, lower: float, upper: float,
                 both_hit: BothHit) -> tuple[float, int]:
    """`barrier_exits` for one position, with Python scalars."""
    if open_ <= lower:
        take_lower, price = True, open_
    elif open_ >= upper:
        take_lower, price = False, open_
    else:
        touch_low = low <= lower
        touch_high = high >= upper
        if touch_low and touch_high:
            take_lower = (side == LONG) == (both_hit is BothHit.SL)
        else:
            take_lower = touch_low
        price = lower if take_lower else upper
    reason = ExitReason.SL if take_lower == (side == LONG) else ExitReason.TP
    return float(price), int(reason)
