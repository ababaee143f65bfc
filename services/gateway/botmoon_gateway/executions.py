"""Running code through the sandbox and keeping the record: shared by execute and deploy."""

import asyncio
import datetime as dt
import json

from botmoon.sandbox.v1 import sandbox_pb2
from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Database, Execution, code_hash, new_id
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


async def run_and_record(backends: Backends, db: Database, code: str, name: str,
                         algorithm_id: str | None = None) -> Execution:
    reply = await backends.sandbox.Execute(sandbox_pb2.ExecuteRequest(code=code), **backends.call_options())
    row = Execution(
        id=new_id("exec"), name=name, algorithm_id=algorithm_id, code_hash=code_hash(code),
        status=_STATUS.get(reply.status, "failed"), output=reply.stdout, stderr=reply.stderr,
        truncated=reply.truncated, has_result=bool(reply.result_json),
        result=json.loads(reply.result_json) if reply.result_json else None,
        error={"type": reply.error.type, "message": reply.error.message, "traceback": reply.error.traceback,
               "line": reply.error.line} if reply.HasField("error") else None,
        kill_reason=reply.kill_reason,
        problems=[p.model_dump() for p in problems_out(reply.problems)] or None,
        execution_time_ms=reply.execution_time_ms,
    )
    await asyncio.to_thread(db.add, row)
    return row
