from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_ERROR: _ClassVar[Severity]
    SEVERITY_WARNING: _ClassVar[Severity]

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_COMPLETED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_FAILED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_TIMEOUT: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_KILLED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_REJECTED: _ClassVar[ExecutionStatus]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_ERROR: Severity
SEVERITY_WARNING: Severity
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_COMPLETED: ExecutionStatus
EXECUTION_STATUS_FAILED: ExecutionStatus
EXECUTION_STATUS_TIMEOUT: ExecutionStatus
EXECUTION_STATUS_KILLED: ExecutionStatus
EXECUTION_STATUS_REJECTED: ExecutionStatus

class Problem(_message.Message):
    __slots__ = ("line", "column", "rule", "message", "severity")
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    line: int
    column: int
    rule: str
    message: str
    severity: Severity
    def __init__(self, line: _Optional[int] = ..., column: _Optional[int] = ..., rule: _Optional[str] = ..., message: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ("valid", "errors", "warnings")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedCompositeFieldContainer[Problem]
    warnings: _containers.RepeatedCompositeFieldContainer[Problem]
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ...) -> None: ...

class ExecuteRequest(_message.Message):
    __slots__ = ("code", "skip_validation")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SKIP_VALIDATION_FIELD_NUMBER: _ClassVar[int]
    code: str
    skip_validation: bool
    def __init__(self, code: _Optional[str] = ..., skip_validation: _Optional[bool] = ...) -> None: ...

class ExecutionError(_message.Message):
    __slots__ = ("type", "message", "traceback", "line")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    type: str
    message: str
    traceback: str
    line: int
    def __init__(self, type: _Optional[str] = ..., message: _Optional[str] = ..., traceback: _Optional[str] = ..., line: _Optional[int] = ...) -> None: ...

class ExecuteResponse(_message.Message):
    __slots__ = ("status", "stdout", "stderr", "truncated", "result_json", "error", "kill_reason", "execution_time_ms", "problems")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    KILL_REASON_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    status: ExecutionStatus
    stdout: str
    stderr: str
    truncated: bool
    result_json: str
    error: ExecutionError
    kill_reason: str
    execution_time_ms: int
    problems: _containers.RepeatedCompositeFieldContainer[Problem]
    def __init__(self, status: _Optional[_Union[ExecutionStatus, str]] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., truncated: _Optional[bool] = ..., result_json: _Optional[str] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., kill_reason: _Optional[str] = ..., execution_time_ms: _Optional[int] = ..., problems: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ...) -> None: ...

class SessionRequest(_message.Message):
    __slots__ = ("op", "args_json", "binary", "skip_validation")
    OP_FIELD_NUMBER: _ClassVar[int]
    ARGS_JSON_FIELD_NUMBER: _ClassVar[int]
    BINARY_FIELD_NUMBER: _ClassVar[int]
    SKIP_VALIDATION_FIELD_NUMBER: _ClassVar[int]
    op: str
    args_json: str
    binary: bytes
    skip_validation: bool
    def __init__(self, op: _Optional[str] = ..., args_json: _Optional[str] = ..., binary: _Optional[bytes] = ..., skip_validation: _Optional[bool] = ...) -> None: ...

class SessionReply(_message.Message):
    __slots__ = ("status", "ok", "value_json", "error", "stdout", "stderr", "truncated", "kill_reason", "problems")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    KILL_REASON_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    status: ExecutionStatus
    ok: bool
    value_json: str
    error: ExecutionError
    stdout: str
    stderr: str
    truncated: bool
    kill_reason: str
    problems: _containers.RepeatedCompositeFieldContainer[Problem]
    def __init__(self, status: _Optional[_Union[ExecutionStatus, str]] = ..., ok: _Optional[bool] = ..., value_json: _Optional[str] = ..., error: _Optional[_Union[ExecutionError, _Mapping]] = ..., stdout: _Optional[str] = ..., stderr: _Optional[str] = ..., truncated: _Optional[bool] = ..., kill_reason: _Optional[str] = ..., problems: _Optional[_Iterable[_Union[Problem, _Mapping]]] = ...) -> None: ...
