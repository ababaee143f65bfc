"""Backtests: run, quick, validate, the example template, and stored results by id."""

import asyncio
import json

from fastapi import APIRouter, HTTPException, Query

from botmoon.backtest.v1 import backtest_pb2
from botmoon_gateway import fair_use
from botmoon_gateway.api.deps import BackendsDep, DbDep, SettingsDep, check_code_size
from botmoon_gateway.api.no_data import no_data_is_404
from botmoon_gateway.backtest_wire import result_document, run_request
from botmoon_gateway.db import Backtest, code_hash, new_id
from botmoon_gateway.executions import problems_out
from botmoon_gateway.schemas.ai import CodeBody, ValidateResponse, Validation
from botmoon_gateway.schemas.backtest import (
    BacktestConfig,
    ExampleResponse,
    QuickBody,
    RunBody,
)

router = APIRouter(prefix="/api/backtest", tags=["backtest"])


async def _run(body: RunBody, settings, db, backends) -> dict:
    check_code_size(body.code, settings)
    async with fair_use.hold("backtests"):
        with no_data_is_404():
            reply = await backends.backtest.Run(run_request(body.code, body.backtest_config, body.strategy_params),
                                                **backends.call_options(settings.backtest_timeout_s))
    result = result_document(reply.result)
    used = result.get("config", {})
    row = Backtest(id=new_id("bt"), success=reply.success, code_hash=code_hash(body.code),
                   symbol=used.get("symbol", body.backtest_config.symbol),
                   timeframe=used.get("timeframe", body.backtest_config.timeframe), result=result)
    await asyncio.to_thread(db.add, row)
    return {"backtest_id": row.id, **result}


@router.post("/run")
async def run(body: RunBody, settings: SettingsDep, db: DbDep, backends: BackendsDep):
    """Backtest strategy code: candles from market data, its methods in the sandbox, the trades and
    metrics computed by Botmoon. Returns metrics, trades, equity_curve, config and warnings."""
    return await _run(body, settings, db, backends)


@router.post("/quick")
async def quick(body: QuickBody, settings: SettingsDep, db: DbDep, backends: BackendsDep):
    """The same with defaults for everything but code, symbol, timeframe and exchange."""
    config = BacktestConfig(symbol=body.symbol, timeframe=body.timeframe, exchange=body.exchange)
    return await _run(RunBody(code=body.code, backtest_config=config), settings, db, backends)


@router.post("/validate", response_model=ValidateResponse)
async def validate(body: CodeBody, settings: SettingsDep, backends: BackendsDep):
    """Check strategy code without a backtest: the sandbox's rules plus the strategy interface."""
    check_code_size(body.code, settings)
    reply = await backends.backtest.Validate(backtest_pb2.ValidateRequest(code=body.code),
                                             **backends.call_options())
    return ValidateResponse(success=True, validation=Validation(
        valid=reply.valid, errors=problems_out(reply.errors), warnings=problems_out(reply.warnings)))


@router.get("/example", response_model=ExampleResponse)
async def example(backends: BackendsDep,
                  name: str = Query("", max_length=64, description="a template by name (`examples` lists them); "
                                                                    "default: the API contract's own template")):
    """A full strategy template with its parameters: it passes validation and runs. The default is the
    contract's template exactly; `?name=ema_cross` is the improved one."""
    reply = await backends.backtest.Example(backtest_pb2.ExampleRequest(name=name), **backends.call_options())
    return ExampleResponse(success=True, name=reply.name, description=reply.description, examples=list(reply.names),
                           code=reply.code, strategy_params=json.loads(reply.params_json),
                           backtest_config=BacktestConfig().model_dump(mode="json", exclude_none=True))


@router.get("/{backtest_id}")
async def get_backtest(backtest_id: str, db: DbDep):
    """A stored backtest result by id."""
    row = await asyncio.to_thread(db.get, Backtest, backtest_id)
    if row is None:
        raise HTTPException(404, f"backtest '{backtest_id}' not found")
    return {"backtest_id": row.id, **row.result}
