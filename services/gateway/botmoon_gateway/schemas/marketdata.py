"""Bodies of GET /api/backtest/symbols and GET /api/marketdata/candles."""

import datetime as dt
from typing import Literal

from pydantic import Field

from botmoon_gateway.schemas.base import Reply

MarketType = Literal["CRYPTO_SPOT", "CRYPTO_FUTURE"]
Source = Literal["exchange", "store", "bundled"]


class SeriesOut(Reply):
    timeframe: str
    first: dt.datetime
    last: dt.datetime
    count: int
    source: Source


class SymbolOut(Reply):
    symbol: str = Field(description="ccxt spelling: BTC/USDT:USDT (USDT perpetual) or BTC/USDT (spot)")
    name: str
    type: MarketType
    exchange: str
    timeframes: list[str] = Field(description="the timeframes every endpoint runs for this symbol: stored, or "
                                              "resampled from a stored lower one")
    data: list[SeriesOut] = Field(description="the stored series: range, count and where they came from")


class SymbolsResponse(Reply):
    success: bool
    symbols: list[SymbolOut]
    exchanges: list[str]
    timeframes: list[str]


class GapOut(Reply):
    first: dt.datetime = Field(description="open time of the first missing candle")
    last: dt.datetime = Field(description="open time of the last missing candle")
    missing: int


class CandleColumns(Reply):
    """One list per field; row i of every list is one candle, ascending."""

    time: list[str] = Field(description="open time, ISO 8601 UTC (2026-02-19T17:00:00Z)")
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]


class CandlesResponse(Reply):
    success: bool
    exchange: str
    symbol: str
    type: MarketType
    timeframe: str
    source: Source = Field(description="exchange: fetched now; store: fetched earlier; bundled: shipped with Botmoon")
    source_detail: str
    count: int
    first: dt.datetime | None
    last: dt.datetime | None
    gaps: list[GapOut]
    resampled_from: str | None
    candles: CandleColumns
