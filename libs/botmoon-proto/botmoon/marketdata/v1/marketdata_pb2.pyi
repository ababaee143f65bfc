from botmoon.common.v1 import candles_pb2 as _candles_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListSymbolsRequest(_message.Message):
    __slots__ = ("exchange",)
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    def __init__(self, exchange: _Optional[str] = ...) -> None: ...

class SeriesInfo(_message.Message):
    __slots__ = ("timeframe", "first_open_ms", "last_open_ms", "count", "source")
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    FIRST_OPEN_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_OPEN_MS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    timeframe: str
    first_open_ms: int
    last_open_ms: int
    count: int
    source: _candles_pb2.CandleSource
    def __init__(self, timeframe: _Optional[str] = ..., first_open_ms: _Optional[int] = ..., last_open_ms: _Optional[int] = ..., count: _Optional[int] = ..., source: _Optional[_Union[_candles_pb2.CandleSource, str]] = ...) -> None: ...

class SymbolInfo(_message.Message):
    __slots__ = ("symbol", "name", "market_type", "exchange", "base", "quote", "timeframes", "series")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MARKET_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    QUOTE_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAMES_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    name: str
    market_type: _candles_pb2.MarketType
    exchange: str
    base: str
    quote: str
    timeframes: _containers.RepeatedScalarFieldContainer[str]
    series: _containers.RepeatedCompositeFieldContainer[SeriesInfo]
    def __init__(self, symbol: _Optional[str] = ..., name: _Optional[str] = ..., market_type: _Optional[_Union[_candles_pb2.MarketType, str]] = ..., exchange: _Optional[str] = ..., base: _Optional[str] = ..., quote: _Optional[str] = ..., timeframes: _Optional[_Iterable[str]] = ..., series: _Optional[_Iterable[_Union[SeriesInfo, _Mapping]]] = ...) -> None: ...

class ListSymbolsResponse(_message.Message):
    __slots__ = ("symbols", "exchanges", "timeframes")
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    EXCHANGES_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAMES_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolInfo]
    exchanges: _containers.RepeatedScalarFieldContainer[str]
    timeframes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolInfo, _Mapping]]] = ..., exchanges: _Optional[_Iterable[str]] = ..., timeframes: _Optional[_Iterable[str]] = ...) -> None: ...

class GetCandlesRequest(_message.Message):
    __slots__ = ("exchange", "symbol", "market_type", "timeframe", "limit", "start_ms", "end_ms", "store_only")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARKET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    STORE_ONLY_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    market_type: _candles_pb2.MarketType
    timeframe: str
    limit: int
    start_ms: int
    end_ms: int
    store_only: bool
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., market_type: _Optional[_Union[_candles_pb2.MarketType, str]] = ..., timeframe: _Optional[str] = ..., limit: _Optional[int] = ..., start_ms: _Optional[int] = ..., end_ms: _Optional[int] = ..., store_only: _Optional[bool] = ...) -> None: ...

class GetCandlesResponse(_message.Message):
    __slots__ = ("exchange", "symbol", "market_type", "timeframe", "candles", "source", "source_detail", "first_open_ms", "last_open_ms", "gaps", "resampled_from")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARKET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DETAIL_FIELD_NUMBER: _ClassVar[int]
    FIRST_OPEN_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_OPEN_MS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    RESAMPLED_FROM_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    market_type: _candles_pb2.MarketType
    timeframe: str
    candles: _candles_pb2.Candles
    source: _candles_pb2.CandleSource
    source_detail: str
    first_open_ms: int
    last_open_ms: int
    gaps: _containers.RepeatedCompositeFieldContainer[_candles_pb2.Gap]
    resampled_from: str
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., market_type: _Optional[_Union[_candles_pb2.MarketType, str]] = ..., timeframe: _Optional[str] = ..., candles: _Optional[_Union[_candles_pb2.Candles, _Mapping]] = ..., source: _Optional[_Union[_candles_pb2.CandleSource, str]] = ..., source_detail: _Optional[str] = ..., first_open_ms: _Optional[int] = ..., last_open_ms: _Optional[int] = ..., gaps: _Optional[_Iterable[_Union[_candles_pb2.Gap, _Mapping]]] = ..., resampled_from: _Optional[str] = ...) -> None: ...

class StreamCandlesRequest(_message.Message):
    __slots__ = ("series",)
    class Series(_message.Message):
        __slots__ = ("exchange", "symbol", "market_type", "timeframe")
        EXCHANGE_FIELD_NUMBER: _ClassVar[int]
        SYMBOL_FIELD_NUMBER: _ClassVar[int]
        MARKET_TYPE_FIELD_NUMBER: _ClassVar[int]
        TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
        exchange: str
        symbol: str
        market_type: _candles_pb2.MarketType
        timeframe: str
        def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., market_type: _Optional[_Union[_candles_pb2.MarketType, str]] = ..., timeframe: _Optional[str] = ...) -> None: ...
    SERIES_FIELD_NUMBER: _ClassVar[int]
    series: _containers.RepeatedCompositeFieldContainer[StreamCandlesRequest.Series]
    def __init__(self, series: _Optional[_Iterable[_Union[StreamCandlesRequest.Series, _Mapping]]] = ...) -> None: ...

class CandleUpdate(_message.Message):
    __slots__ = ("exchange", "symbol", "market_type", "timeframe", "candles", "source")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MARKET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    market_type: _candles_pb2.MarketType
    timeframe: str
    candles: _candles_pb2.Candles
    source: _candles_pb2.CandleSource
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., market_type: _Optional[_Union[_candles_pb2.MarketType, str]] = ..., timeframe: _Optional[str] = ..., candles: _Optional[_Union[_candles_pb2.Candles, _Mapping]] = ..., source: _Optional[_Union[_candles_pb2.CandleSource, str]] = ...) -> None: ...
