from botmoon.common.v1 import candles_pb2 as _candles_pb2
from botmoon.sandbox.v1 import sandbox_pb2 as _sandbox_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BacktestConfig(_message.Message):
    __slots__ = ("exchange", "symbol", "timeframe", "symbol_type", "initial_capital", "commission_rate", "limit", "limit_null", "enabled_directions", "max_leverage", "entry_timing", "opposite_signal", "both_hit", "max_points", "check_lookahead", "risk_free_rate", "start_ms", "end_ms")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIAL_CAPITAL_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_RATE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_NULL_FIELD_NUMBER: _ClassVar[int]
    ENABLED_DIRECTIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_LEVERAGE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_TIMING_FIELD_NUMBER: _ClassVar[int]
    OPPOSITE_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    BOTH_HIT_FIELD_NUMBER: _ClassVar[int]
    MAX_POINTS_FIELD_NUMBER: _ClassVar[int]
    CHECK_LOOKAHEAD_FIELD_NUMBER: _ClassVar[int]
    RISK_FREE_RATE_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    timeframe: str
    symbol_type: str
    initial_capital: float
    commission_rate: float
    limit: int
    limit_null: bool
    enabled_directions: _containers.RepeatedScalarFieldContainer[str]
    max_leverage: float
    entry_timing: str
    opposite_signal: str
    both_hit: str
    max_points: int
    check_lookahead: bool
    risk_free_rate: float
    start_ms: int
    end_ms: int
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., symbol_type: _Optional[str] = ..., initial_capital: _Optional[float] = ..., commission_rate: _Optional[float] = ..., limit: _Optional[int] = ..., limit_null: _Optional[bool] = ..., enabled_directions: _Optional[_Iterable[str]] = ..., max_leverage: _Optional[float] = ..., entry_timing: _Optional[str] = ..., opposite_signal: _Optional[str] = ..., both_hit: _Optional[str] = ..., max_points: _Optional[int] = ..., check_lookahead: _Optional[bool] = ..., risk_free_rate: _Optional[float] = ..., start_ms: _Optional[int] = ..., end_ms: _Optional[int] = ...) -> None: ...

class SeriesUsed(_message.Message):
    __slots__ = ("data_points", "data_start_ms", "data_end_ms", "source", "source_detail", "resampled_from", "gaps")
    DATA_POINTS_FIELD_NUMBER: _ClassVar[int]
    DATA_START_MS_FIELD_NUMBER: _ClassVar[int]
    DATA_END_MS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_DETAIL_FIELD_NUMBER: _ClassVar[int]
    RESAMPLED_FROM_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    data_points: int
    data_start_ms: int
    data_end_ms: int
    source: str
    source_detail: str
    resampled_from: str
    gaps: _containers.RepeatedCompositeFieldContainer[_candles_pb2.Gap]
    def __init__(self, data_points: _Optional[int] = ..., data_start_ms: _Optional[int] = ..., data_end_ms: _Optional[int] = ..., source: _Optional[str] = ..., source_detail: _Optional[str] = ..., resampled_from: _Optional[str] = ..., gaps: _Optional[_Iterable[_Union[_candles_pb2.Gap, _Mapping]]] = ...) -> None: ...

