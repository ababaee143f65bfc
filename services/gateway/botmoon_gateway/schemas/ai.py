"""Bodies of the /api/ai endpoints, as in the API contract."""

import datetime as dt
from typing import Any, Literal

from pydantic import Field, StrictBool, StrictStr

from botmoon_gateway.schemas.base import Body, Reply

Status = Literal["completed", "failed", "timeout", "killed", "rejected"]


class CodeBody(Body):
    code: StrictStr = Field(description="Python code to check or run")


class ExecuteBody(CodeBody):
    name: StrictStr = Field("AI_Execution", min_length=1, max_length=200)


class DeployBody(CodeBody):
    name: StrictStr = Field("AI_Deployed", min_length=1, max_length=200)
    auto_run: StrictBool = True
    return_result: StrictBool = False
    strategy_class: StrictStr | None = Field(None, min_length=1, max_length=200,
                                             description="the strategy class to register when the code has several")


class ProblemOut(Reply):
    line: int
    column: int
    rule: str
    message: str


class Validation(Reply):
    valid: bool
    errors: list[ProblemOut]
    warnings: list[ProblemOut]


class ValidateResponse(Reply):
    success: bool
    validation: Validation


class ErrorOut(Reply):
    type: str
    message: str
    traceback: str
    line: int


class ExecutionOut(Reply):
    execution_id: str
    name: str
    status: Status
    output: str
    stderr: str
    truncated: bool
    result: Any = None
    error: ErrorOut | None = None
    kill_reason: str = ""
    problems: list[ProblemOut] = []
    execution_time_ms: int
    algorithm_id: str | None = None
    created_at: dt.datetime


class ExecuteResponse(ExecutionOut):
    success: bool


class DeployedStrategy(Reply):
    """The stopped strategy a deploy registered (start it with POST /api/strategies/{id}/start)."""

    id: str
    class_name: str
    params: dict[str, Any]
    status: str


class DeployResponse(Reply):
    success: bool
    algorithm_id: str | None
    execution_id: str | None
    name: str
    status: str
    auto_deploy: bool
    code_hash: str
    validation: Validation
    execution: ExecutionOut | None = None
    strategy: DeployedStrategy | None = Field(None, description="the strategy registered from the code's class")
    strategy_reason: str | None = Field(None, description="why no strategy was registered")


class ExecutionList(Reply):
    success: bool
    count: int
    executions: list[ExecutionOut]
