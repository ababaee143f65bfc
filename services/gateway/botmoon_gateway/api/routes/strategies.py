"""Strategy management: deployed strategy classes, started and stopped for live signals."""

import asyncio
import datetime as dt

import grpc
from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select, update

from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_gateway.api.deps import BackendsDep, DbDep, LiveDep, SettingsDep
from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database, now
from botmoon_gateway.errors import FieldError
from botmoon_gateway.live.registry import SYMBOL_FORMS
from botmoon_gateway.records import LiveSignal, Strategy, WebhookEndpoint
from botmoon_gateway.schemas.strategies import (
    ConfigBody,
    Counters,
    SignalList,
    SignalOut,
    StartBody,
    StrategyConfig,
    StrategyList,
    StrategyOut,
    StrategyResponse,
)
from botmoon_gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/strategies", tags=["strategies"])

PRICE_SOURCES = ("ccxt", "exchange", "marketdata")
MAX_SYMBOLS = 50


def strategy_out(row: Strategy) -> StrategyOut:
    return StrategyOut(
        id=row.id, name=row.name, algorithm_id=row.algorithm_id, class_name=row.class_name, status=row.status,
        enabled=row.enabled, params=row.params or {},
        config=StrategyConfig(symbols=row.symbols or [], price_source=row.price_source, exchange=row.exchange,
                              timeframe=row.timeframe, interval_seconds=row.interval_seconds,
                              webhook_endpoint_ids=row.endpoint_ids or []),
        last_candles={key: dt.datetime.fromtimestamp(ms / 1000, dt.UTC) for key, ms in (row.seen or {}).items()},
        last_run_at=row.last_run_at, last_signal=row.last_signal, last_error=row.last_error,
        counters=Counters(runs=row.runs, signals=row.signals_count, errors=row.errors_count,
                          consecutive_failures=row.consecutive_failures),
        started_at=row.started_at, stopped_at=row.stopped_at,
        runner=row.lease_owner if row.status == "running" else None, created_at=row.created_at)


def _get(db: Database, strategy_id: str) -> Strategy:
    row = db.get(Strategy, strategy_id)
    if row is None:
        raise HTTPException(404, f"strategy '{strategy_id}' not found")
    return row


async def _checked_changes(body: StartBody, row: Strategy, db: Database, backends: Backends,
                           settings: GatewaySettings) -> dict:
    """The configuration fields given, each checked; market data confirms symbols and timeframe."""
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
        ids = list(dict.fromkeys(body.webhook_endpoint_ids))

        def known():
            with db.session() as s:
                return set(s.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.id.in_(ids))))
        missing = [i for i in ids if i not in await asyncio.to_thread(known)]
        if missing:
            raise FieldError("webhook_endpoint_ids", f"no webhook endpoint with id {missing[0]}")
        changes["endpoint_ids"] = ids
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
        exchange = changes.get("exchange", row.exchange)
        for i, symbol in enumerate(changes.get("symbols", row.symbols or [])):
            await _confirm(backends, symbol, timeframe, exchange, i)
        changes["timeframe"] = timeframe
    return changes


async def _confirm(backends: Backends, symbol: str, timeframe: str, exchange: str, index: int) -> None:
    try:
        await backends.marketdata.GetCandles(
            marketdata_pb2.GetCandlesRequest(symbol=symbol, timeframe=timeframe, exchange=exchange, limit=1),
            **backends.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.OUT_OF_RANGE):
            details = exc.details() or "invalid"
            field = "timeframe" if "timeframe" in details.lower() else f"symbols.{index}"
            raise FieldError(field, details) from None
        raise


@router.get("", response_model=StrategyList)
async def list_strategies(db: DbDep, live: LiveDep, status: str | None = None):
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
    """Start live signals; the optional body sets symbols, price source, timeframe, interval and endpoints."""
    await asyncio.to_thread(live.sync)
    row = await asyncio.to_thread(_get, db, strategy_id)
    if row.status == "running":
        raise HTTPException(409, f"strategy '{strategy_id}' is already running")
    if not row.enabled:
        raise HTTPException(409, f"strategy '{strategy_id}' is disabled; enable it with PUT .../config first")
    changes = await _checked_changes(body or StartBody(), row, db, backends, settings)
    if not changes.get("symbols", row.symbols):
        raise FieldError("symbols", "the strategy has no symbols; give them in the start body")

    def begin() -> Strategy | None:
        with db.session() as s, s.begin():
            result = s.execute(update(Strategy).where(Strategy.id == strategy_id, Strategy.status != "running")
                               .values(**changes, status="running", started_at=now(), stopped_at=None,
                                       consecutive_failures=0, last_error=None))
            return s.get(Strategy, strategy_id) if result.rowcount == 1 else None
    started = await asyncio.to_thread(begin)
    if started is None:
        raise HTTPException(409, f"strategy '{strategy_id}' is already running")
    return StrategyResponse(success=True, strategy=strategy_out(started), message="started")


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
    changes = await _checked_changes(body, row, db, backends, settings)
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
    return StrategyResponse(success=True, strategy=strategy_out(updated), message="updated")
