"""MarketDataService over gRPC: translation between protobuf and the service, errors to status codes."""

import logging

import grpc
import numpy as np

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2, marketdata_pb2_grpc
from botmoon_marketdata import metrics
from botmoon_marketdata.domain import symbols, timeframes
from botmoon_marketdata.domain.candles import Candles, Source
from botmoon_marketdata.domain.errors import (
    ExchangeRejected,
    ExchangeUnavailable,
    InvalidRequest,
    InvalidSeries,
    MarketDataError,
    NotAvailable,
    TooLarge,
)
from botmoon_marketdata.domain.symbols import MarketType
from botmoon_marketdata.service import CandlesAnswer, CandlesQuery, MarketData

log = logging.getLogger(__name__)

_SOURCE = {Source.EXCHANGE: candles_pb2.CANDLE_SOURCE_EXCHANGE, Source.STORE: candles_pb2.CANDLE_SOURCE_STORE,
           Source.BUNDLED: candles_pb2.CANDLE_SOURCE_BUNDLED}
_MARKET = {MarketType.SPOT: candles_pb2.MARKET_TYPE_CRYPTO_SPOT,
           MarketType.FUTURE: candles_pb2.MARKET_TYPE_CRYPTO_FUTURE}
_MARKET_IN = {v: k for k, v in _MARKET.items()}
_STATUS = [
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidSeries, grpc.StatusCode.INVALID_ARGUMENT),
    (ExchangeRejected, grpc.StatusCode.INVALID_ARGUMENT),
    (NotAvailable, grpc.StatusCode.NOT_FOUND),
    (TooLarge, grpc.StatusCode.OUT_OF_RANGE),
    (ExchangeUnavailable, grpc.StatusCode.UNAVAILABLE),
]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def candles_to_proto(c: Candles, into: candles_pb2.Candles) -> None:
    """Fills `into` with the columns of `c`. Packed fixed-width fields are little-endian arrays on the wire, so
    the message is written from numpy into one buffer and parsed (a copy), not built value by value."""
    columns = [(number, column) for number, column in enumerate(c.columns(), start=1) if len(column)]
    heads = [_varint(number << 3 | 2) + _varint(column.nbytes) for number, column in columns]
    buffer = bytearray(sum(len(h) for h in heads) + sum(column.nbytes for _, column in columns))
    view = np.frombuffer(buffer, dtype=np.uint8)
    offset = 0
    for head, (number, column) in zip(heads, columns, strict=True):
        view[offset:offset + len(head)] = np.frombuffer(head, dtype=np.uint8)
        offset += len(head)
        wire = column.astype("<i8" if number == 1 else "<f8", copy=False)
        view[offset:offset + wire.nbytes] = wire.view(np.uint8)
        offset += wire.nbytes
    into.ParseFromString(buffer)


def candles_from_proto(msg: candles_pb2.Candles) -> Candles:
    prices = (np.array(getattr(msg, name), dtype=np.float64) for name in ("open", "high", "low", "close", "volume"))
    return Candles(np.array(msg.open_time_ms, dtype=np.int64), *prices)


def _market(value: int) -> MarketType | None:
    return _MARKET_IN.get(value)


def _answer_to_proto(a: CandlesAnswer) -> marketdata_pb2.GetCandlesResponse:
    response = marketdata_pb2.GetCandlesResponse(
        exchange=a.instrument.exchange, symbol=a.instrument.symbol, market_type=_MARKET[a.instrument.market_type],
        timeframe=a.timeframe, source=_SOURCE[a.source], source_detail=a.source_detail,
        first_open_ms=a.candles.first_ms, last_open_ms=a.candles.last_ms,
        gaps=[candles_pb2.Gap(first_ms=g.first_ms, last_ms=g.last_ms, missing=g.missing) for g in a.gaps],
        resampled_from=a.resampled_from,
    )
    candles_to_proto(a.candles, response.candles)
    return response


class MarketDataServicer(marketdata_pb2_grpc.MarketDataServiceServicer):
    def __init__(self, service: MarketData):
        self._service = service

    async def _abort(self, context, exc: MarketDataError):
        code = next((code for kind, code in _STATUS if isinstance(exc, kind)), grpc.StatusCode.INTERNAL)
        await context.abort(code, str(exc))

    async def ListSymbols(self, request, context):
        try:
            listings = await self._service.list_symbols(request.exchange or None)
        except MarketDataError as exc:
            await self._abort(context, exc)
        return marketdata_pb2.ListSymbolsResponse(
            symbols=[
                marketdata_pb2.SymbolInfo(
                    symbol=s.instrument.symbol, name=s.instrument.name, market_type=_MARKET[s.instrument.market_type],
                    exchange=s.instrument.exchange, base=s.instrument.base, quote=s.instrument.quote,
                    timeframes=s.timeframes,
                    series=[marketdata_pb2.SeriesInfo(timeframe=x.timeframe, first_open_ms=x.first_ms,
                                                      last_open_ms=x.last_ms, count=x.count, source=_SOURCE[x.source])
                            for x in s.series],
                )
                for s in listings
            ],
            exchanges=list(symbols.EXCHANGES),
            timeframes=list(timeframes.TIMEFRAMES),
        )

    async def GetCandles(self, request, context):
        try:
            query = CandlesQuery(
                self._service.resolve(request.symbol, request.exchange or None, _market(request.market_type)),
                request.timeframe, request.limit, request.start_ms, request.end_ms, request.store_only,
            )
            answer = await self._service.get_candles(query)
        except MarketDataError as exc:
            await self._abort(context, exc)
        metrics.CANDLES_SERVED.labels(answer.source.value).inc(len(answer.candles))
        return _answer_to_proto(answer)

    async def StreamCandles(self, request, context):
        try:
            subscriptions = [
                (self._service.resolve(s.symbol, s.exchange or None, _market(s.market_type)),
                 timeframes.parse(s.timeframe))
                for s in request.series
            ]
            async for instrument, tf, answer in self._service.stream(subscriptions):
                update = marketdata_pb2.CandleUpdate(
                    exchange=instrument.exchange, symbol=instrument.symbol,
                    market_type=_MARKET[instrument.market_type], timeframe=tf, source=_SOURCE[answer.source])
                candles_to_proto(answer.candles, update.candles)
                await context.write(update)
                metrics.CANDLES_SERVED.labels(answer.source.value).inc(len(answer.candles))
        except MarketDataError as exc:
            await self._abort(context, exc)
