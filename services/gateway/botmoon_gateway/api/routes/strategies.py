"""Strategy management: deployed strategy classes, started and stopped for live signals."""

import asyncio
import datetime as dt
import logging
from typing import Literal

import grpc
from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select, update

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_gateway.api.deps import BackendsDep, DbDep, LiveDep, SettingsDep
from botmoon_gateway.api.no_data import no_data_is_404
from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database, now
from botmoon_gateway.errors import FieldError
from botmoon_gateway.fair_use import below_strategy_cap, strategy_cap_reached
from botmoon_gateway.live import freshness
from botmoon_gateway.live.registry import SYMBOL_FORMS
from botmoon_gateway.records import LiveSignal, Strategy, WebhookEndpoint
from botmoon_gateway.schemas.strategies import (
    ConfigBody,
    Counters,
    FreshnessOut,
    SignalList,
    SignalOut,
    StartBody,
    StrategyConfig,
    StrategyList,
    StrategyOut,
    StrategyResponse,
)
from botmoon_gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/strategies", tags=["strategies"])
SERIES_TYPES = {candles_pb2.MARKET_TYPE_CRYPTO_SPOT: "CRYPTO_SPOT",
                candles_pb2.MARKET_TYPE_CRYPTO_FUTURE: "CRYPTO_FUTURE"}

PRICE_SOURCES = ("ccxt", "exchange", "marketdata")
MAX_SYMBOLS = 50


