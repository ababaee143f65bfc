"""Symbols with candles available, and candles for charts and clients, from the market data service."""

import datetime as dt

import grpc
import numpy as np
from fastapi import APIRouter, Query

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_gateway.api.deps import BackendsDep
from botmoon_gateway.api.no_data import no_data_is_404
from botmoon_gateway.errors import FieldError
from botmoon_gateway.schemas.base import Timeframe
from botmoon_gateway.schemas.marketdata import (
    CandleColumns,
    CandlesResponse,
    GapOut,
    SeriesOut,
    SymbolOut,
    SymbolsResponse,
)

router = APIRouter(tags=["market data"])

_SOURCE = {candles_pb2.CANDLE_SOURCE_EXCHANGE: "exchange", candles_pb2.CANDLE_SOURCE_STORE: "store",
           candles_pb2.CANDLE_SOURCE_BUNDLED: "bundled"}
_TYPE = {candles_pb2.MARKET_TYPE_CRYPTO_SPOT: "CRYPTO_SPOT", candles_pb2.MARKET_TYPE_CRYPTO_FUTURE: "CRYPTO_FUTURE"}
_TYPE_IN = {"CRYPTO_SPOT": candles_pb2.MARKET_TYPE_CRYPTO_SPOT, "SPOT": candles_pb2.MARKET_TYPE_CRYPTO_SPOT,
            **dict.fromkeys(("CRYPTO_FUTURE", "CRYPTO_FUTURES", "FUTURE", "FUTURES"),
                            candles_pb2.MARKET_TYPE_CRYPTO_FUTURE)}


def _time(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _ms(field: str, value: str | None) -> int:
    """UTC ms from epoch milliseconds or an ISO 8601 date/time (UTC when no offset is given)."""
    if not value:
        return 0
    if value.isdigit():
        return int(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(field, "is neither epoch milliseconds nor an ISO 8601 date/time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return int(parsed.timestamp() * 1000)


_FIELDS = {"timeframe": "timeframe", "exchange": "exchange", "market type": "type", "limit": "limit",
           "end_ms": "end", "start_ms": "start", "symbol": "symbol"}


def _field_of(details: str) -> str:
    """The query parameter a service error is about: the one its message names first."""
    lowered = details.lower()
    found = [(lowered.find(word), field) for word, field in _FIELDS.items() if word in lowered]
    return min(found)[1] if found else "symbol"


@router.get("/api/backtest/symbols", response_model=SymbolsResponse)
async def symbols(backends: BackendsDep, exchange: str | None = Query(None, description="only this exchange")):
    """Symbols with real candles, each with the timeframes a backtest, the candles endpoint and a strategy will
    run on (stored, or resampled from a stored lower one); `timeframes` is their union."""
    try:
        reply = await backends.marketdata.ListSymbols(marketdata_pb2.ListSymbolsRequest(exchange=exchange or ""),
                                                      **backends.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise FieldError("exchange", exc.details() or "invalid") from exc
        raise
    available = {tf for s in reply.symbols for tf in s.timeframes}
    return SymbolsResponse(
        success=True,
        symbols=[
            SymbolOut(symbol=s.symbol, name=s.name, type=_TYPE[s.market_type], exchange=s.exchange,
                      timeframes=list(s.timeframes),
                      data=[SeriesOut(timeframe=x.timeframe, first=_time(x.first_open_ms), last=_time(x.last_open_ms),
                                      count=x.count, source=_SOURCE[x.source]) for x in s.series])
            for s in reply.symbols
        ],
        exchanges=list(reply.exchanges),
        timeframes=[tf for tf in reply.timeframes if tf in available],
    )


@router.get("/api/marketdata/candles", response_model=CandlesResponse)
async def candles(
    backends: BackendsDep,
    symbol: str = Query(..., min_length=1, max_length=64,
                        description="BTC/USDT:USDT (USDT perpetual), BTC/USDT (spot), BTCUSDT, BTCUSDT_BINANCE or "
                                    "BTC-USDT-SWAP; the spelling decides the market where it says one"),
    timeframe: Timeframe = Query("1h"),
    exchange: str = Query("", max_length=16, description="binance or okx; default from the symbol, else binance"),
    market_type: str = Query("", max_length=16, description="CRYPTO_SPOT or CRYPTO_FUTURE, for spellings that do "
                                                            "not say (BTCUSDT: CRYPTO_FUTURE); must agree with one "
                                                            "that does"),
    type: str = Query("", max_length=16, description="the same as market_type"),  # noqa: A002
    limit: int = Query(0, ge=0, le=1_000_000, description="newest N closed candles (500 when neither limit nor start)"),
    start: str | None = Query(None, description="first open time: epoch ms or ISO 8601 (UTC)"),
    end: str | None = Query(None, description="open times before this: epoch ms or ISO 8601 (UTC); default now"),
    store_only: bool = Query(False, description="answer from stored and bundled candles only"),
):
    """Candles of one series with where they came from (`source`) and any gaps, never filled in. The reply
    names the series used (`symbol`, `type`, `exchange`, `timeframe`); no candles is a 404 saying why."""
    field, wanted = ("type", type) if type else ("market_type", market_type)
    if type and market_type and type.upper() != market_type.upper():
        raise FieldError("type", f"{type!r} contradicts market_type {market_type!r}; give one of them")
    market = candles_pb2.MARKET_TYPE_UNSPECIFIED
    if wanted:
        if wanted.upper() not in _TYPE_IN:
            raise FieldError(field, "must be CRYPTO_SPOT or CRYPTO_FUTURE")
        market = _TYPE_IN[wanted.upper()]
    request = marketdata_pb2.GetCandlesRequest(
        exchange=exchange, symbol=symbol, market_type=market, timeframe=timeframe, limit=limit,
        start_ms=_ms("start", start), end_ms=_ms("end", end), store_only=store_only)
    try:
        with no_data_is_404():
            reply = await backends.marketdata.GetCandles(request, **backends.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.OUT_OF_RANGE):
            details = exc.details() or "invalid"
            name = _field_of(details)
            raise FieldError(field if name == "type" else name, details) from exc
        raise
    c = reply.candles
    count = len(c.open_time_ms)
    return CandlesResponse(
        success=True, exchange=reply.exchange, symbol=reply.symbol, type=_TYPE[reply.market_type],
        timeframe=reply.timeframe, source=_SOURCE[reply.source], source_detail=reply.source_detail, count=count,
        first=_time(reply.first_open_ms) if count else None, last=_time(reply.last_open_ms) if count else None,
        gaps=[GapOut(first=_time(g.first_ms), last=_time(g.last_ms), missing=g.missing) for g in reply.gaps],
        resampled_from=reply.resampled_from or None,
        candles=CandleColumns(time=iso_column(np.array(c.open_time_ms, dtype=np.int64)), open=list(c.open),
                              high=list(c.high), low=list(c.low), close=list(c.close), volume=list(c.volume)),
    )


def iso_column(ms: np.ndarray) -> list[str]:
    """Open times (epoch ms) as the API's time strings, at numpy's speed (a year of 1m candles in ~0.2 s)."""
    unit = "s" if not (ms % 1000).any() else "ms"
    return [f"{t}Z" for t in np.datetime_as_string(ms.astype("datetime64[ms]"), unit=unit)]
