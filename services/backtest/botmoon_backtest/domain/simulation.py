"""Simulate trades over candles from signals, TP/SL levels and position sizes (rules: docs/backtest-semantics.md).

The common case, `opposite_signal='reverse'` with sizes known in advance (a number or one per
signal), runs fully vectorised; a sizing callable, or another opposite-signal mode, runs entry by
entry. Both follow the same rules and are tested against each other and against a naive
candle-by-candle reference (`botmoon_backtest.reference`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from botmoon_backtest.domain.fixed_sizes import size_fixed
from botmoon_backtest.domain.ledger import settle
from botmoon_backtest.domain.model import (
    SIDE_NAMES,
    Candles,
    ExitReason,
    Levels,
    OppositeSignal,
    Signals,
    SimulationSettings,
    SymbolType,
)
from botmoon_backtest.domain.plan import plan_reverse
from botmoon_backtest.domain.prepare import Prepared, entry_prices, prepare, signal_label
from botmoon_backtest.domain.results import SignalStats, SimulationResult
from botmoon_backtest.domain.sequential import run_sequential
from botmoon_common.timefmt import iso

# capital, entry price, SL price (None when there is none), side ('long'/'short') -> quantity
PositionSizer = Callable[[float, float, float | None, str], float]
# entry price, side -> (TP, SL), either None
LevelFunction = Callable[[float, str], tuple[float | None, float | None]]

_EXAMPLES = 3

__all__ = ["LevelFunction", "PositionSizer", "entry_prices", "levels_from_function", "risk_position_sizer",
           "simulate"]


def simulate(candles: Candles, signals: Signals, settings: SimulationSettings | None = None, *,
             size: float | np.ndarray | PositionSizer, levels: Levels | None = None) -> SimulationResult:
    """Run the simulation.

    `size` is a quantity for every entry, an array with one per signal, or a callable
    `(capital, entry_price, sl_price_or_None, side) -> quantity` called once per entry with the
    equity at that moment. `levels` holds TP/SL prices per signal, computed at the signal's
    fill price (see `entry_prices` and `levels_from_function`); None means no levels.
    """
    settings = settings or SimulationSettings()
    prep = prepare(candles, signals, settings, levels)
    fixed = _fixed_sizes(size, len(signals), prep)
    skipped: list[int] = []
    skip_notes: list[str] = []
    if fixed is not None and settings.opposite_signal is OppositeSignal.REVERSE and _all_usable(fixed):
        plan = plan_reverse(prep)
        requested = fixed[plan.signal]
        sizing = size_fixed(prep, plan, requested)
        plan = plan.head(sizing.count)
        trades, equity, ruin = settle(prep, plan, sizing.size, requested[: sizing.count], sizing.capped)
    else:
        run = run_sequential(prep, _sizer(size, fixed))
        skipped, skip_notes = run.skipped, run.skip_notes
        trades, equity, ruin = settle(prep, run.plan, run.size, run.requested, run.capped)
    warnings = list(prep.warnings)
    warnings += _level_warnings(prep, trades.signal)
    warnings += _skip_warnings(skip_notes)
    if trades.capped.any():
        warnings.append(f"{int(trades.capped.sum())} trade(s) had their size capped by the notional limit "
                        f"({_limit_text(settings)}); see each trade's note")
    if ruin is not None:
        warnings.append(f"equity reached {equity[ruin]:.2f} at {iso(candles.time[ruin])}: trading stopped")
    return SimulationResult(
        trades=trades, initial_capital=settings.initial_capital, close=candles.close, warnings=warnings,
        signal_stats=_stats(prep, len(signals), trades, skipped), stopped_at_bar=ruin, built_equity=equity,
    )


def levels_from_function(function: LevelFunction, prices: np.ndarray, sides: np.ndarray) -> Levels:
    """Levels from a per-entry function such as the strategy's `calculate_tp_sl_levels`, called once per signal.

    `prices` are the fill prices (`entry_prices`); None or NaN from the function means no level.
    """
    tp = np.full(len(prices), np.nan)
    sl = np.full(len(prices), np.nan)
    for k, (price, side) in enumerate(zip(prices.tolist(), sides.tolist(), strict=True)):
        if math.isnan(price):
            continue
        pair = function(price, SIDE_NAMES[side])
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"levels: expected (tp, sl) for entry {price} {SIDE_NAMES[side]}, got {pair!r}")
        tp[k] = _level_value(pair[0])
        sl[k] = _level_value(pair[1])
    return Levels(tp=tp, sl=sl)


def risk_position_sizer(risk_fraction: float = 0.02) -> PositionSizer:
    """The template's sizing, used when a strategy has none: risk `risk_fraction` of capital down to the SL.

    Size = capital x risk_fraction / |entry - sl|, or capital x risk_fraction / entry when there is
    no SL or it sits at the entry.
    """
    def size(capital: float, entry: float, sl: float | None, side: str) -> float:
        risk = capital * risk_fraction
        distance = abs(entry - sl) if sl is not None else 0.0
        return risk / distance if distance > 0 else risk / entry

    return size


def _level_value(value) -> float:
    if value is None:
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _fixed_sizes(size, count: int, prep: Prepared) -> np.ndarray | None:
    """Requested sizes per kept signal, or None for a callable."""
    if callable(size):
        return None
    values = np.asarray(size, dtype=np.float64)
    if values.ndim == 0:
        return np.full(len(prep), float(values))
    if values.shape != (count,):
        raise ValueError(f"size: need one value per signal ({count}), got shape {values.shape}")
    return values[prep.kept]


def _all_usable(sizes: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(sizes) & (sizes > 0)))


def _sizer(size, fixed: np.ndarray | None):
    if fixed is not None:
        values = fixed.tolist()
        return lambda position, *_: values[position]
    return lambda position, capital, entry, sl, side: size(capital, entry, sl, side)


def _level_warnings(prep: Prepared, entered: np.ndarray) -> list[str]:
    if not (prep.wrong_tp.any() or prep.wrong_sl.any()):
        return []
    positions = np.searchsorted(prep.kept, entered)
    out = []
    for name, wrong, given in (("TP", prep.wrong_tp, prep.given_tp), ("SL", prep.wrong_sl, prep.given_sl)):
        bad = positions[wrong[positions]]
        if len(bad):
            examples = "; ".join(f"{signal_label(prep, p)} {name.lower()} {given[p]:.10g}" for p in bad[:_EXAMPLES])
            out.append(f"{name} on the wrong side of the entry price for {len(bad)} trade(s), level not used: "
                       f"{examples}{' ...' if len(bad) > _EXAMPLES else ''}")
    return out


def _skip_warnings(notes: Sequence[str]) -> list[str]:
    if not notes:
        return []
    examples = "; ".join(notes[:_EXAMPLES])
    return [f"{len(notes)} entr(y/ies) skipped: position size zero, negative or not finite: "
            f"{examples}{' ...' if len(notes) > _EXAMPLES else ''}"]


def _limit_text(settings: SimulationSettings) -> str:
    if settings.symbol_type is SymbolType.CRYPTO_SPOT:
        return "notional + entry commission <= equity"
    return f"notional <= equity x {settings.max_leverage:g}"


def _stats(prep: Prepared, total: int, trades, skipped: list[int]) -> SignalStats:
    entered = trades.signal
    closers = trades.exit_signal[trades.exit_reason == ExitReason.SIGNAL]
    used = np.zeros(total, dtype=bool)
    used[entered] = True
    used[closers] = True
    used[prep.kept[np.asarray(skipped, dtype=np.int64)]] = True
    return SignalStats(
        total=total,
        entered=len(entered),
        closed_position=len(closers),
        disabled_direction=int(np.count_nonzero(~prep.enabled)),
        skipped_size=len(skipped),
        ignored=total - int(np.count_nonzero(used)),
    )
