"""Pure backtest logic: no grpc, no docker, no user code.

The service layer calls, in order: `normalize_signals` on what `generate_signals` returned,
`entry_prices` to batch the strategy's `calculate_tp_sl_levels` calls, `simulate`, then
`compute_metrics` and `equity_curve_points` for the report.
"""

from botmoon_backtest.domain.curve import equity_curve_points
from botmoon_backtest.domain.metrics import Metrics, compute_metrics
from botmoon_backtest.domain.model import (
    BothHit,
    Candles,
    EntryTiming,
    ExitReason,
    Levels,
    OppositeSignal,
    Signals,
    SimulationSettings,
    SymbolType,
)
from botmoon_backtest.domain.prepare import entry_prices
from botmoon_backtest.domain.results import SignalStats, SimulationResult, Trades
from botmoon_backtest.domain.signals import NormalizedSignals, SignalFormatError, normalize_signals
from botmoon_backtest.domain.simulation import levels_from_function, risk_position_sizer, simulate

__all__ = [
    "BothHit",
    "Candles",
    "EntryTiming",
    "ExitReason",
    "Levels",
    "Metrics",
    "NormalizedSignals",
    "OppositeSignal",
    "SignalFormatError",
    "SignalStats",
    "Signals",
    "SimulationResult",
    "SimulationSettings",
    "SymbolType",
    "Trades",
    "compute_metrics",
    "entry_prices",
    "equity_curve_points",
    "levels_from_function",
    "normalize_signals",
    "risk_position_sizer",
    "simulate",
]
