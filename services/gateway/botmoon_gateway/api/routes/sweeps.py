"""Parameter sweeps: create (checked up front, answered at once), follow (JSON or server-sent events), cancel,
and every run's full result. The work itself is the sweep runner's (botmoon_gateway.sweeps.runner)."""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from botmoon.backtest.v1 import backtest_pb2
from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_common.timeframes import TIMEFRAMES
from botmoon_gateway import fair_use
from botmoon_gateway.api.deps import BackendsDep, DbDep, SettingsDep, check_code_size
from botmoon_gateway.api.no_data import no_data_is_404
from botmoon_gateway.db import Sweep, code_hash, new_id, now
from botmoon_gateway.errors import FieldError, Limit, LimitReached
from botmoon_gateway.executions import problems_out
from botmoon_gateway.schemas.backtest import BacktestConfig
from botmoon_gateway.schemas.sweeps import SweepBody, SweepCreated, SweepList, SweepStatus, SweepSummary
from botmoon_gateway.sweeps import progress, ranking, space, store, walkforward
from botmoon_gateway.sweeps.runner import SweepRunner

router = APIRouter(prefix="/api/backtest/sweeps", tags=["backtest"])


def _runner(request: Request) -> SweepRunner:
    return request.app.state.sweeps


RunnerDep = Annotated[SweepRunner, Depends(_runner)]
SweepId = Annotated[str, Path(max_length=40)]
MARKET_TYPES = {"CRYPTO_SPOT": candles_pb2.MARKET_TYPE_CRYPTO_SPOT,
                "CRYPTO_FUTURE": candles_pb2.MARKET_TYPE_CRYPTO_FUTURE}
EVENT_POLL_S = 0.5
KEEPALIVE_S = 15.0


@router.post("", status_code=202, response_model=SweepCreated)
async def create_sweep(body: SweepBody, settings: SettingsDep, db: DbDep, backends: BackendsDep,
                       runner: RunnerDep):
    """Start a sweep: the strategy run for every combination of the space (or `samples` of them), ranked by the
    objective; with `walk_forward`, per window in-sample then the window's best out-of-sample. Answers at once
    with the sweep's id; follow it with GET .../{sweep_id} or .../{sweep_id}/events."""
    check_code_size(body.code, settings)
    client = fair_use.current_client()
    if await asyncio.to_thread(store.unfinished_of, db, client) >= settings.fair_max_sweeps:
        limit = Limit("sweeps", "GATEWAY_FAIR_MAX_SWEEPS", settings.fair_max_sweeps)
        raise LimitReached(limit, f"this client already has {settings.fair_max_sweeps} sweeps unfinished",
                           settings.retry_after_s)
    combinations = space.expand(body.space, samples=body.samples, seed=body.seed,
                                limit=settings.sweep_max_combinations)
    windows = await _windows(body, backends) if body.walk_forward is not None else []
    runs = len(combinations) * len(windows) if windows else len(combinations)
    if runs > settings.sweep_max_combinations:
        raise FieldError("walk_forward", f"{len(combinations)} combinations x {len(windows)} windows = {runs} "
                                         f"backtests, more than the limit of {settings.sweep_max_combinations} "
                                         f"({space.LIMIT_SETTING})")
    await _check_strategy(body, backends)
    request = {**body.model_dump(mode="json", exclude={"backtest_config"}),
               "backtest_config": body.backtest_config.model_dump(mode="json", exclude_unset=True),
               "plan": {"combinations": combinations, "windows": windows}}
    sweep = Sweep(id=new_id("sw"), status="queued", request=request, code_hash=code_hash(body.code), client=client,
                  objective=body.objective, maximize=bool(body.maximize), combinations=len(combinations),
                  windows=len(windows), created_at=now(),
                  total=walkforward.run_count(len(combinations), len(windows)) if windows else len(combinations))
    await asyncio.to_thread(store.create, db, sweep)
    runner.wake()
    return SweepCreated(sweep_id=sweep.id, status="queued", total=sweep.total, combinations=sweep.combinations,
                        windows=len(windows) if windows else None, objective=sweep.objective,
                        maximize=sweep.maximize, created_at=sweep.created_at)


