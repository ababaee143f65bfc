"""One backtest: candles from market data, the strategy's methods in a sandbox session, the
simulation and metrics here. Returns the result document: the API's, with times as epoch ms (the REST
reply's ISO times are the gateway's) and the reasons of null metrics under `null_reasons`; result_proto
makes the typed RunResult of it."""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from botmoon_backtest.adapters.marketdata import CandleSet
from botmoon_backtest.domain.curve import equity_curve_points
from botmoon_backtest.domain.lookahead import compare_signals, lookahead_cuts
from botmoon_backtest.domain.metrics import compute_metrics
from botmoon_backtest.domain.model import SIDE_NAMES, Levels, SimulationSettings
from botmoon_backtest.domain.signals import SignalFormatError, normalize_signals
from botmoon_backtest.domain.simulation import entry_prices, risk_position_sizer, simulate
from botmoon_common.strategy_session import StrategyFailed, StrategySession

log = logging.getLogger(__name__)

DEFAULT_RISK = 0.02


@dataclass(frozen=True)
class BacktestRequest:
    code: str
    params: dict
    settings: SimulationSettings
    config: dict
    max_points: int = 2000
    check_lookahead: bool = False
    risk_free_rate: float = 0.0
    warnings: list[str] = field(default_factory=list)


async def run_backtest(request: BacktestRequest, data: CandleSet, session: StrategySession,
                       candles_key=None) -> dict:
    """The result document; strategy failures give success false with the error and its traceback.
    `candles_key` names `data`'s candles: when the session holds them already (a chunk's items on one
    window), they are not sent again."""
    started = time.perf_counter()
    candles = data.candles
    warnings = list(request.warnings)
    try:
        meta = await session.load(request.code, request.params)
        if candles_key is None or session.candles_key != candles_key:
            await session.send_candles(candles.time, [candles.open, candles.high, candles.low, candles.close,
                                                      data.volume], key=candles_key)
        raw = await session.signals()
        normalized = normalize_signals(raw, candles)
        warnings += normalized.warnings
        signals = normalized.signals
        levels = None
        if meta["has_levels"] and len(signals):
            prices = entry_prices(candles, signals, request.settings)
            levels = await _levels(session, prices, signals.side)
        elif not meta["has_levels"]:
            warnings.append("the strategy has no calculate_tp_sl_levels: trades have no take-profit or stop-loss")
        if meta["has_size"]:
            size = _remote_sizer(session, asyncio.get_running_loop())
        else:
            warnings.append("the strategy has no calculate_position_size: each trade risks 2% of the capital")
            size = risk_position_sizer(DEFAULT_RISK)
        result = await asyncio.to_thread(simulate, candles, signals, request.settings, size=size, levels=levels)
        lookahead = await _check_lookahead(session, candles, signals) if request.check_lookahead else None
    except StrategyFailed as exc:
        return _failure(exc.error, exc.status, warnings, request, data, session, exc.problems)
    except SignalFormatError as exc:
        return _failure({"type": "SignalFormatError", "message": str(exc), "traceback": "", "line": 0},
                        "failed", warnings, request, data, session)
    metrics = compute_metrics(result, candles, risk_free_rate=request.risk_free_rate)
    warnings += result.warnings + metrics.warnings
    if lookahead and lookahead["suspicious"]:
        warnings.append(f"lookahead: {len(lookahead['suspicious'])} signal(s) change when later candles are "
                        "removed; the strategy uses data from the future")
    stats = result.signal_stats
    document = {
        "success": True,
        "metrics": _clean(metrics.values),
        "null_reasons": metrics.reasons,
        "trades": result.trades.to_records(),
        "equity_curve": equity_curve_points(candles.time, result.equity, result.initial_capital,
                                            request.max_points),
        "config": _config_out(request, data),
        "signals": {"total": len(signals) + normalized.dropped, "dropped": normalized.dropped,
                    **({k: getattr(stats, k) for k in stats.__dataclass_fields__} if stats else {})},
        "strategy": {"class": meta["class"], "output": "".join(session.output)[-10000:]},
        "warnings": warnings,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if lookahead is not None:
        document["lookahead"] = lookahead
    return document


async def _levels(session: StrategySession, prices: np.ndarray, sides: np.ndarray) -> Levels:
    entries = [(float(p), SIDE_NAMES[int(s)]) for p, s in zip(prices.tolist(), sides.tolist(), strict=True)]
    usable = [k for k, (p, _) in enumerate(entries) if math.isfinite(p)]
    tp = np.full(len(entries), np.nan)
    sl = np.full(len(entries), np.nan)
    values = await session.levels([entries[k] for k in usable]) if usable else []
    for k, pair in zip(usable, values, strict=True):
        if pair is not None:
            tp[k] = np.nan if pair[0] is None else pair[0]
            sl[k] = np.nan if pair[1] is None else pair[1]
    return Levels(tp=tp, sl=sl)


def _remote_sizer(session: StrategySession, loop: asyncio.AbstractEventLoop):
    """The strategy's calculate_position_size, called from the simulation's thread once per entry."""
    def size(capital: float, entry: float, sl: float | None, side: str) -> float:
        future = asyncio.run_coroutine_threadsafe(session.size(capital, entry, sl, side), loop)
        value = future.result()
        return float("nan") if value is None else float(value)

    return size


async def _check_lookahead(session: StrategySession, candles, signals) -> dict:
    """Re-runs generate_signals on the data cut right after sampled signals; a signal that changes
    or vanishes when later candles are removed used the future."""
    suspicious = []
    cuts = lookahead_cuts(signals, len(candles))
    for cut in cuts:
        truncated = normalize_signals(await session.signals(end=cut), _head(candles, cut)).signals
        suspicious += compare_signals(signals, truncated, cut, candles.time)
    return {"checked_cuts": len(cuts), "suspicious": suspicious[:50], "clean": not suspicious}


def _head(candles, n: int):
    return type(candles)(time=candles.time[:n], open=candles.open[:n], high=candles.high[:n],
                         low=candles.low[:n], close=candles.close[:n])


def _failure(error: dict, status: str, warnings: list[str], request: BacktestRequest, data: CandleSet,
             session: StrategySession, problems: list | None = None) -> dict:
    return {"success": False, "status": status, "error": error, "problems": problems or [],
            "config": _config_out(request, data), "warnings": warnings,
            "strategy": {"output": "".join(session.output)[-10000:]}}


def _config_out(request: BacktestRequest, data: CandleSet) -> dict:
    """The config used, with the series: what market data resolved the symbol to and where the candles came from."""
    times = data.candles.time
    return {**request.config, "symbol": data.symbol, "exchange": data.exchange, "symbol_type": data.symbol_type,
            "timeframe": data.timeframe, "data_points": len(times), "data_start": int(times[0]),
            "data_end": int(times[-1]), "source": data.source, "source_detail": data.source_detail,
            "resampled_from": data.resampled_from, "gaps": data.gaps}


def _clean(values: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