class ConfigUsed(_message.Message):
    __slots__ = ("config", "series")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SERIES_FIELD_NUMBER: _ClassVar[int]
    config: BacktestConfig
    series: SeriesUsed
    def __init__(self, config: _Optional[_Union[BacktestConfig, _Mapping]] = ..., series: _Optional[_Union[SeriesUsed, _Mapping]] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("value", "null_reason")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NULL_REASON_FIELD_NUMBER: _ClassVar[int]
    value: float
    null_reason: str
    def __init__(self, value: _Optional[float] = ..., null_reason: _Optional[str] = ...) -> None: ...

class Metrics(_message.Message):
    __slots__ = ("initial_capital", "final_equity", "total_return", "total_return_pct", "cagr", "max_drawdown", "longest_drawdown_bars", "longest_drawdown_hours", "total_trades", "winning_trades", "losing_trades", "breakeven_trades", "long_trades", "short_trades", "win_rate", "profit_factor", "avg_trade", "avg_win", "avg_loss", "expectancy", "best_trade", "worst_trade", "best_trade_pct", "worst_trade_pct", "avg_trade_duration_hours", "sqn", "sharpe_ratio", "sortino_ratio", "calmar_ratio", "exposure_pct", "fees_paid", "buy_and_hold_return_pct")
    INITIAL_CAPITAL_FIELD_NUMBER: _ClassVar[int]
    FINAL_EQUITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RETURN_PCT_FIELD_NUMBER: _ClassVar[int]
    CAGR_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    LONGEST_DRAWDOWN_BARS_FIELD_NUMBER: _ClassVar[int]
    LONGEST_DRAWDOWN_HOURS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TRADES_FIELD_NUMBER: _ClassVar[int]
    WINNING_TRADES_FIELD_NUMBER: _ClassVar[int]
    LOSING_TRADES_FIELD_NUMBER: _ClassVar[int]
    BREAKEVEN_TRADES_FIELD_NUMBER: _ClassVar[int]
    LONG_TRADES_FIELD_NUMBER: _ClassVar[int]
    SHORT_TRADES_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    PROFIT_FACTOR_FIELD_NUMBER: _ClassVar[int]
    AVG_TRADE_FIELD_NUMBER: _ClassVar[int]
    AVG_WIN_FIELD_NUMBER: _ClassVar[int]
    AVG_LOSS_FIELD_NUMBER: _ClassVar[int]
    EXPECTANCY_FIELD_NUMBER: _ClassVar[int]
    BEST_TRADE_FIELD_NUMBER: _ClassVar[int]
    WORST_TRADE_FIELD_NUMBER: _ClassVar[int]
    BEST_TRADE_PCT_FIELD_NUMBER: _ClassVar[int]
    WORST_TRADE_PCT_FIELD_NUMBER: _ClassVar[int]
    AVG_TRADE_DURATION_HOURS_FIELD_NUMBER: _ClassVar[int]
    SQN_FIELD_NUMBER: _ClassVar[int]
    SHARPE_RATIO_FIELD_NUMBER: _ClassVar[int]
    SORTINO_RATIO_FIELD_NUMBER: _ClassVar[int]
    CALMAR_RATIO_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_PCT_FIELD_NUMBER: _ClassVar[int]
    FEES_PAID_FIELD_NUMBER: _ClassVar[int]
    BUY_AND_HOLD_RETURN_PCT_FIELD_NUMBER: _ClassVar[int]
    initial_capital: Metric
    final_equity: Metric
    total_return: Metric
    total_return_pct: Metric
    cagr: Metric
    max_drawdown: Metric
    longest_drawdown_bars: int
    longest_drawdown_hours: Metric
    total_trades: int
    winning_trades: int
    losing_trades: int
    breakeven_trades: int
    long_trades: int
    short_trades: int
    win_rate: Metric
    profit_factor: Metric
    avg_trade: Metric
    avg_win: Metric
    avg_loss: Metric
    expectancy: Metric
    best_trade: Metric
    worst_trade: Metric
    best_trade_pct: Metric
    worst_trade_pct: Metric
    avg_trade_duration_hours: Metric
    sqn: Metric
    sharpe_ratio: Metric
    sortino_ratio: Metric
    calmar_ratio: Metric
    exposure_pct: Metric
    fees_paid: Metric
    buy_and_hold_return_pct: Metric
    def __init__(self, initial_capital: _Optional[_Union[Metric, _Mapping]] = ..., final_equity: _Optional[_Union[Metric, _Mapping]] = ..., total_return: _Optional[_Union[Metric, _Mapping]] = ..., total_return_pct: _Optional[_Union[Metric, _Mapping]] = ..., cagr: _Optional[_Union[Metric, _Mapping]] = ..., max_drawdown: _Optional[_Union[Metric, _Mapping]] = ..., longest_drawdown_bars: _Optional[int] = ..., longest_drawdown_hours: _Optional[_Union[Metric, _Mapping]] = ..., total_trades: _Optional[int] = ..., winning_trades: _Optional[int] = ..., losing_trades: _Optional[int] = ..., breakeven_trades: _Optional[int] = ..., long_trades: _Optional[int] = ..., short_trades: _Optional[int] = ..., win_rate: _Optional[_Union[Metric, _Mapping]] = ..., profit_factor: _Optional[_Union[Metric, _Mapping]] = ..., avg_trade: _Optional[_Union[Metric, _Mapping]] = ..., avg_win: _Optional[_Union[Metric, _Mapping]] = ..., avg_loss: _Optional[_Union[Metric, _Mapping]] = ..., expectancy: _Optional[_Union[Metric, _Mapping]] = ..., best_trade: _Optional[_Union[Metric, _Mapping]] = ..., worst_trade: _Optional[_Union[Metric, _Mapping]] = ..., best_trade_pct: _Optional[_Union[Metric, _Mapping]] = ..., worst_trade_pct: _Optional[_Union[Metric, _Mapping]] = ..., avg_trade_duration_hours: _Optional[_Union[Metric, _Mapping]] = ..., sqn: _Optional[_Union[Metric, _Mapping]] = ..., sharpe_ratio: _Optional[_Union[Metric, _Mapping]] = ..., sortino_ratio: _Optional[_Union[Metric, _Mapping]] = ..., calmar_ratio: _Optional[_Union[Metric, _Mapping]] = ..., exposure_pct: _Optional[_Union[Metric, _Mapping]] = ..., fees_paid: _Optional[_Union[Metric, _Mapping]] = ..., buy_and_hold_return_pct: _Optional[_Union[Metric, _Mapping]] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("side", "entry_time_ms", "exit_time_ms", "entry_price", "exit_price", "size", "exit_reason", "gross_pnl", "fees", "net_pnl", "return_pct", "size_capped", "requested_size", "note", "entry_bar", "exit_bar")
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EXIT_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    EXIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    EXIT_REASON_FIELD_NUMBER: _ClassVar[int]
    GROSS_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    NET_PNL_FIELD_NUMBER: _ClassVar[int]
    RETURN_PCT_FIELD_NUMBER: _ClassVar[int]
    SIZE_CAPPED_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_SIZE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_BAR_FIELD_NUMBER: _ClassVar[int]
    EXIT_BAR_FIELD_NUMBER: _ClassVar[int]
    side: str
    entry_time_ms: int
    exit_time_ms: int
    entry_price: float
    exit_price: float
    size: float
    exit_reason: str
    gross_pnl: float
    fees: float
    net_pnl: float
    return_pct: float
    size_capped: bool
    requested_size: float
    note: str
    entry_bar: int
    exit_bar: int
    def __init__(self, side: _Optional[str] = ..., entry_time_ms: _Optional[int] = ..., exit_time_ms: _Optional[int] = ..., entry_price: _Optional[float] = ..., exit_price: _Optional[float] = ..., size: _Optional[float] = ..., exit_reason: _Optional[str] = ..., gross_pnl: _Optional[float] = ..., fees: _Optional[float] = ..., net_pnl: _Optional[float] = ..., return_pct: _Optional[float] = ..., size_capped: _Optional[bool] = ..., requested_size: _Optional[float] = ..., note: _Optional[str] = ..., entry_bar: _Optional[int] = ..., exit_bar: _Optional[int] = ...) -> None: ...

class EquityPoint(_message.Message):
    __slots__ = ("time_ms", "equity", "drawdown_pct")
    TIME_MS_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_PCT_FIELD_NUMBER: _ClassVar[int]
    time_ms: int
    equity: float
    drawdown_pct: float
    def __init__(self, time_ms: _Optional[int] = ..., equity: _Optional[float] = ..., drawdown_pct: _Optional[float] = ...) -> None: ...

class SignalStats(_message.Message):
    __slots__ = ("total", "dropped", "entered", "closed_position", "disabled_direction", "skipped_size", "ignored")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    ENTERED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_POSITION_FIELD_NUMBER: _ClassVar[int]
    DISABLED_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_SIZE_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FIELD_NUMBER: _ClassVar[int]
    total: int
    dropped: int
    entered: int
    closed_position: int
    disabled_direction: int
    skipped_size: int
    ignored: int
    def __init__(self, total: _Optional[int] = ..., dropped: _Optional[int] = ..., entered: _Optional[int] = ..., closed_position: _Optional[int] = ..., disabled_direction: _Optional[int] = ..., skipped_size: _Optional[int] = ..., ignored: _Optional[int] = ...) -> None: ...

class StrategyInfo(_message.Message):
    __slots__ = ("class_name", "output")
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    class_name: str
    output: str
    def __init__(self, class_name: _Optional[str] = ..., output: _Optional[str] = ...) -> None: ...

class SuspiciousSignal(_message.Message):
    __slots__ = ("time_ms", "type", "change", "data_until_ms")
    TIME_MS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    DATA_UNTIL_MS_FIELD_NUMBER: _ClassVar[int]
    time_ms: int
    type: str
    change: str
    data_until_ms: int
    def __init__(self, time_ms: _Optional[int] = ..., type: _Optional[str] = ..., change: _Optional[str] = ..., data_until_ms: _Optional[int] = ...) -> None: ...

class Lookahead(_message.Message):
    __slots__ = ("checked_cuts", "suspicious", "clean")
    CHECKED_CUTS_FIELD_NUMBER: _ClassVar[int]
    SUSPICIOUS_FIELD_NUMBER: _ClassVar[int]
    CLEAN_FIELD_NUMBER: _ClassVar[int]
    checked_cuts: int
    suspicious: _containers.RepeatedCompositeFieldContainer[SuspiciousSignal]
    clean: bool
    def __init__(self, checked_cuts: _Optional[int] = ..., suspicious: _Optional[_Iterable[_Union[SuspiciousSignal, _Mapping]]] = ..., clean: _Optional[bool] = ...) -> None: ...

class StrategyError(_message.Message):
    __slots__ = ("type", "message", "traceback", "line")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    type: str
    message: str
    traceback: str
    line: int
    def __init__(self, type: _Optional[str] = ..., message: _Optional[str] = ..., traceback: _Optional[str] = ..., line: _Optional[int] = ...) -> None: ...

class RunResult(_message.Message):
    __slots__ = ("success", "status", "metrics", "trades", "equity_curve", "config", "signals", "strategy", "warnings", "lookahead", "error", "problems", "duration_ms", "node", "request_id")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    EQUITY_CURVE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    LOOKAHEAD_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    DURATION_MS_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    success: bool
    status: str
    metrics: Metrics
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    equity_curve: _containers.RepeatedCompositeFieldContainer[EquityPoint]
    config: ConfigUsed
    signals: SignalStats
    strategy: StrategyInfo
    warnings: _containers.RepeatedScalarFieldContainer[str]
    lookahead: Lookahead
    error: StrategyError
    problems: _containers.RepeatedCompositeFieldContainer[_sandbox_pb2.Problem]
    duration_ms: float
    node: str
    request_id: str
    def __init__(self, success: _Optional[bool] = ..., status: _Optional[str] = ..., metrics: _Optional[_Union[Metrics, _Mapping]] = ..., trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., equity_curve: _Optional[_Iterable[_Union[EquityPoint, _Mapping]]] = ..., config: _Optional[_Union[ConfigUsed, _Mapping]] = ..., signals: _Optional[_Union[SignalStats, _Mapping]] = ..., strategy: _Optional[_Union[StrategyInfo, _Mapping]] = ..., warnings: _Optional[_Iterable[str]] = ..., lookahead: _Optional[_Union[Lookahead, _Mapping]] = ..., error: _Optional[_Union[StrategyError, _Mapping]] = ..., problems: _Optional[_Iterable[_Union[_sandbox_pb2.Problem, _Mapping]]] = ..., duration_ms: _Optional[float] = ..., node: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RunRequest(_message.Message):
    __slots__ = ("code", "config", "params_json")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    code: str
    config: BacktestConfig
    params_json: str
    def __init__(self, code: _Optional[str] = ..., config: _Optional[_Union[BacktestConfig, _Mapping]] = ..., params_json: _Optional[str] = ...) -> None: ...

class RunResponse(_message.Message):
    __slots__ = ("success", "node", "result")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    success: bool
    node: str
    result: RunResult
    def __init__(self, success: _Optional[bool] = ..., node: _Optional[str] = ..., result: _Optional[_Union[RunResult, _Mapping]] = ...) -> None: ...

class ChunkItem(_message.Message):
    __slots__ = ("index", "params_json", "start_ms", "end_ms")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    index: int
    params_json: str
    start_ms: int
    end_ms: int
    def __init__(self, index: _Optional[int] = ..., params_json: _Optional[str] = ..., start_ms: _Optional[int] = ..., end_ms: _Optional[int] = ...) -> None: ...

class ChunkRequest(_message.Message):
    __slots__ = ("code", "config", "items")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    code: str
    config: BacktestConfig
    items: _containers.RepeatedCompositeFieldContainer[ChunkItem]
    def __init__(self, code: _Optional[str] = ..., config: _Optional[_Union[BacktestConfig, _Mapping]] = ..., items: _Optional[_Iterable[_Union[ChunkItem, _Mapping]]] = ...) -> None: ...

class ChunkItemResult(_message.Message):
    __slots__ = ("index", "result")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    index: int
    result: RunResult
    def __init__(self, index: _Optional[int] = ..., result: _Optional[_Union[RunResult, _Mapping]] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ("valid", "errors", "warnings", "parameter_names", "accepts_any_parameter")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_NAMES_FIELD_NUMBER: _ClassVar[int]
    ACCEPTS_ANY_PARAMETER_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedCompositeFieldContainer[_sandbox_pb2.Problem]
    warnings: _containers.RepeatedCompositeFieldContainer[_sandbox_pb2.Problem]
    parameter_names: _containers.RepeatedScalarFieldContainer[str]
    accepts_any_parameter: bool
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[_sandbox_pb2.Problem, _Mapping]]] = ..., warnings: _Optional[_Iterable[_Union[_sandbox_pb2.Problem, _Mapping]]] = ..., parameter_names: _Optional[_Iterable[str]] = ..., accepts_any_parameter: _Optional[bool] = ...) -> None: ...

class ExampleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ExampleResponse(_message.Message):
    __slots__ = ("code", "params_json", "name", "description", "names")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    code: str
    params_json: str
    name: str
    description: str
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., params_json: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...
