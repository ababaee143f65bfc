from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class MarketType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MARKET_TYPE_UNSPECIFIED: _ClassVar[MarketType]
    MARKET_TYPE_CRYPTO_SPOT: _ClassVar[MarketType]
    MARKET_TYPE_CRYPTO_FUTURE: _ClassVar[MarketType]

class CandleSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANDLE_SOURCE_UNSPECIFIED: _ClassVar[CandleSource]
    CANDLE_SOURCE_EXCHANGE: _ClassVar[CandleSource]
    CANDLE_SOURCE_STORE: _ClassVar[CandleSource]
    CANDLE_SOURCE_BUNDLED: _ClassVar[CandleSource]
MARKET_TYPE_UNSPECIFIED: MarketType
MARKET_TYPE_CRYPTO_SPOT: MarketType
MARKET_TYPE_CRYPTO_FUTURE: MarketType
CANDLE_SOURCE_UNSPECIFIED: CandleSource
CANDLE_SOURCE_EXCHANGE: CandleSource
CANDLE_SOURCE_STORE: CandleSource
CANDLE_SOURCE_BUNDLED: CandleSource

class Candles(_message.Message):
    __slots__ = ("open_time_ms", "open", "high", "low", "close", "volume")
    OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    open_time_ms: _containers.RepeatedScalarFieldContainer[int]
    open: _containers.RepeatedScalarFieldContainer[float]
    high: _containers.RepeatedScalarFieldContainer[float]
    low: _containers.RepeatedScalarFieldContainer[float]
    close: _containers.RepeatedScalarFieldContainer[float]
    volume: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, open_time_ms: _Optional[_Iterable[int]] = ..., open: _Optional[_Iterable[float]] = ..., high: _Optional[_Iterable[float]] = ..., low: _Optional[_Iterable[float]] = ..., close: _Optional[_Iterable[float]] = ..., volume: _Optional[_Iterable[float]] = ...) -> None: ...

class Gap(_message.Message):
    __slots__ = ("first_ms", "last_ms", "missing")
    FIRST_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_MS_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    first_ms: int
    last_ms: int
    missing: int
    def __init__(self, first_ms: _Optional[int] = ..., last_ms: _Optional[int] = ..., missing: _Optional[int] = ...) -> None: ...
