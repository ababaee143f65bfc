"""The wire format every body follows: derive replies from `Reply` and request bodies from `Body`.

- Every datetime in a reply is ISO 8601 UTC with `Z` (`botmoon_common.timefmt.iso`), also inside dicts and lists.
- A request body refuses unknown keys, naming the key (`extra="forbid"`).
- `Timeframe` is the one set of timeframes every endpoint accepts.
"""

import datetime as dt
import typing
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError, to_jsonable_python

from botmoon_common.timefmt import iso
from botmoon_common.timeframes import TIMEFRAMES
from botmoon_gateway.errors import LONE_SURROGATE, lone_surrogate

Timeframe = Literal[*TIMEFRAMES]


def _with_iso_times(value):
    """`value` with every datetime in it (through dicts and lists) as the API's time string."""
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _with_iso_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_with_iso_times(v) for v in value]
    return value


def _has_time(value) -> bool:
    if isinstance(value, dt.datetime):
        return True
    if isinstance(value, dict):
        return any(_has_time(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_time(v) for v in value)
    return False


def _may_hold_time(annotation) -> bool:
    """Whether a field of this type can hold a datetime that its own model does not format."""
    if annotation in (dt.datetime, Any, object, dict, list):
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False
    return any(_may_hold_time(arg) for arg in typing.get_args(annotation))


class Reply(BaseModel):
    """A reply body (or a part of one)."""

    _time_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        cls._time_fields = frozenset(name for name, f in cls.model_fields.items() if _may_hold_time(f.annotation))

    @field_serializer("*", mode="wrap", when_used="json")
    def _times(self, value, handler, info):
        if info.field_name in self._time_fields and _has_time(value):
            return to_jsonable_python(_with_iso_times(value))
        return handler(value)


class Body(BaseModel):
    """A request body (or a part of one): unknown keys are refused by name, and text must be valid Unicode."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _valid_unicode(cls, value):
        if lone_surrogate(value):
            raise PydanticCustomError("unicode", LONE_SURROGATE)
        return value

    @model_validator(mode="after")
    def _valid_unicode_extra(self):
        bad = [key for key, value in (self.__pydantic_extra__ or {}).items()
               if lone_surrogate(key) or lone_surrogate(value)]
        if bad:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("unicode", LONE_SURROGATE),
                                 loc=(key.encode("utf-8", "replace").decode(),), input=None) for key in bad])
        return self
