"""One request builder per REST operation, shared by the sync and the async client.

Each builder turns typed arguments into a `Call` (operation id, method, path, query, body, reply model) and
does no I/O; `Botmoon` and `AsyncBotmoon` send it. `OPERATIONS` maps every operation id of the gateway's
OpenAPI to its builder (a test fails when an operation has none).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from botmoon_client import models as m

T = TypeVar("T")

BACKTEST_TIMEOUT_S = 660.0  # the gateway's own deadline for one backtest is 600 s


@dataclass(frozen=True)
class Call(Generic[T]):
    operation: str
    method: str
    path: str
    model: Any
    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    timeout: float | None = None
    ok_statuses: tuple[int, ...] = ()  # error statuses that are answers here (e.g. /ready's 503)


OPERATIONS: dict[str, Callable[..., Call]] = {}
ROUTES: dict[str, tuple[str, str]] = {}


def operation(operation_id: str, method: str, path: str):
    """Registers a builder as the client's method for one OpenAPI operation."""
    def register(fn):
        OPERATIONS[operation_id] = fn
        ROUTES[operation_id] = (method, path)
        fn.operation_id = operation_id
        return fn
    return register


def _body(value: BaseModel | Mapping[str, Any] | None) -> Any:
    """Models as the JSON the server reads (only the fields that were set); mappings as they are."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    return dict(value)


def _query(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _id(value: str | int) -> str:
    return quote(str(value), safe="")


# Health


@operation("getHealth", "GET", "/health")
def get_health() -> Call[dict[str, Any]]:
    """The gateway process is up."""
    return Call("getHealth", "GET", "/health", dict[str, Any])


@operation("getReadiness", "GET", "/ready")
def get_readiness() -> Call[dict[str, Any]]:
    """Readiness with each backend's state (answers even when not ready)."""
    return Call("getReadiness", "GET", "/ready", dict[str, Any], ok_statuses=(503,))


# AI code


@operation("validateCode", "POST", "/api/ai/validate")
def validate_code(code: str) -> Call[m.ValidateResponse]:
    """Check code without running it: blocked imports, calls and attributes, syntax, style warnings."""
    return Call("validateCode", "POST", "/api/ai/validate", m.ValidateResponse, json={"code": code})


@operation("executeCode", "POST", "/api/ai/execute")
def execute_code(code: str, name: str | None = None) -> Call[m.ExecuteResponse]:
    """Run code now in a fresh sandbox container: stdout, stderr and the variable `result`."""
    return Call("executeCode", "POST", "/api/ai/execute", m.ExecuteResponse, json=_query(code=code, name=name))


@operation("deployCode", "POST", "/api/ai/deploy")
def deploy_code(code: str, name: str | None = None, auto_run: bool | None = None, return_result: bool | None = None,
                strategy_class: str | None = None) -> Call[m.DeployResponse]:
    """Validate and save code as an algorithm (a strategy class becomes a strategy); optionally run it."""
    return Call("deployCode", "POST", "/api/ai/deploy", m.DeployResponse,
                json=_query(code=code, name=name, auto_run=auto_run, return_result=return_result,
                            strategy_class=strategy_class))


@operation("listExecutions", "GET", "/api/ai/executions")
def list_executions(limit: int | None = None) -> Call[m.ExecutionList]:
    """Execution history, newest first."""
    return Call("listExecutions", "GET", "/api/ai/executions", m.ExecutionList, params=_query(limit=limit))


@operation("getExecution", "GET", "/api/ai/executions/{execution_id}")
def get_execution(execution_id: str) -> Call[m.ExecuteResponse]:
    """One execution by id."""
    return Call("getExecution", "GET", f"/api/ai/executions/{_id(execution_id)}", m.ExecuteResponse)


# Backtests


@operation("runBacktest", "POST", "/api/backtest/run")
def run_backtest(code: str, config: m.BacktestConfig | Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None) -> Call[m.BacktestResult]:
    """Backtest strategy code: metrics, trades, equity_curve, config and warnings, under `backtest_id`."""
    body = _query(code=code, backtest_config=_body(config), strategy_params=_body(params))
    return Call("runBacktest", "POST", "/api/backtest/run", m.BacktestResult, json=body, timeout=BACKTEST_TIMEOUT_S)


