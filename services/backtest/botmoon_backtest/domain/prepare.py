"""Per-signal facts that do not depend on the account: where a signal acts, at what price, and its barriers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from botmoon_backtest.domain.model import (
    LONG,
    SHORT,
    SIDE_NAMES,
    Candles,
    EntryTiming,
    Levels,
    Signals,
    SimulationSettings,
)
from botmoon_common.timefmt import iso


@dataclass(frozen=True)
class Prepared:
    """Signals ready for the simulation, all arrays aligned with the kept signals.

    `act_bar`/`act_price` are where the signal fills, whether it opens or closes a position;
    `lower`/`upper` are the barriers of a position it opens (±inf where there is no level); `sl`
    is the SL in use (NaN if none). `kept` maps back to the given signals.
    """

    candles: Candles
    settings: SimulationSettings
    given: int
    kept: np.ndarray
    index: np.ndarray
    side: np.ndarray
    act_bar: np.ndarray
    act_price: np.ndarray
    sl: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    enabled: np.ndarray
    next_enabled: np.ndarray
    wrong_tp: np.ndarray
    wrong_sl: np.ndarray
    given_tp: np.ndarray
    given_sl: np.ndarray
    warnings: list[str]

    def __len__(self) -> int:
        return len(self.index)

    @property
    def dropped(self) -> bool:
        """Whether some given signals were dropped (so positions differ from the given ones)."""
        return len(self.kept) < self.given


def entry_prices(candles: Candles, signals: Signals, settings: SimulationSettings) -> np.ndarray:
    """The price each signal fills at (its own price, or the next candle's open); NaN where it cannot fill.

    Levels depend only on this price and the side, so the service can ask the strategy for all
    of them in one batch before simulating.
    """
    if settings.entry_timing is EntryTiming.SIGNAL_PRICE:
        return signals.price.copy()
    prices = np.full(len(signals), np.nan)
    fillable = signals.index + 1 < len(candles)
    prices[fillable] = candles.open[signals.index[fillable] + 1]
    return prices


def prepare(candles: Candles, signals: Signals, settings: SimulationSettings, levels: Levels | None) -> Prepared:
    """Check signals against the candles, drop the ones that cannot fill, and validate their levels."""
    _check_signals(candles, signals)
    m = len(signals)
    if levels is None:
        levels = Levels.none(m)
    if not (len(levels.tp) == len(levels.sl) == m):
        raise ValueError("levels: tp and sl need one value per signal")
    warnings: list[str] = []
    fills = entry_prices(candles, signals, settings)
    index, side = signals.index, signals.side
    tp = np.asarray(levels.tp, dtype=np.float64)
    sl = np.asarray(levels.sl, dtype=np.float64)
    if settings.entry_timing is EntryTiming.NEXT_OPEN:
        kept = np.flatnonzero(index + 1 < len(candles))
        if len(kept) < m:
            warnings.append(f"{m - len(kept)} signal(s) on the last candle dropped: "
                            "no next candle to fill at (entry_timing=next_open)")
            index, side, fills, tp, sl = index[kept], side[kept], fills[kept], tp[kept], sl[kept]
        act_bar = index + 1
    else:
        kept = np.arange(m)
        act_bar = index
    with np.errstate(invalid="ignore"):
        tp_ok = side * (tp - fills) > 0
        sl_ok = side * (fills - sl) > 0
    tp_ok &= np.isfinite(tp)
    sl_ok &= np.isfinite(sl)
    wrong_tp = ~tp_ok & np.isfinite(tp)
    wrong_sl = ~sl_ok & np.isfinite(sl)
    # A missing TP is infinitely far on its side (+inf for a long); a missing SL likewise on the other.
    unreachable = side * np.inf
    take = np.where(tp_ok, tp, unreachable)
    stop = np.where(sl_ok, sl, -unreachable)

    directions = settings.effective_directions
    enabled = (side == LONG) if "long" in directions else np.zeros(len(side), dtype=bool)
    if "short" in directions:
        enabled |= side == SHORT
    if "short" in settings.enabled_directions and "short" not in directions:
        warnings.append("CRYPTO_SPOT trades long only: short signals only close long positions")
    for side_value, name in SIDE_NAMES.items():
        disabled = int(np.count_nonzero(~enabled & (side == side_value)))
        if disabled:
            warnings.append(f"{disabled} {name} signal(s) ignored for entries: direction {name!r} not enabled")
    return Prepared(
        candles=candles, settings=settings, given=m, kept=kept, index=index, side=side, act_bar=act_bar,
        act_price=fills, sl=np.where(sl_ok, sl, np.nan),
        lower=np.minimum(take, stop), upper=np.maximum(take, stop), enabled=enabled,
        next_enabled=_next_true(enabled), wrong_tp=wrong_tp, wrong_sl=wrong_sl, given_tp=tp, given_sl=sl,
        warnings=warnings,
    )


def _check_signals(candles: Candles, signals: Signals) -> None:
    n = len(candles)
    if len(signals) == 0:
        return
    if signals.index[0] < 0 or signals.index[-1] >= n:
        raise ValueError(f"signals: candle index outside [0, {n})")
    low = candles.low[signals.index]
    high = candles.high[signals.index]
    outside = ~((signals.price >= low) & (signals.price <= high))
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise ValueError(f"signals: price {signals.price[k]} at {iso(candles.time[signals.index[k]])} "
                         f"is outside the candle's low-high [{low[k]}, {high[k]}]")


def _next_true(mask: np.ndarray) -> np.ndarray:
    """For each position, the first position at or after it where `mask` holds; len(mask) if none.

    One extra slot at the end (also len(mask)) lets callers look up position len(mask).
    """
    m = len(mask)
    if mask.all():
        return np.arange(m + 1)
    candidates = np.where(mask, np.arange(m), m)
    out = np.empty(m + 1, dtype=np.int64)
    out[m] = m
    out[:m] = np.minimum.accumulate(candidates[::-1])[::-1]
    return out


def signal_label(prep: Prepared, position: int) -> str:
    """A short human name for a kept signal: side, candle time and price."""
    return (f"{SIDE_NAMES[int(prep.side[position])]} at {iso(prep.candles.time[prep.index[position]])} "
            f"(entry {prep.act_price[position]:.10g})")
