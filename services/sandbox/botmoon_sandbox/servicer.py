"""SandboxService over gRPC: translation between protobuf and the executor, errors to status codes."""

import contextlib
import json

import grpc

from botmoon.sandbox.v1 import sandbox_pb2, sandbox_pb2_grpc
from botmoon_sandbox.adapters.docker_engine import EngineError
from botmoon_sandbox.domain.outcome import Outcome, Status
from botmoon_sandbox.domain.validation import Problem, Severity
from botmoon_sandbox.executor import Executor, Overloaded, SessionCall

_STATUS = {
    Status.COMPLETED: sandbox_pb2.EXECUTION_STATUS_COMPLETED,
    Status.FAILED: sandbox_pb2.EXECUTION_STATUS_FAILED,
    Status.TIMEOUT: sandbox_pb2.EXECUTION_STATUS_TIMEOUT,
    Status.KILLED: sandbox_pb2.EXECUTION_STATUS_KILLED,
    Status.REJECTED: sandbox_pb2.EXECUTION_STATUS_REJECTED,
}
_SEVERITY = {Severity.ERROR: sandbox_pb2.SEVERITY_ERROR, Severity.WARNING: sandbox_pb2.SEVERITY_WARNING}


def problem_to_proto(p: Problem) -> sandbox_pb2.Problem:
    return sandbox_pb2.Problem(line=p.line, column=p.column, rule=p.rule, message=p.message,
                               severity=_SEVERITY[p.severity])


def outcome_to_proto(o: Outcome) -> sandbox_pb2.ExecuteResponse:
    response = sandbox_pb2.ExecuteResponse(
        status=_STATUS[o.status], stdout=o.stdout, stderr=o.stderr, truncated=o.truncated,
        result_json=o.result_json, kill_reason=o.kill_reason, execution_time_ms=o.execution_time_ms,
        problems=[problem_to_proto(p) for p in o.problems],
    )
    if o.error:
        response.error.CopyFrom(sandbox_pb2.ExecutionError(
            type=str(o.error.get("type", "")), message=str(o.error.get("message", "")),
            traceback=str(o.error.get("traceback", "")), line=int(o.error.get("line") or 0),
        ))
    return response


def session_reply(o: Outcome) -> sandbox_pb2.SessionReply:
    execution = outcome_to_proto(o)
    return sandbox_pb2.SessionReply(
        status=execution.status, ok=o.status is Status.COMPLETED and o.error is None,
        value_json=o.result_json, error=execution.error if o.error else None, stdout=o.stdout,
        stderr=o.stderr, truncated=o.truncated, kill_reason=o.kill_reason, problems=execution.problems,
    )


class SandboxServicer(sandbox_pb2_grpc.SandboxServiceServicer):
    def __init__(self, executor: Executor):
        self._executor = executor

    async def Validate(self, request, context):
        report = self._executor.validate(request.code)
        return sandbox_pb2.ValidateResponse(
            valid=report.valid,
            errors=[problem_to_proto(p) for p in report.errors],
            warnings=[problem_to_proto(p) for p in report.warnings],
        )

    async def Execute(self, request, context):
        async with _status_codes(self._executor, context):
            outcome = await self._executor.execute(request.code, request.skip_validation)
        return outcome_to_proto(outcome)

    async def Session(self, request_iterator, context):
        async def calls():
            async for request in request_iterator:
                try:
                    args = json.loads(request.args_json) if request.args_json else {}
                except json.JSONDecodeError as exc:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"args_json: {exc}")
                if not isinstance(args, dict):
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "args_json must be a JSON object")
                yield SessionCall(request.op, args, request.binary, request.skip_validation)

        async with _status_codes(self._executor, context):
            async for outcome in self._executor.session(calls()):
                yield session_reply(outcome)


@contextlib.asynccontextmanager
async def _status_codes(executor: Executor, context):
    """Fail closed until the isolation probes passed; the executor's errors as gRPC status codes."""
    if not executor.accepting:
        await context.abort(grpc.StatusCode.UNAVAILABLE, "the sandbox has not verified its isolation yet")
    try:
        yield
    except ValueError as exc:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    except Overloaded as exc:
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))
    except EngineError as exc:
        await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
