"""Running code through the sandbox and keeping the record: shared by execute and deploy."""

import asyncio
import datetime as dt

from botmoon.sandbox.v1 import sandbox_pb2
from botmoon_gateway import fair_use
from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database, Execution, code_hash, new_id
from botmoon_gateway.retention import capped_result, capped_text
from botmoon_gateway.schemas.ai import ErrorOut, ExecutionOut, ProblemOut, Validation

_STATUS = {
    sandbox_pb2.EXECUTION_STATUS_COMPLETED: "completed",
    sandbox_pb2.EXECUTION_STATUS_FAILED: "failed",
    sandbox_pb2.EXECUTION_STATUS_TIMEOUT: "timeout",
    sandbox_pb2.EXECUTION_STATUS_KILLED: "killed",
    sandbox_pb2.EXECUTION_STATUS_REJECTED: "rejected",
}


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; every time we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def problems_out(problems) -> list[ProblemOut]:
    return [ProblemOut(line=p.line, column=p.column, rule=p.rule, message=p.message) for p in problems]


def validation_out(reply: sandbox_pb2.ValidateResponse) -> Validation:
    return Validation(valid=reply.valid, errors=problems_out(reply.errors), warnings=problems_out(reply.warnings))


def execution_out(row: Execution) -> ExecutionOut:
    return ExecutionOut(
        execution_id=row.id, name=row.name, status=row.status, output=row.output, stderr=row.stderr,
        truncated=row.truncated, result=row.result, error=ErrorOut(**row.error) if row.error else None,
        kill_reason=row.kill_reason, problems=row.problems or [], execution_time_ms=row.execution_time_ms,
        algorithm_id=row.algorithm_id, created_at=as_utc(row.created_at),
    )


async def run_and_record(backends: Backends, db: Database, code: str, name: str, max_stored_bytes: int,
                         algorithm_id: str | None = None) -> Execution:
    """Runs code in one of the client's execution slots (fair use) and stores it, each stream and the result
    capped at `max_stored_bytes` (`truncated` says when anything was cut)."""
    async with fair_use.hold("executions"):
        reply = await backends.sandbox.Execute(sandbox_pb2.ExecuteRequest(code=code), **backends.call_options())
    output, cut_output = capped_text(reply.stdout, max_stored_bytes)
    stderr, cut_stderr = capped_text(reply.stderr, max_stored_bytes)
    result, cut_result = capped_result(reply.result_json, max_stored_bytes)
    if cut_result:
        stderr += f"\n[botmoon: the result is over the {max_stored_bytes}-byte cap of what is stored; not kept]"
    row = Execution(
        id=new_id("exec"), name=name, algorithm_id=algorithm_id, code_hash=code_hash(code),
        status=_STATUS.get(reply.status, "failed"), output=output, stderr=stderr,
        truncated=reply.truncated or cut_output or cut_stderr or cut_result, has_result=bool(reply.result_json),
        result=result,
        error={"type": reply.error.type, "message": reply.error.message, "traceback": reply.error.traceback,
               "line": reply.error.line} if reply.HasField("error") else None,
        kill_reason=reply.kill_reason,
        problems=[p.model_dump() for p in problems_out(reply.problems)] or None,
        execution_time_ms=reply.execution_time_ms,
    )
    await asyncio.to_thread(db.add, row)
    return row
