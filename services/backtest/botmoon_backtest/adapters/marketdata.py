"""Candles for a backtest from the market data service."""

from dataclasses import dataclass

import numpy as np

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2, marketdata_pb2_grpc
from botmoon_backtest.domain.model import Candles
from botmoon_common import request_id
from botmoon_common.timefmt import iso

MARKET_TYPES = {"CRYPTO_SPOT": candles_pb2.MARKET_TYPE_CRYPTO_SPOT,
                "CRYPTO_FUTURE": candles_pb2.MARKET_TYPE_CRYPTO_FUTURE}
MARKET_NAMES = {v: k for k, v in MARKET_TYPES.items()}
SOURCES = {v: k.removeprefix("CANDLE_SOURCE_").lower() for k, v in candles_pb2.CandleSource.items()}


@dataclass(frozen=True)
class CandleSet:
    candles: Candles
    volume: np.ndarray
    symbol: str
    exchange: str
    symbol_type: str
    timeframe: str
    source: str
    source_detail: str
    gaps: list[dict]
    resampled_from: str | None = None


async def fetch_candles(stub: marketdata_pb2_grpc.MarketDataServiceStub, *, exchange: str, symbol: str,
                        symbol_type: str | None, timeframe: str, limit: int | None, start_ms: int = 0,
                        end_ms: int = 0, timeout_s: float) -> CandleSet:
    """The series market data resolves the request to (symbol_type None: the spelling decides)."""
    market_type = MARKET_TYPES[symbol_type] if symbol_type else candles_pb2.MARKET_TYPE_UNSPECIFIED
    reply = await stub.GetCandles(
        marketdata_pb2.GetCandlesRequest(exchange=exchange, symbol=symbol, market_type=market_type,
                                         timeframe=timeframe, limit=limit or 0, start_ms=start_ms, end_ms=end_ms),
        timeout=timeout_s, metadata=request_id.outgoing_metadata(),
    )
    c = reply.candles
    candles = Candles.from_arrays(np.array(c.open_time_ms, dtype=np.int64), np.array(c.open), np.array(c.high),
                                  np.array(c.low), np.array(c.close))
    gaps = [{"first": iso(g.first_ms), "last": iso(g.last_ms), "missing": g.missing} for g in reply.gaps]
    return CandleSet(candles, np.array(c.volume), reply.symbol, reply.exchange, MARKET_NAMES[reply.market_type],
                     reply.timeframe, SOURCES.get(reply.source, "unknown"), reply.source_detail, gaps,
                     reply.resampled_from or None)