def _when(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _checks(row: Strategy) -> dict[str, freshness.Check]:
    return {symbol: freshness.Check.from_json(value) for symbol, value in (row.freshness or {}).items()}


def state_of(row: Strategy) -> tuple[str, str | None]:
    """What the strategy is doing, and why when it is stale_data."""
    if row.status != "running":
        return row.status, None
    checks = _checks(row)
    if not checks:
        return "waiting", None
    stale = [check.describe(symbol) for symbol, check in checks.items() if not check.fresh]
    if stale:
        return "stale_data", "; ".join(stale) + ". Nothing is evaluated, recorded or delivered until a fresh candle " \
                                                "closes (offline, or exchange access off: only old candles)."
    return "live", None


def strategy_out(row: Strategy) -> StrategyOut:
    state, reason = state_of(row)
    return StrategyOut(
        id=row.id, name=row.name, algorithm_id=row.algorithm_id, class_name=row.class_name, status=row.status,
        enabled=row.enabled, params=row.params or {},
        config=StrategyConfig(symbols=row.symbols or [], series=row.series or [], price_source=row.price_source,
                              exchange=row.exchange,
                              timeframe=row.timeframe, interval_seconds=row.interval_seconds,
                              webhook_endpoint_ids=row.endpoint_ids or []),
        last_candles={key: _when(ms) for key, ms in (row.seen or {}).items()},
        last_run_at=row.last_run_at, last_signal=row.last_signal, last_error=row.last_error,
        counters=Counters(runs=row.runs, signals=row.signals_count, errors=row.errors_count,
                          consecutive_failures=row.consecutive_failures),
        started_at=row.started_at, stopped_at=row.stopped_at,
        runner=row.lease_owner if row.status == "running" else None, created_at=row.created_at,
        state=state, state_reason=reason,
        freshness=[FreshnessOut(symbol=symbol, timeframe=c.timeframe, candle_time=_when(c.candle_ms),
                                closed_at=_when(c.closed_ms), age_seconds=c.age_ms / 1000,
                                max_age_seconds=c.max_age_ms / 1000, fresh=c.fresh, checked_at=_when(c.checked_ms))
                   for symbol, c in _checks(row).items()])


def _get(db: Database, strategy_id: str) -> Strategy:
    row = db.get(Strategy, strategy_id)
    if row is None:
        raise HTTPException(404, f"strategy '{strategy_id}' not found")
    return row


def _checked_changes(body: StartBody, row: Strategy, settings: GatewaySettings) -> dict:
    """The configuration fields given, each checked (market data confirms symbols and timeframe afterwards)."""
    changes: dict = {}
    if body.price_source is not None:
        if body.price_source.lower() not in PRICE_SOURCES:
            raise FieldError("price_source", f"must be one of {', '.join(PRICE_SOURCES)}")
        changes["price_source"] = body.price_source.lower()
    if body.interval_seconds is not None:
        if not settings.live_min_interval_s <= body.interval_seconds <= 86400:
            raise FieldError("interval_seconds", f"must be between {settings.live_min_interval_s} and 86400")
        changes["interval_seconds"] = float(body.interval_seconds)
    if body.exchange is not None:
        if body.exchange.lower() not in ("", "binance", "okx"):
            raise FieldError("exchange", "must be binance or okx")
        changes["exchange"] = body.exchange.lower()
    if body.webhook_endpoint_ids is not None:
        changes["endpoint_ids"] = list(dict.fromkeys(body.webhook_endpoint_ids))
    timeframe = body.timeframe if body.timeframe is not None else row.timeframe
    symbols = body.symbols if body.symbols is not None else None
    if symbols is not None:
        if not symbols:
            raise FieldError("symbols", "must name at least one symbol")
        if len(symbols) > MAX_SYMBOLS:
            raise FieldError("symbols", f"at most {MAX_SYMBOLS} symbols")
        for i, symbol in enumerate(symbols):
            if not SYMBOL_FORMS.match(symbol.strip()):
                raise FieldError(f"symbols.{i}", f"{symbol!r} is not a symbol (BTCUSDT_BINANCE or BTC/USDT:USDT)")
        changes["symbols"] = list(dict.fromkeys(s.strip() for s in symbols))
    if body.timeframe is not None or symbols is not None:
        changes["timeframe"] = timeframe
    return changes


async def _endpoint_warnings(db: Database, ids: list[int], stored: bool) -> list[str]:
    """Every endpoint must exist (422 naming the first that does not); disabled ones are skipped, said here."""
    def found():
        with db.session() as s:
            return dict(s.execute(select(WebhookEndpoint.id, WebhookEndpoint.enabled)
                                  .where(WebhookEndpoint.id.in_(ids))).all())
    enabled = await asyncio.to_thread(found) if ids else {}
    missing = [i for i in ids if i not in enabled]
    if missing:
        if stored:
            raise FieldError("webhook_endpoint_ids", f"the stored configuration names webhook endpoint {missing[0]}, "
                                                     "which no longer exists; give webhook_endpoint_ids to choose")
        raise FieldError("webhook_endpoint_ids", f"no webhook endpoint with id {missing[0]}")
    return [f"webhook endpoint {i} is disabled: its deliveries are skipped until it is enabled"
            for i in ids if not enabled[i]]


async def _confirm_all(backends: Backends, symbols: list[str], timeframe: str, exchange: str,
                       max_age: float) -> tuple[dict[str, freshness.Check], list[dict]]:
    """Market data confirms each symbol and the timeframe; returns how fresh each symbol's newest candle is,
    and the series each symbol resolves to."""
    checks, series = {}, []
    for i, symbol in enumerate(symbols):
        reply = await _confirm(backends, symbol, timeframe, exchange, i)
        series.append({"symbol": reply.symbol, "type": SERIES_TYPES[reply.market_type], "exchange": reply.exchange})
        if reply.candles.open_time_ms:
            checks[symbol] = freshness.check(timeframe, reply.candles.open_time_ms[-1], max_age)
    return checks, series


async def _confirm(backends: Backends, symbol: str, timeframe: str, exchange: str, index: int):
    """Market data's answer for the newest closed candle: the series it resolved and that candle, if any.
    No candles at all is a 404 saying which (as on every endpoint); a bad symbol or timeframe a 422."""
    try:
        with no_data_is_404():
            return await backends.marketdata.GetCandles(
                marketdata_pb2.GetCandlesRequest(symbol=symbol, timeframe=timeframe, exchange=exchange, limit=1),
                **backends.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE):
            details = exc.details() or "invalid"
            field = "timeframe" if "timeframe" in details.lower() else f"symbols.{index}"
            raise FieldError(field, details) from None
        raise


@router.get("", response_model=StrategyList)
async def list_strategies(db: DbDep, live: LiveDep, status: Literal["stopped", "running", "error"] | None = None):
    """Every registered strategy (deployed algorithms that define a strategy class), newest first."""
    await asyncio.to_thread(live.sync)

    def rows():
        query = select(Strategy).order_by(Strategy.created_at.desc())
        if status:
            query = query.where(Strategy.status == status)
        with db.session() as s:
            return list(s.scalars(query))
    found = await asyncio.to_thread(rows)
    return StrategyList(success=True, count=len(found), strategies=[strategy_out(r) for r in found])


@router.get("/{strategy_id}", response_model=StrategyResponse)
async def get_strategy(strategy_id: str, db: DbDep, live: LiveDep):
    """One strategy: configuration, status, last run, last signal, last error, counters."""
    await asyncio.to_thread(live.sync)
    return StrategyResponse(success=True, strategy=strategy_out(await asyncio.to_thread(_get, db, strategy_id)))


@router.get("/{strategy_id}/signals", response_model=SignalList)
async def list_signals(strategy_id: str, db: DbDep, limit: int = Query(100, ge=1, le=1000)):
    """The strategy's live signals, newest first."""
    await asyncio.to_thread(_get, db, strategy_id)

    def rows():
        with db.session() as s:
            return list(s.scalars(select(LiveSignal).where(LiveSignal.strategy_id == strategy_id)
                                  .order_by(LiveSignal.candle_ms.desc(), LiveSignal.symbol).limit(limit)))
    found = await asyncio.to_thread(rows)
    return SignalList(success=True, count=len(found), signals=[
        SignalOut(signal_id=r.id, strategy_id=r.strategy_id, symbol=r.symbol, timeframe=r.timeframe,
                  candle_time=dt.datetime.fromtimestamp(r.candle_ms / 1000, dt.UTC), payload=r.payload,
                  created_at=r.created_at) for r in found])


@router.post("/{strategy_id}/start", response_model=StrategyResponse)
async def start(strategy_id: str, db: DbDep, backends: BackendsDep, settings: SettingsDep, live: LiveDep,
                body: StartBody | None = None):
    """Start live signals; the optional body sets symbols, price source, timeframe, interval and endpoints.

    Stored endpoints are checked again (one that was deleted is a 422; a disabled one is skipped, said in
    `warnings`). A start on stale candles is accepted: the strategy waits in state `stale_data`, and the
    message says so."""
    await asyncio.to_thread(live.sync)
    row = await asyncio.to_thread(_get, db, strategy_id)
    if row.status == "running":
        raise HTTPException(409, f"strategy '{strategy_id}' is already running")
    if not row.enabled:
        raise HTTPException(409, f"strategy '{strategy_id}' is disabled; enable it with PUT .../config first")
    changes = _checked_changes(body or StartBody(), row, settings)
    symbols = changes.get("symbols", row.symbols)
    if not symbols:
        raise FieldError("symbols", "the strategy has no symbols; give them in the start body")
    warnings = await _endpoint_warnings(db, changes.get("endpoint_ids", row.endpoint_ids or []),
                                       stored="endpoint_ids" not in changes)
    checks, changes["series"] = await _confirm_all(backends, symbols, changes.get("timeframe", row.timeframe),
                                                   changes.get("exchange", row.exchange), settings.live_max_candle_age)

    def begin() -> Strategy | None:
        with db.session() as s, s.begin():
            result = s.execute(update(Strategy).where(Strategy.id == strategy_id, Strategy.status != "running",
                                                      below_strategy_cap(settings.fair_max_running_strategies))
                               .values(**changes, status="running", started_at=now(), stopped_at=None,
                                       consecutive_failures=0, last_error=None,
                                       freshness={symbol: c.to_json() for symbol, c in checks.items()}))
            return s.get(Strategy, strategy_id) if result.rowcount == 1 else None
    started = await asyncio.to_thread(begin)
    if started is None:
        if (await asyncio.to_thread(_get, db, strategy_id)).status != "running":
            raise strategy_cap_reached(settings.fair_max_running_strategies, settings.retry_after_s)
        raise HTTPException(409, f"strategy '{strategy_id}' is already running")
    state, reason = state_of(started)
    message = "started"
    if state == "stale_data":
        message = f"started, waiting for a fresh candle: {reason}"
        log.warning("strategy started on stale candles", extra={"strategy": strategy_id})
    return StrategyResponse(success=True, strategy=strategy_out(started), message=message, warnings=warnings)


@router.post("/{strategy_id}/stop", response_model=StrategyResponse)
async def stop(strategy_id: str, db: DbDep, live: LiveDep):
    """Stop live signals (deliveries already under way still finish)."""
    await asyncio.to_thread(_get, db, strategy_id)

    def end() -> Strategy | None:
        with db.session() as s, s.begin():
            result = s.execute(update(Strategy).where(Strategy.id == strategy_id, Strategy.status == "running")
                               .values(status="stopped", stopped_at=now()))
            return s.get(Strategy, strategy_id) if result.rowcount == 1 else None
    stopped = await asyncio.to_thread(end)
    if stopped is None:
        raise HTTPException(409, f"strategy '{strategy_id}' is not running")
    live.wake(strategy_id)
    return StrategyResponse(success=True, strategy=strategy_out(stopped), message="stopped")


@router.put("/{strategy_id}/config", response_model=StrategyResponse)
async def configure(strategy_id: str, body: ConfigBody, db: DbDep, backends: BackendsDep, settings: SettingsDep,
                    live: LiveDep):
    """Update parameters, symbols, timeframe, interval, endpoints, name or enabled; a running strategy uses
    them from its next round, and disabling it stops it."""
    await asyncio.to_thread(live.sync)
    row = await asyncio.to_thread(_get, db, strategy_id)
    changes = _checked_changes(body, row, settings)
    warnings = await _endpoint_warnings(db, changes["endpoint_ids"], stored=False) if "endpoint_ids" in changes \
        else []
    if "timeframe" in changes:
        _, changes["series"] = await _confirm_all(backends, changes.get("symbols", row.symbols or []),
                                                  changes["timeframe"], changes.get("exchange", row.exchange),
                                                  settings.live_max_candle_age)
    if body.params is not None:
        changes["params"] = body.params
    if body.name is not None:
        changes["name"] = body.name
    if body.enabled is not None:
        changes["enabled"] = body.enabled
    if body.symbols is None and "symbols" in body.model_fields_set:
        raise FieldError("symbols", "must not be null")

    def apply() -> Strategy:
        with db.session() as s, s.begin():
            current = s.get(Strategy, strategy_id)
            for key, value in changes.items():
                setattr(current, key, value)
            if changes.get("enabled") is False and current.status == "running":
                current.status = "stopped"
                current.stopped_at = now()
            return current
    updated = await asyncio.to_thread(apply)
    if updated.status != "running":
        live.wake(strategy_id)
    return StrategyResponse(success=True, strategy=strategy_out(updated), message="updated", warnings=warnings)