@operation("quickBacktest", "POST", "/api/backtest/quick")
def quick_backtest(code: str, symbol: str | None = None, timeframe: str | None = None,
                   exchange: str | None = None) -> Call[m.BacktestResult]:
    """A backtest with defaults for everything but symbol, timeframe and exchange."""
    body = _query(code=code, symbol=symbol, timeframe=timeframe, exchange=exchange)
    return Call("quickBacktest", "POST", "/api/backtest/quick", m.BacktestResult, json=body,
                timeout=BACKTEST_TIMEOUT_S)


@operation("validateStrategy", "POST", "/api/backtest/validate")
def validate_strategy(code: str) -> Call[m.ValidateResponse]:
    """Check strategy code without a backtest: the sandbox's rules plus the strategy interface."""
    return Call("validateStrategy", "POST", "/api/backtest/validate", m.ValidateResponse, json={"code": code})


@operation("getStrategyTemplate", "GET", "/api/backtest/example")
def get_strategy_template() -> Call[m.ExampleResponse]:
    """The full strategy template with its parameters and the default backtest_config."""
    return Call("getStrategyTemplate", "GET", "/api/backtest/example", m.ExampleResponse)


@operation("getBacktest", "GET", "/api/backtest/{backtest_id}")
def get_backtest(backtest_id: str) -> Call[m.BacktestResult]:
    """A stored backtest result by id."""
    return Call("getBacktest", "GET", f"/api/backtest/{_id(backtest_id)}", m.BacktestResult)


# Parameter sweeps


@operation("createSweep", "POST", "/api/backtest/sweeps")
def create_sweep(body: m.SweepBody | Mapping[str, Any]) -> Call[m.SweepCreated]:
    """Start a parameter sweep (a grid, or N random samples of a space), optionally walk-forward; answers its id at
    once (202). Refused with the field and the reason: an empty or too large space, a parameter the strategy does
    not take, an unknown objective, walk-forward windows that do not fit the data."""
    return Call("createSweep", "POST", "/api/backtest/sweeps", m.SweepCreated, json=_body(body))


@operation("listSweeps", "GET", "/api/backtest/sweeps")
def list_sweeps(limit: int | None = None) -> Call[m.SweepList]:
    """Recent sweeps, newest first: id, status, progress."""
    return Call("listSweeps", "GET", "/api/backtest/sweeps", m.SweepList, params=_query(limit=limit))


@operation("getSweep", "GET", "/api/backtest/sweeps/{sweep_id}")
def get_sweep(sweep_id: str, top: int | None = None) -> Call[m.SweepStatus]:
    """A sweep: status, progress (done, total, failed, ETA), the best so far, the ranked table (top N rows), and the
    walk-forward windows, stitched out-of-sample equity, stability and overfitting warning."""
    return Call("getSweep", "GET", f"/api/backtest/sweeps/{_id(sweep_id)}", m.SweepStatus, params=_query(top=top))


@operation("cancelSweep", "DELETE", "/api/backtest/sweeps/{sweep_id}")
def cancel_sweep(sweep_id: str) -> Call[m.SweepStatus]:
    """Cancel a sweep: no further chunk starts, running ones are stopped; what finished stays readable."""
    return Call("cancelSweep", "DELETE", f"/api/backtest/sweeps/{_id(sweep_id)}", m.SweepStatus)


@operation("sweepEvents", "GET", "/api/backtest/sweeps/{sweep_id}/events")
def sweep_events(sweep_id: str, top: int | None = None) -> Call[str]:
    """The sweep as server-sent events: `progress` (the same document as getSweep) on each change, `done` last.
    The clients' `sweep_events` iterates them (`ServerEvent`s)."""
    return Call("sweepEvents", "GET", f"/api/backtest/sweeps/{_id(sweep_id)}/events", str, params=_query(top=top))


