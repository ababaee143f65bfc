from botmoon.sandbox.v1 import sandbox_pb2 as _sandbox_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RunRequest(_message.Message):
    __slots__ = ("code", "config_json", "params_json")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    code: str
    config_json: str
    params_json: str
    def __init__(self, code: _Optional[str] = ..., config_json: _Optional[str] = ..., params_json: _Optional[str] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("success", "result_json", "node")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    result_json: str
    node: str
    def __init__(self, success: _Optional[bool] = ..., result_json: _Optional[str] = ..., node: _Optional[str] = ...) -> None: ...

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
    errors: _containers.RepeatedCompositeFieldContainer[_sandbox_pb2.Problem]
    warnings: _containers.RepeatedCompositeFieldContainer[_sandbox_pb2.Problem]
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[_sandbox_pb2.Problem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_sandbox_pb2.Problem, _Mapping]]] = ...) -> None: ...

class ExampleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ExampleResponse(_message.Message):
    __slots__ = ("code", "params_json", "name", "description", "names")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    code: str
    params_json: str
    name: str
    description: str
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., params_json: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...