@router.get("", response_model=SweepList)
async def list_sweeps(db: DbDep, limit: int = Query(50, ge=1, le=500, description="most sweeps listed")):
    """Recent sweeps, newest first, with their progress."""
    sweeps = await asyncio.to_thread(store.recent, db, limit)
    out = []
    for sweep in sweeps:
        counts = await asyncio.to_thread(store.counts, db, sweep.id)
        out.append(SweepSummary(sweep_id=sweep.id, status=sweep.status, progress=_progress(sweep, counts),
                                objective=sweep.objective, created_at=sweep.created_at,
                                finished_at=sweep.finished_at))
    return SweepList(sweeps=out)


@router.get("/{sweep_id}", response_model=SweepStatus)
async def get_sweep(sweep_id: SweepId, db: DbDep,
                    top: int = Query(100, ge=0, le=10000, description="rows of the ranked table returned")):
    """A sweep's progress (done, total, failed, ETA), the best result so far and the ranked table; with
    walk-forward, each window's choice and its out-of-sample test, the stitched curve, stability and the
    overfitting warning."""
    return await asyncio.to_thread(_status, db, await _sweep(db, sweep_id), top)


@router.get("/{sweep_id}/events")
async def sweep_events(sweep_id: SweepId, request: Request, db: DbDep,
                       top: int = Query(10, ge=0, le=10000, description="rows of the ranked table in each event")):
    """The sweep's status as server-sent events: `progress` (the same JSON as GET .../{sweep_id}) whenever it
    changes, and `done` once it is completed, failed or cancelled; then the stream ends."""
    sweep = await _sweep(db, sweep_id)
    return StreamingResponse(_events(request, db, sweep.id, top), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.delete("/{sweep_id}", response_model=SweepStatus)
async def cancel_sweep(sweep_id: SweepId, db: DbDep, runner: RunnerDep):
    """Cancel a sweep: nothing more is scheduled and its chunks in flight are stopped. Runs already stored stay
    readable. Cancelling a finished sweep changes nothing."""
    await _sweep(db, sweep_id)
    if await asyncio.to_thread(store.cancel, db, sweep_id):
        runner.stop(sweep_id)
    return await asyncio.to_thread(_status, db, await _sweep(db, sweep_id), 0)


@router.get("/{sweep_id}/results/{combination_id}")
async def get_sweep_result(sweep_id: SweepId, combination_id: Annotated[int, Path(ge=0, le=2**31 - 1)], db: DbDep):
    """One run's full result, the shape /api/backtest/run returns (metrics, trades, equity_curve, config,
    warnings, ...), with the sweep's id, the combination's id and its parameters."""
    await _sweep(db, sweep_id)
    row = await asyncio.to_thread(store.item, db, sweep_id, combination_id)
    if row is None:
        raise HTTPException(404, f"sweep '{sweep_id}' has no stored result {combination_id} (yet)")
    document = row.result or {"success": False, "error": {"type": "SweepRunFailed", "message": row.error or ""}}
    return {"sweep_id": sweep_id, "combination_id": row.item_index, "params": row.params, **document}


# --- checks before a sweep is accepted ------------------------------------------------------------------------


async def _check_strategy(body: SweepBody, backends) -> None:
    """The code passes validation, and takes every parameter the sweep sets (unless its __init__ takes **kwargs)."""
    reply = await backends.backtest.Validate(backtest_pb2.ValidateRequest(code=body.code), **backends.call_options())
    if not reply.valid:
        first = problems_out(reply.errors)[0]
        raise FieldError("code", f"does not validate: line {first['line']}: {first['message']}")
    if reply.accepts_any_parameter:
        return
    known = set(reply.parameter_names)
    for name in body.space:
        if name not in known:
            raise FieldError(f"space.{name}", _unknown_parameter(name, known))
    for name in body.strategy_params:
        if name not in known:
            raise FieldError(f"strategy_params.{name}", _unknown_parameter(name, known))


def _unknown_parameter(name: str, known: set[str]) -> str:
    takes = ", ".join(sorted(known)) or "none"
    return f"the strategy's __init__ does not take a parameter '{name}' (it takes: {takes})"


async def _windows(body: SweepBody, backends) -> list[dict]:
    """The walk-forward windows on the data the config selects; 422 when not even one fits."""
    config = body.backtest_config
    symbol_type = MARKET_TYPES.get(config.symbol_type or "", candles_pb2.MARKET_TYPE_UNSPECIFIED)
    with no_data_is_404():
        reply = await backends.marketdata.GetCandles(
            marketdata_pb2.GetCandlesRequest(
                exchange=config.exchange, symbol=config.symbol, market_type=symbol_type, timeframe=config.timeframe,
                limit=config.limit or 0, start_ms=_ms(config.start), end_ms=_ms(config.end)),
            **backends.call_options())
    times = reply.candles.open_time_ms
    if not times:
        raise HTTPException(404, "no candles for the sweep's backtest_config")
    bar_ms = TIMEFRAMES[config.timeframe]
    return [window.as_dict() for window in walkforward.plan_for(body.walk_forward, times[0], times[-1] + bar_ms,
                                                                bar_ms)]


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000) if moment is not None else 0


