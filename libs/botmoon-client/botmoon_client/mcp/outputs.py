"""The tools' structured outputs: small views of the REST replies, shaped for a chat to read."""

from typing import Any

from pydantic import BaseModel, Field

from botmoon_client import models as m


class Template(BaseModel):
    code: str = Field(description="a complete strategy that passes validation and runs")
    strategy_params: dict[str, Any] = Field(description="its parameters and their defaults")
    backtest_config: dict[str, Any] = Field(description="the default backtest settings")


class Market(BaseModel):
    symbol: str
    name: str
    type: str
    exchange: str
    timeframes: list[str] = Field(description="timeframes with candles")


class Markets(BaseModel):
    exchanges: list[str]
    timeframes: list[str] = Field(description="every timeframe a backtest accepts")
    symbols: list[Market]


class Validation(BaseModel):
    valid: bool
    warnings: list[m.ProblemOut] = Field(description="style and safety notes that do not block the code")


class Execution(BaseModel):
    execution_id: str
    status: str
    output: str = Field(description="stdout")
    stderr: str
    result: Any = Field(None, description="the value of the variable `result`, if the code set one")
    execution_time_ms: int


class Trade(BaseModel):
    side: str | None = None
    entry_time: str | None = None
    entry_price: float | None = None
    exit_time: str | None = None
    exit_price: float | None = None
    exit_reason: str | None = Field(None, description="tp, sl, signal, end or liquidation")
    net_pnl: float | None = None
    return_pct: float | None = None


class TradeSummary(BaseModel):
    count: int
    by_exit_reason: dict[str, int] = Field(description="tp, sl, signal, end, liquidation")
    long: int
    short: int
    first: list[Trade] = Field(description="the first trades (get_backtest has them all)")
    last: list[Trade] = Field(description="the last trades")


class BacktestSummary(BaseModel):
    backtest_id: str = Field(description="get_backtest(backtest_id) returns the full result")
    metrics: dict[str, Any]
    trades: TradeSummary
    config: dict[str, Any] = Field(description="what ran: symbol, exchange, timeframe, data range and points")
    warnings: list[str]


class Deployment(BaseModel):
    algorithm_id: str
    strategy_id: str | None = Field(description="start it with start_strategy; null when the code has no strategy")
    class_name: str | None
    params: dict[str, Any]
    note: str | None = Field(None, description="why no strategy was registered, if none was")
    warnings: list[m.ProblemOut]


class StrategyBrief(BaseModel):
    id: str
    name: str
    class_name: str
    status: str = Field(description="stopped, running or error")
    state: str | None = Field(None, description="what it is doing: waiting, live, stale_data, stopped, error")
    state_reason: str | None = None
    symbols: list[str]
    timeframe: str
    interval_seconds: float
    last_signal: dict[str, Any] | None
    last_error: str | None
    runs: int
    signals: int


class Strategies(BaseModel):
    count: int
    strategies: list[StrategyBrief]


class StrategyChange(BaseModel):
    message: str | None
    strategy: StrategyBrief


class ConsoleOverview(BaseModel):
    summary: dict[str, Any]
    running: list[StrategyBrief]


class Candles(BaseModel):
    symbol: str
    exchange: str
    timeframe: str
    source: str = Field(description="exchange (fetched now), store (fetched earlier) or bundled (shipped)")
    count: int
    gaps: int = Field(description="missing stretches in the range (never filled in)")
    time: list[str] = Field(description="open times, ISO 8601 UTC, oldest first")
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]


def as_dict(value: Any) -> dict[str, Any]:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)


def strategy_brief(s: Any) -> StrategyBrief:
    d = as_dict(s)
    config, counters = d.get("config") or {}, d.get("counters") or {}
    return StrategyBrief(
        id=d["id"], name=d["name"], class_name=d.get("class_name", ""), status=d["status"], state=d.get("state"),
        state_reason=d.get("state_reason"), symbols=config.get("symbols", []), timeframe=config.get("timeframe", ""),
        interval_seconds=config.get("interval_seconds", 0.0), last_signal=d.get("last_signal"),
        last_error=d.get("last_error"), runs=counters.get("runs", 0), signals=counters.get("signals", 0))


def trade_summary(trades: list[dict[str, Any]], shown: int = 5) -> TradeSummary:
    reasons: dict[str, int] = {}
    for t in trades:
        reason = str(t.get("exit_reason", "?"))
        reasons[reason] = reasons.get(reason, 0) + 1
    pick = [Trade(**{k: t.get(k) for k in Trade.model_fields}) for t in trades]
    return TradeSummary(count=len(trades), by_exit_reason=reasons,
                        long=sum(1 for t in trades if t.get("side") == "long"),
                        short=sum(1 for t in trades if t.get("side") == "short"),
                        first=pick[:shown], last=pick[shown:][-shown:])
