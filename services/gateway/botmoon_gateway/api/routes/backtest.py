"""Backtests: run, quick, validate, the example template, and stored results by id."""

import asyncio
import json

from fastapi import APIRouter, HTTPException

from botmoon.backtest.v1 import backtest_pb2
from botmoon_gateway.api.deps import BackendsDep, DbDep, SettingsDep, check_code_size
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
    config = body.backtest_config.model_dump(mode="json", exclude_unset=True)
    reply = await backends.backtest.Run(
        backtest_pb2.RunRequest(code=body.code, config_json=json.dumps(config),
                                params_json=json.dumps(body.strategy_params)),
        **backends.call_options(settings.backtest_timeout_s),
    )
    result = json.loads(reply.result_json)
    row = Backtest(id=new_id("bt"), success=reply.success, code_hash=code_hash(body.code),
                   symbol=result.get("config", {}).get("symbol", body.backtest_config.symbol),
                   timeframe=body.backtest_config.timeframe,
                   result=result)
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
async def example(backends: BackendsDep):
    """The full strategy template with its parameters: it passes validation and runs."""
    reply = await backends.backtest.Example(backtest_pb2.ExampleRequest(), **backends.call_options())
    return ExampleResponse(success=True, code=reply.code, strategy_params=json.loads(reply.params_json),
                           backtest_config=BacktestConfig())


@router.get("/{backtest_id}")
async def get_backtest(backtest_id: str, db: DbDep):
    """A stored backtest result by id."""
    row = await asyncio.to_thread(db.get, Backtest, backtest_id)
    if row is None:
        raise HTTPException(404, f"backtest '{backtest_id}' not found")
    return {"backtest_id": row.id, **row.result}