# --- what GET and the events show -----------------------------------------------------------------------------


async def _sweep(db, sweep_id: str) -> Sweep:
    sweep = await asyncio.to_thread(store.get, db, sweep_id)
    if sweep is None:
        raise HTTPException(404, f"sweep '{sweep_id}' not found")
    return sweep


def _progress(sweep: Sweep, counts: store.Counts):
    elapsed = None
    if sweep.started_at is not None:
        started = sweep.started_at if sweep.started_at.tzinfo else sweep.started_at.replace(tzinfo=dt.UTC)
        elapsed = (now() - started).total_seconds()
    return progress.progress(counts.done, sweep.total, counts.failed, elapsed,
                             finished=sweep.status not in store.UNFINISHED)


def _status(db, sweep: Sweep, top: int) -> SweepStatus:
    rows = store.summaries(db, sweep.id)
    counts = store.Counts(len(rows), sum(1 for r in rows if not r.success))
    constraints = sweep.request.get("constraints") or []
    grid = [r for r in rows if r.phase != "out_of_sample"]
    ranked = ranking.rank(grid, sweep.objective, sweep.maximize, constraints)
    best = ranked[0].as_reply() if ranked and ranked[0].objective_value is not None else None
    report = _walk_forward(db, sweep, rows) if sweep.windows else None
    return SweepStatus(sweep_id=sweep.id, status=sweep.status, progress=_progress(sweep, counts),
                       objective=sweep.objective, maximize=sweep.maximize, best=best,
                       results=[row.as_reply() for row in ranked[:top]], walk_forward=report,
                       created_at=sweep.created_at, started_at=sweep.started_at, finished_at=sweep.finished_at,
                       error=sweep.error)


def _walk_forward(db, sweep: Sweep, rows: list) -> walkforward.WalkForwardReport:
    """Each window's in-sample best (the combination the runner tested out-of-sample) and that test."""
    constraints = sweep.request.get("constraints") or []
    tested = {r.window: r for r in rows if r.phase == "out_of_sample"}
    curves = store.documents(db, sweep.id, [r.item_index for r in tested.values()])
    outcomes = []
    for data in sweep.request["plan"]["windows"]:
        window = walkforward.Window.from_dict(data)
        best = ranking.best_of([r for r in rows if r.phase == "in_sample" and r.window == window.index],
                               sweep.objective, sweep.maximize, constraints)
        oos = tested.get(window.index)
        curve = (curves.get(oos.item_index) or {}).get("equity_curve") or [] if oos is not None else []
        outcomes.append(walkforward.WindowOutcome(window, best, oos, curve))
    capital = BacktestConfig(**sweep.request["backtest_config"]).initial_capital
    return walkforward.report(outcomes, sweep.objective, sweep.maximize, capital)


async def _events(request: Request, db, sweep_id: str, top: int) -> AsyncIterator[str]:
    last, quiet = None, 0.0
    while not await request.is_disconnected():
        sweep = await asyncio.to_thread(store.get, db, sweep_id)
        counts = await asyncio.to_thread(store.counts, db, sweep_id)
        state = (sweep.status, counts.done, counts.failed)
        finished = sweep.status not in store.UNFINISHED
        if state != last or finished:
            status = await asyncio.to_thread(_status, db, sweep, top)
            yield _event("done" if finished else "progress", status.model_dump_json())
            if finished:
                return
            last, quiet = state, 0.0
        elif quiet >= KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet = 0.0
        await asyncio.sleep(EVENT_POLL_S)
        quiet += EVENT_POLL_S


def _event(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"