@operation("getSweepResult", "GET", "/api/backtest/sweeps/{sweep_id}/results/{combination_id}")
def get_sweep_result(sweep_id: str, combination_id: str | int) -> Call[m.BacktestResult]:
    """One combination's full result, the same document /api/backtest/run returns."""
    return Call("getSweepResult", "GET",
                f"/api/backtest/sweeps/{_id(sweep_id)}/results/{_id(combination_id)}", m.BacktestResult)


# Market data


@operation("listSymbols", "GET", "/api/backtest/symbols")
def list_symbols(exchange: str | None = None) -> Call[m.SymbolsResponse]:
    """Symbols with candles, the exchanges and the timeframes."""
    return Call("listSymbols", "GET", "/api/backtest/symbols", m.SymbolsResponse, params=_query(exchange=exchange))


@operation("getCandles", "GET", "/api/marketdata/candles")
def get_candles(symbol: str, timeframe: str | None = None, exchange: str | None = None, type: str | None = None,  # noqa: A002
                limit: int | None = None, start: str | None = None, end: str | None = None,
                store_only: bool | None = None) -> Call[m.CandlesResponse]:
    """Candles of one series (columns), where they came from and any gaps."""
    params = _query(symbol=symbol, timeframe=timeframe, exchange=exchange, type=type, limit=limit, start=start,
                    end=end, store_only=None if store_only is None else str(store_only).lower())
    return Call("getCandles", "GET", "/api/marketdata/candles", m.CandlesResponse, params=params)


# Strategies


@operation("listStrategies", "GET", "/api/strategies")
def list_strategies(status: str | None = None) -> Call[m.StrategyList]:
    """Every strategy, newest first (optionally only one status)."""
    return Call("listStrategies", "GET", "/api/strategies", m.StrategyList, params=_query(status=status))


@operation("getStrategy", "GET", "/api/strategies/{strategy_id}")
def get_strategy(strategy_id: str) -> Call[m.StrategyResponse]:
    """One strategy: configuration, status, last run, last signal, last error, counters."""
    return Call("getStrategy", "GET", f"/api/strategies/{_id(strategy_id)}", m.StrategyResponse)


@operation("listSignals", "GET", "/api/strategies/{strategy_id}/signals")
def list_signals(strategy_id: str, limit: int | None = None) -> Call[m.SignalList]:
    """A strategy's live signals, newest first."""
    return Call("listSignals", "GET", f"/api/strategies/{_id(strategy_id)}/signals", m.SignalList,
                params=_query(limit=limit))


@operation("startStrategy", "POST", "/api/strategies/{strategy_id}/start")
def start_strategy(strategy_id: str, body: m.StartBody | Mapping[str, Any] | None = None) -> Call[m.StrategyResponse]:
    """Start live signals; the body (optional) sets symbols, timeframe, interval and webhook endpoints."""
    return Call("startStrategy", "POST", f"/api/strategies/{_id(strategy_id)}/start", m.StrategyResponse,
                json=_body(body))


@operation("stopStrategy", "POST", "/api/strategies/{strategy_id}/stop")
def stop_strategy(strategy_id: str) -> Call[m.StrategyResponse]:
    """Stop live signals."""
    return Call("stopStrategy", "POST", f"/api/strategies/{_id(strategy_id)}/stop", m.StrategyResponse)


@operation("configureStrategy", "PUT", "/api/strategies/{strategy_id}/config")
def configure_strategy(strategy_id: str, body: m.ConfigBody | Mapping[str, Any]) -> Call[m.StrategyResponse]:
    """Update parameters, symbols, timeframe, interval, endpoints, name or enabled."""
    return Call("configureStrategy", "PUT", f"/api/strategies/{_id(strategy_id)}/config", m.StrategyResponse,
                json=_body(body))


# Console


@operation("getConsoleStatus", "GET", "/api/console/status")
def get_console_status() -> Call[m.ConsoleStatus]:
    """Summary counts, strategies, recent executions, live streams, saved algorithms."""
    return Call("getConsoleStatus", "GET", "/api/console/status", m.ConsoleStatus)


