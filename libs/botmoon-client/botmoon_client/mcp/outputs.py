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


class SweepStarted(BaseModel):
    sweep_id: str = Field(description="read it with get_sweep(sweep_id)")
    status: str = Field(description="queued: the backtest nodes start on it at once")
    total: int = Field(description="backtests the sweep runs (with walk-forward: in- and out-of-sample runs)")
    combinations: int = Field(description="parameter combinations")
    windows: int | None = Field(description="walk-forward windows; null without walk-forward")
    objective: str
    maximize: bool
    next_step: str = Field(description="what to do now")


class WalkForwardView(BaseModel):
    windows: list[m.WindowResult] = Field(description="per window: the in-sample best parameters and their "
                                                      "in-sample and out-of-sample results")
    out_of_sample_metrics: dict[str, float | None] = Field(description="of the stitched out-of-sample equity")
    stability: dict[str, Any] = Field(description="per parameter: how consistently the windows chose it")
    overfitting: dict[str, Any] = Field(description="in-sample vs out-of-sample objective; warning=true means the "
                                                    "in-sample results do not hold on unseen data")
    stitched_equity_curve: list[dict[str, Any]] | None = Field(
        None, description="the out-of-sample equity joined across windows (only when asked for)")


class SweepView(BaseModel):
    sweep_id: str
    status: str = Field(description="queued, running, completed, failed or cancelled")
    progress: m.SweepProgress
    objective: str
    maximize: bool = Field(description="true: larger objective values rank first")
    best: m.ResultRow | None = Field(description="the best combination so far (passing the constraints first)")
    results: list[m.ResultRow] = Field(description="the ranked table, best first; combination_id reads a row's "
                                                   "full backtest with get_sweep_result")
    walk_forward: WalkForwardView | None
    error: str | None
    next_step: str = Field(description="what to do now: poll again (and when), or read the results")


def next_step(status: str, eta_s: float | None) -> str:
    """Polling advice for a chat: how long to wait before asking again, or what the results are for."""
    if status in ("queued", "running"):
        wait = 5 if eta_s is None else max(2, min(30, round(eta_s / 3)))
        return f"still {status}: call get_sweep again in about {wait} seconds (results so far are partial)"
    if status == "completed":
        return ("done: compare the top rows, check walk_forward.overfitting when present, and backtest the best "
                "parameters with run_backtest (or read get_sweep_result) before deploying")
    return f"{status}: see error; the rows finished before it stopped are in results"


def sweep_view(sweep: Any, include_equity_curve: bool = False) -> SweepView:
    wf = sweep.walk_forward
    view = None if wf is None else WalkForwardView(
        windows=wf.windows, out_of_sample_metrics=wf.out_of_sample_metrics,
        stability={k: as_dict(v) for k, v in wf.stability.items()}, overfitting=as_dict(wf.overfitting),
        stitched_equity_curve=[as_dict(p) for p in wf.stitched_equity_curve] if include_equity_curve else None)
    return SweepView(sweep_id=sweep.sweep_id, status=sweep.status, progress=sweep.progress,
                     objective=sweep.objective, maximize=sweep.maximize, best=sweep.best, results=sweep.results,
                     walk_forward=view, error=sweep.error, next_step=next_step(sweep.status, sweep.progress.eta_s))
