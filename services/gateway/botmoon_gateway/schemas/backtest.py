"""Bodies of the /api/backtest endpoints, as in the API contract, with the engine's settings."""

import datetime as dt
from typing import Any, Literal

from pydantic import Field, StrictStr, field_validator

from botmoon_gateway.schemas.base import Body, Reply, Timeframe

Direction = Literal["long", "short"]
SymbolType = Literal["CRYPTO_FUTURE", "CRYPTO_SPOT"]
MIN_POINTS = 8


class BacktestConfig(Body):
    """backtest_config: every field has the documented default (docs/backtest-semantics.md)."""

    exchange: Literal["binance", "okx"] = "binance"
    symbol: StrictStr = Field("BTC/USDT:USDT", min_length=3, max_length=40,
                              description="BTC/USDT:USDT (USDT perpetual), BTC/USDT (spot), BTCUSDT_BINANCE, ...")
    timeframe: Timeframe = "1h"
    symbol_type: SymbolType | None = Field(
        None, description="default: what the symbol spells (BTC/USDT spot, BTC/USDT:USDT perpetual; CRYPTO_FUTURE "
                          "for spellings that do not say); one that contradicts the spelling is refused")
    initial_capital: float = Field(10_000.0, gt=0, le=1e12)
    commission_rate: float = Field(0.0005, ge=0, le=0.1)
    limit: int | None = Field(None, ge=10, le=1_000_000,
                              description="number of newest candles (500); with start, at most this many from start")
    start: dt.datetime | None = Field(None, description="first candle time (UTC) of a range")
    end: dt.datetime | None = Field(None, description="candles before this time (UTC); default now")
    enabled_directions: list[Direction] = Field(default_factory=lambda: ["long", "short"], min_length=1)
    max_leverage: float = Field(10.0, ge=1, le=125)
    entry_timing: Literal["signal_price", "next_open"] = "signal_price"
    opposite_signal: Literal["reverse", "close_only", "ignore"] = "reverse"
    both_hit: Literal["sl", "tp"] = "sl"
    max_points: int = Field(2000, ge=MIN_POINTS, le=1_000_000, description="equity curve points (extremes kept)")
    check_lookahead: bool = Field(False, description="re-run on truncated data and flag changed signals")
    risk_free_rate: float = Field(0.0, gt=-1, lt=1, description="annual fraction for sharpe/sortino (0.04 is 4 %)")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end, info):
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError("must be after start")
        return end


class RunBody(Body):
    code: StrictStr
    backtest_config: BacktestConfig = Field(default_factory=BacktestConfig)
    strategy_params: dict[str, Any] = Field(default_factory=dict)


class QuickBody(Body):
    code: StrictStr
    symbol: StrictStr = Field("BTC/USDT:USDT", min_length=3, max_length=40)
    timeframe: Timeframe = "1h"
    exchange: Literal["binance", "okx"] = "binance"


class ExampleResponse(Reply):
    success: bool
    name: str = Field(description="this template's name")
    description: str
    examples: list[str] = Field(description="every template's name, for ?name=")
    code: str
    strategy_params: dict[str, Any]
    backtest_config: dict[str, Any]