@operation("getConsoleSummary", "GET", "/api/console/summary")
def get_console_summary() -> Call[m.SummaryResponse]:
    """The summary counts only."""
    return Call("getConsoleSummary", "GET", "/api/console/summary", m.SummaryResponse)


@operation("listRunningStrategies", "GET", "/api/console/running")
def list_running_strategies() -> Call[m.RunningResponse]:
    """Running strategies only."""
    return Call("listRunningStrategies", "GET", "/api/console/running", m.RunningResponse)


# Webhooks


@operation("listWebhookEndpoints", "GET", "/api/webhooks/endpoints")
def list_webhook_endpoints() -> Call[m.EndpointList]:
    """Stored webhook endpoints."""
    return Call("listWebhookEndpoints", "GET", "/api/webhooks/endpoints", m.EndpointList)


@operation("createWebhookEndpoint", "POST", "/api/webhooks/endpoints")
def create_webhook_endpoint(body: m.EndpointIn | Mapping[str, Any]) -> Call[m.EndpointResponse]:
    """Store an endpoint (URL, optional signing secret and headers)."""
    return Call("createWebhookEndpoint", "POST", "/api/webhooks/endpoints", m.EndpointResponse, json=_body(body))


@operation("getWebhookEndpoint", "GET", "/api/webhooks/endpoints/{endpoint_id}")
def get_webhook_endpoint(endpoint_id: int) -> Call[m.EndpointResponse]:
    """One stored endpoint."""
    return Call("getWebhookEndpoint", "GET", f"/api/webhooks/endpoints/{_id(endpoint_id)}", m.EndpointResponse)


@operation("updateWebhookEndpoint", "PUT", "/api/webhooks/endpoints/{endpoint_id}")
def update_webhook_endpoint(endpoint_id: int, body: m.EndpointUpdate | Mapping[str, Any]) -> Call[m.EndpointResponse]:
    """Change an endpoint's URL, name, secret, headers or enabled."""
    return Call("updateWebhookEndpoint", "PUT", f"/api/webhooks/endpoints/{_id(endpoint_id)}", m.EndpointResponse,
                json=_body(body))


@operation("deleteWebhookEndpoint", "DELETE", "/api/webhooks/endpoints/{endpoint_id}")
def delete_webhook_endpoint(endpoint_id: int) -> Call[dict[str, Any]]:
    """Remove an endpoint; its delivery log stays."""
    return Call("deleteWebhookEndpoint", "DELETE", f"/api/webhooks/endpoints/{_id(endpoint_id)}", dict[str, Any])


@operation("sendWebhook", "POST", "/api/webhook/send")
def send_webhook(body: m.SendBody | Mapping[str, Any]) -> Call[m.SendResponse]:
    """Send a signal payload to a URL or a stored endpoint, with retries."""
    return Call("sendWebhook", "POST", "/api/webhook/send", m.SendResponse, json=_body(body))


@operation("testWebhook", "POST", "/api/webhook/test")
def test_webhook(body: m.Target | Mapping[str, Any]) -> Call[m.SendResponse]:
    """Send the contract's sample payload (marked test: true)."""
    return Call("testWebhook", "POST", "/api/webhook/test", m.SendResponse, json=_body(body))


@operation("listWebhookDeliveries", "GET", "/api/webhooks/deliveries")
def list_webhook_deliveries(endpoint_id: int | None = None, signal_id: str | None = None, status: str | None = None,
                            limit: int | None = None) -> Call[m.DeliveryList]:
    """The delivery log, newest first, with every attempt."""
    params = _query(endpoint_id=endpoint_id, signal_id=signal_id, status=status, limit=limit)
    return Call("listWebhookDeliveries", "GET", "/api/webhooks/deliveries", m.DeliveryList, params=params)


@operation("getWebhookDelivery", "GET", "/api/webhooks/deliveries/{delivery_id}")
def get_webhook_delivery(delivery_id: str) -> Call[m.SendResponse]:
    """One delivery with its attempts."""
    return Call("getWebhookDelivery", "GET", f"/api/webhooks/deliveries/{_id(delivery_id)}", m.SendResponse)
