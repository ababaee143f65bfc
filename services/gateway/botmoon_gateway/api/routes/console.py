"""Console status: what is running, what it did, and counts of every object."""

import asyncio
import datetime as dt
import time

from fastapi import APIRouter
from sqlalchemy import func, select

from botmoon_gateway.api.deps import DbDep, LiveDep, SettingsDep
from botmoon_gateway.api.routes.strategies import strategy_out
from botmoon_gateway.db import Algorithm, Database, Execution
from botmoon_gateway.live.runner import LiveRunner
from botmoon_gateway.records import Strategy
from botmoon_gateway.schemas.strategies import (
    AlgorithmBrief,
    ConsoleStatus,
    ExecutionBrief,
    RunningResponse,
    StreamOut,
    Summary,
    SummaryResponse,
)
from botmoon_gateway.settings import GatewaySettings

router = APIRouter(prefix="/api/console", tags=["console"])

LIST_LIMIT = 50


def symbol_key(symbol: str) -> str:
    """One spelling per market: BTCUSDT_BINANCE, BTC/USDT:USDT and BTCUSDT count as one symbol."""
    head = symbol.strip().upper().split("_")[0]
    head = head.removesuffix("-SWAP").split(":")[0]
    return "".join(ch for ch in head if ch.isalnum())


def _summary(db: Database, live: LiveRunner, settings: GatewaySettings) -> Summary:
    universe = {symbol_key(s) for s in settings.live_symbols.split(",") if s.strip()}
    with db.session() as s:
        strategies = s.execute(select(Strategy.status, Strategy.enabled, Strategy.symbols)).all()
        executions = s.scalar(select(func.count()).select_from(Execution)) or 0
        algorithms = s.scalar(select(func.count()).select_from(Algorithm)) or 0
    configured = {symbol_key(sym) for _, enabled, symbols in strategies if enabled for sym in symbols or []}
    return Summary(
        total_strategies=len(strategies),
        running_strategies=sum(status == "running" for status, _, _ in strategies),
        enabled_strategies=sum(bool(enabled) for _, enabled, _ in strategies),
        total_symbols=len(universe | configured),
        enabled_symbols=len(configured),
        active_streams=len({(f.exchange, f.symbol, f.timeframe) for f in live.active_feeds()}),
        ai_executions_count=executions,
        saved_algorithms_count=algorithms,
    )


def _strategies(db: Database, running_only: bool = False) -> list:
    query = select(Strategy).order_by(Strategy.created_at.desc())
    if running_only:
        query = query.where(Strategy.status == "running")
    with db.session() as s:
        return [strategy_out(r) for r in s.scalars(query)]


def _streams(live: LiveRunner) -> list[StreamOut]:
    moment = time.monotonic()
    return [StreamOut(exchange=f.exchange, symbol=f.symbol, timeframe=f.timeframe, strategy_id=f.strategy_id,
                      last_candle=dt.datetime.fromtimestamp(f.last_candle_ms / 1000, dt.UTC),
                      seconds_since_update=round(moment - f.updated, 3), candle_age_seconds=f.check.age_ms / 1000,
                      fresh=f.check.fresh) for f in live.active_feeds()]


def _status(db: Database, live: LiveRunner, settings: GatewaySettings) -> ConsoleStatus:
    live.sync()
    with db.session() as s:
        executions = list(s.scalars(select(Execution).order_by(Execution.created_at.desc()).limit(LIST_LIMIT)))
        algorithms = list(s.scalars(select(Algorithm).order_by(Algorithm.created_at.desc()).limit(LIST_LIMIT)))
        by_algorithm = dict(s.execute(select(Strategy.algorithm_id, Strategy.id)).all())
    return ConsoleStatus(
        success=True, timestamp=dt.datetime.now(dt.UTC), summary=_summary(db, live, settings),
        strategies=_strategies(db),
        ai_executions=[ExecutionBrief(execution_id=e.id, name=e.name, status=e.status, algorithm_id=e.algorithm_id,
                                      execution_time_ms=e.execution_time_ms, created_at=e.created_at)
                       for e in executions],
        streams=_streams(live),
        saved_algorithms=[AlgorithmBrief(algorithm_id=a.id, name=a.name, code_hash=a.code_hash,
                                         strategy_id=by_algorithm.get(a.id), created_at=a.created_at)
                          for a in algorithms],
    )


@router.get("/status", response_model=ConsoleStatus)
async def status(db: DbDep, live: LiveDep, settings: SettingsDep):
    """Full console status: summary counts, strategies, recent AI executions, live streams, saved algorithms."""
    return await asyncio.to_thread(_status, db, live, settings)


@router.get("/summary", response_model=SummaryResponse)
async def summary(db: DbDep, live: LiveDep, settings: SettingsDep):
    """The summary block only."""
    await asyncio.to_thread(live.sync)
    return SummaryResponse(success=True, timestamp=dt.datetime.now(dt.UTC),
                           summary=await asyncio.to_thread(_summary, db, live, settings))


@router.get("/running", response_model=RunningResponse)
async def running(db: DbDep):
    """Running strategies only."""
    found = await asyncio.to_thread(_strategies, db, True)
    return RunningResponse(success=True, timestamp=dt.datetime.now(dt.UTC), count=len(found), strategies=found)
