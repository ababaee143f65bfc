"""Candles for a backtest from the market data service."""

from dataclasses import dataclass, replace

import numpy as np

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2, marketdata_pb2_grpc
from botmoon_backtest.domain.model import Candles
from botmoon_common import request_id
from botmoon_common.timeframes import TIMEFRAMES

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
    gaps: list[dict]  # {first, last, missing}: open times (ms) of the first and last missing candle
    resampled_from: str | None = None

    def window(self, start_ms: int, end_ms: int) -> "CandleSet | None":
        """The candles with open times in [start_ms, end_ms) and the gaps market data reports for that
        range (its definition: runs of missing candles, the range's edges included); None: no candles."""
        times = self.candles.time
        lo, hi = np.searchsorted(times, start_ms), np.searchsorted(times, end_ms)
        if lo >= hi:
            return None
        c = self.candles
        candles = type(c)(time=c.time[lo:hi], open=c.open[lo:hi], high=c.high[lo:hi], low=c.low[lo:hi],
                          close=c.close[lo:hi])
        return replace(self, candles=candles, volume=self.volume[lo:hi],
                       gaps=range_gaps(candles.time, TIMEFRAMES[self.timeframe], start_ms, end_ms))


def range_gaps(times: np.ndarray, step: int, start_ms: int, end_ms: int) -> list[dict]:
    """Runs of missing candles inside [start_ms, end_ms), as market data reports them for a range."""
    found = []
    first = -(-start_ms // step) * step
    if first < times[0]:
        found.append((first, int(times[0]) - step, int((times[0] - first) // step)))
    holes = np.flatnonzero(np.diff(times) > step)
    found += [(int(times[i]) + step, int(times[i + 1]) - step, int((times[i + 1] - times[i]) // step - 1))
              for i in holes]
    last = (end_ms - 1) // step * step
    if last > times[-1]:
        found.append((int(times[-1]) + step, last, int((last - times[-1]) // step)))
    return [{"first": a, "last": b, "missing": n} for a, b, n in found]


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
    gaps = [{"first": g.first_ms, "last": g.last_ms, "missing": g.missing} for g in reply.gaps]
    return CandleSet(candles, np.array(c.volume), reply.symbol, reply.exchange, MARKET_NAMES[reply.market_type],
                     reply.timeframe, SOURCES.get(reply.source, "unknown"), reply.source_detail, gaps,
                     reply.resampled_from or None)
