"""AI code deployment: validate, execute, deploy, and the execution history."""

import asyncio

from fastapi import APIRouter, HTTPException, Query

from botmoon.sandbox.v1 import sandbox_pb2
from botmoon_gateway import fair_use
from botmoon_gateway.api.deps import BackendsDep, DbDep, SettingsDep, check_code_size
from botmoon_gateway.db import Algorithm, Execution, code_hash, new_id
from botmoon_gateway.errors import FieldError
from botmoon_gateway.executions import execution_out, run_and_record, validation_out
from botmoon_gateway.live.registry import NoStrategy, find_strategy
from botmoon_gateway.live.runner import new_strategy
from botmoon_gateway.schemas.ai import (
    CodeBody,
    DeployBody,
    DeployedStrategy,
    DeployResponse,
    ExecuteBody,
    ExecuteResponse,
    ExecutionList,
    ValidateResponse,
)

router = APIRouter(prefix="/api/ai", tags=["AI code"])


@router.post("/validate", response_model=ValidateResponse)
async def validate(body: CodeBody, settings: SettingsDep, backends: BackendsDep):
    """Check code without running it: blocked imports, calls and attributes, syntax, style warnings."""
    check_code_size(body.code, settings)
    reply = await backends.sandbox.Validate(sandbox_pb2.ValidateRequest(code=body.code), **backends.call_options())
    return ValidateResponse(success=True, validation=validation_out(reply))


@router.post("/execute", response_model=ExecuteResponse)
async def execute(body: ExecuteBody, settings: SettingsDep, db: DbDep, backends: BackendsDep):
    """Run code now in a fresh sandbox container; returns stdout, stderr and the variable `result`."""
    check_code_size(body.code, settings)
    row = await run_and_record(backends, db, body.code, body.name, settings.execution_max_stored_bytes)
    return ExecuteResponse(success=row.status == "completed", **execution_out(row).model_dump())


@router.post("/deploy", response_model=DeployResponse)
async def deploy(body: DeployBody, settings: SettingsDep, db: DbDep, backends: BackendsDep):
    """Validate and save code as an algorithm; `auto_run` executes it, `return_result` includes the execution.

    A class with `generate_signals(self, data)` becomes a stopped strategy, named in `strategy` (or
    `strategy_reason` says why none); code with several such classes needs `strategy_class`."""
    check_code_size(body.code, settings)
    if body.auto_run:
        fair_use.check_free("executions")  # a 429 leaves nothing stored
    reply = await backends.sandbox.Validate(sandbox_pb2.ValidateRequest(code=body.code), **backends.call_options())
    validation = validation_out(reply)
    digest = code_hash(body.code)
    if not validation.valid:
        return DeployResponse(success=False, algorithm_id=None, execution_id=None, name=body.name,
                              status="rejected", auto_deploy=body.auto_run, code_hash=digest, validation=validation)
    algorithm = Algorithm(id=new_id("algo"), name=body.name, code=body.code, code_hash=digest)
    strategy, reason = None, None
    try:
        strategy = new_strategy(algorithm.id, body.name, *find_strategy(body.code, body.strategy_class))
    except NoStrategy as exc:
        if body.strategy_class is not None or exc.needs_choice:
            raise FieldError("strategy_class", str(exc)) from None
        reason = str(exc)
    await asyncio.to_thread(db.add, algorithm, *([strategy] if strategy else []))
    execution = None
    if body.auto_run:
        execution = await run_and_record(backends, db, body.code, body.name, settings.execution_max_stored_bytes,
                                         algorithm_id=algorithm.id)
    return DeployResponse(
        success=execution is None or execution.status == "completed",
        algorithm_id=algorithm.id,
        execution_id=execution.id if execution else None,
        name=body.name,
        status=execution.status if execution else "deployed",
        auto_deploy=body.auto_run,
        code_hash=digest,
        validation=validation,
        execution=execution_out(execution) if execution and body.return_result else None,
        strategy=DeployedStrategy(id=strategy.id, class_name=strategy.class_name, params=strategy.params,
                                  status="stopped") if strategy else None,
        strategy_reason=reason,
    )


@router.get("/executions", response_model=ExecutionList)
async def list_executions(db: DbDep, limit: int = Query(50, ge=1, le=500)):
    """Execution history, newest first."""
    rows = await asyncio.to_thread(db.newest, Execution, limit)
    return ExecutionList(success=True, count=len(rows), executions=[execution_out(r) for r in rows])


@router.get("/executions/{execution_id}", response_model=ExecuteResponse)
async def get_execution(execution_id: str, db: DbDep):
    """One execution by id."""
    row = await asyncio.to_thread(db.get, Execution, execution_id)
    if row is None:
        raise HTTPException(404, f"execution '{execution_id}' not found")
    return ExecuteResponse(success=row.status == "completed", **execution_out(row).model_dump())
