"""Bodies of the strategy management and console endpoints, as in the API contract."""

import datetime as dt
from typing import Any

from pydantic import Field, StrictBool, StrictStr

from botmoon_gateway.schemas.base import Body, Reply, Timeframe


class StartBody(Body):
    """The contract's optional start body; what is given replaces the stored configuration."""

    symbols: list[StrictStr] | None = Field(None, description="BTCUSDT_BINANCE or BTC/USDT:USDT spellings")
    price_source: StrictStr | None = Field(None, description="ccxt (the market data service)")
    timeframe: Timeframe | None = None
    interval_seconds: float | None = Field(None, description="how often to look for a newly closed candle")
    webhook_endpoint_ids: list[int] | None = None
    exchange: StrictStr | None = Field(None, max_length=16, description="binance or okx; default from the symbol")


class ConfigBody(StartBody):
    params: dict[str, Any] | None = Field(None, description="passed to the strategy's __init__")
    enabled: StrictBool | None = None
    name: StrictStr | None = Field(None, min_length=1, max_length=200)


class SeriesRef(Reply):
    symbol: str = Field(description="ccxt spelling: BTC/USDT:USDT (USDT perpetual) or BTC/USDT (spot)")
    type: str = Field(description="CRYPTO_FUTURE or CRYPTO_SPOT")
    exchange: str


class StrategyConfig(Reply):
    symbols: list[str]
    series: list[SeriesRef] = Field(default=[], description="the series each of `symbols` resolves to, in order "
                                                           "(the spelling decides the market)")
    price_source: str
    exchange: str
    timeframe: str
    interval_seconds: float
    webhook_endpoint_ids: list[int]


class Counters(Reply):
    runs: int
    signals: int
    errors: int
    consecutive_failures: int


class FreshnessOut(Reply):
    """The newest closed candle of one symbol as the runner last saw it."""

    symbol: str
    timeframe: str
    candle_time: dt.datetime = Field(description="its open time")
    closed_at: dt.datetime
    age_seconds: float = Field(description="how long it had been closed at checked_at")
    max_age_seconds: float = Field(description="GATEWAY_LIVE_MAX_CANDLE_AGE timeframes")
    fresh: bool = Field(description="false: too old to act on; the symbol is not evaluated")
    checked_at: dt.datetime


class StrategyOut(Reply):
    id: str
    name: str
    algorithm_id: str
    class_name: str
    status: str
    enabled: bool
    params: dict[str, Any]
    config: StrategyConfig
    last_candles: dict[str, dt.datetime] = Field(description="newest candle evaluated, per timeframe:symbol")
    last_run_at: dt.datetime | None
    last_signal: dict[str, Any] | None
    last_error: str | None
    counters: Counters
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    runner: str | None = Field(description="while running: the gateway replica that holds its lease and runs it")
    created_at: dt.datetime
    state: str = Field(description="stopped, error, waiting (started, no candle checked yet), live (acting on fresh "
                                   "candles) or stale_data (a symbol's newest closed candle is too old to act on)")
    state_reason: str | None = Field(description="why it is stale_data (which symbol, the candle's age, the limit)")
    freshness: list[FreshnessOut] = Field(description="per symbol, the newest closed candle at the last check")


class StrategyResponse(Reply):
    success: bool
    strategy: StrategyOut
    message: str | None = None
    warnings: list[str] = Field(default_factory=list, description="e.g. a disabled webhook endpoint, skipped")


class StrategyList(Reply):
    success: bool
    count: int
    strategies: list[StrategyOut]


class SignalOut(Reply):
    signal_id: str
    strategy_id: str
    symbol: str
    timeframe: str
    candle_time: dt.datetime
    payload: dict[str, Any]
    created_at: dt.datetime


class SignalList(Reply):
    success: bool
    count: int
    signals: list[SignalOut]


class Summary(Reply):
    total_strategies: int
    running_strategies: int
    enabled_strategies: int
    total_symbols: int
    enabled_symbols: int
    active_streams: int
    ai_executions_count: int
    saved_algorithms_count: int


class StreamOut(Reply):
    exchange: str
    symbol: str
    timeframe: str
    strategy_id: str
    last_candle: dt.datetime
    seconds_since_update: float
    candle_age_seconds: float = Field(description="how long the last candle had been closed when it was read")
    fresh: bool = Field(description="false: too old to act on (the strategy shows stale_data)")


class ExecutionBrief(Reply):
    execution_id: str
    name: str
    status: str
    algorithm_id: str | None
    execution_time_ms: int
    created_at: dt.datetime


class AlgorithmBrief(Reply):
    algorithm_id: str
    name: str
    code_hash: str
    strategy_id: str | None
    created_at: dt.datetime


class ConsoleStatus(Reply):
    success: bool
    timestamp: dt.datetime
    summary: Summary
    strategies: list[StrategyOut]
    ai_executions: list[ExecutionBrief]
    streams: list[StreamOut]
    saved_algorithms: list[AlgorithmBrief]


class SummaryResponse(Reply):
    success: bool
    timestamp: dt.datetime
    summary: Summary


class RunningResponse(Reply):
    success: bool
    timestamp: dt.datetime
    count: int
    strategies: list[StrategyOut]
