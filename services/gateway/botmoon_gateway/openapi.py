"""The OpenAPI that tools import: a readable operation id, a summary and an example for every operation.

One table, keyed by method and path; `operation_id` is the app's `generate_unique_id_function`, and
`install` adds the summaries and examples to the generated document. The client (`botmoon_client`) has one
method per operation id; a test fails when an operation is missing here or there.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

CODE = "# My algorithm\nprint('Hello from AI!')\nresult = 42"
STRATEGY = "class MyStrategy:\n    def __init__(self, params): ...\n    def generate_signals(self, data): ...\n"
CONFIG = {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": "CRYPTO_FUTURE",
          "initial_capital": 10000, "commission_rate": 0.0005, "limit": 500, "enabled_directions": ["long", "short"]}
METRICS = {"total_return": 4523.50, "total_return_pct": 45.24, "cagr": 32.15, "max_drawdown": 12.50,
           "win_rate": 58.33, "profit_factor": 1.85, "sharpe_ratio": 1.42, "total_trades": 24, "winning_trades": 14,
           "losing_trades": 10, "avg_trade": 188.48, "avg_win": 450.25, "avg_loss": -235.15}
BACKTEST = {"success": True, "backtest_id": "bt_abc123", "metrics": METRICS, "trades": [], "equity_curve": [],
            "config": {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "data_points": 500,
                       "data_start": "2025-01-01T00:00:00Z", "data_end": "2025-02-17T00:00:00Z"}}
VALID = {"success": True, "validation": {"valid": True, "errors": [], "warnings": []}}
START = {"symbols": ["BTCUSDT_BINANCE", "ETHUSDT_BINANCE"], "price_source": "ccxt", "timeframe": "15m",
         "interval_seconds": 60, "webhook_endpoint_ids": [1, 2]}
SIGNAL = {"webhook_url": "https://your-webhook-url.com/webhook", "market_type": "CRYPTO_FUTURES", "symbol": "BTCUSDT",
          "side": "BUY_MARKET", "signal_type": "EMA_CROSS", "risk_level": "BALANCED", "timeframe": "15",
          "price": 50000.00, "tp_pct": 2.0, "sl_pct": 1.0}
SUMMARY = {"total_strategies": 3, "running_strategies": 1, "enabled_strategies": 2, "total_symbols": 38,
           "enabled_symbols": 38, "active_streams": 38, "ai_executions_count": 5, "saved_algorithms_count": 2}
STRATEGY_BRIEF = {"id": "strat_abc123", "name": "EMA cross", "algorithm_id": "algo_abc123", "class_name": "EMACross",
                  "status": "running", "enabled": True}
ENDPOINT = {"url": "https://your-webhook-url.com/webhook", "name": "my bot", "generate_secret": True}
SWEEP = {"code": STRATEGY,
         "backtest_config": {**CONFIG, "limit": None, "start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
         "space": {"fast_period": {"start": 5, "stop": 50, "step": 5}, "slow_period": [50, 100, 200]},
         "objective": "sharpe_ratio", "constraints": [{"metric": "total_trades", "min": 10}]}
SWEEP_ROW = {"rank": 1, "combination_id": 7, "params": {"fast_period": 15, "slow_period": 100},
             "objective_value": 1.42, "passed": True, "metrics": {"sharpe_ratio": 1.42, "total_trades": 24}}
SWEEP_STATUS = {"success": True, "sweep_id": "sw_abc123", "status": "running",
                "progress": {"done": 12, "total": 30, "failed": 0, "eta_s": 4.5}, "objective": "sharpe_ratio",
                "maximize": True, "best": SWEEP_ROW, "results": [SWEEP_ROW], "walk_forward": None,
                "created_at": "2026-02-17T12:00:00Z", "started_at": "2026-02-17T12:00:00Z", "finished_at": None,
                "error": None}


class Op:
    """One operation's id, summary and examples (`request`: the body; `response`: the 200 reply)."""

    def __init__(self, operation_id: str, summary: str, request: Any = None, response: Any = None):
        self.operation_id, self.summary, self.request, self.response = operation_id, summary, request, response


OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/health"): Op("getHealth", "Liveness of the gateway process", response={"status": "ok"}),
    ("GET", "/ready"): Op("getReadiness", "Readiness: every backend SERVING",
                          response={"ready": True, "backends": {"sandbox": "SERVING"}}),
    ("POST", "/api/ai/validate"): Op("validateCode", "Validate code without running it", {"code": CODE}, VALID),
    ("POST", "/api/ai/execute"): Op(
        "executeCode", "Execute code now in a sandbox",
        {"code": "import numpy as np\nprint(np.mean([1,2,3,4,5]))", "name": "NumpyTest"},
        {"success": True, "execution_id": "exec_abc123", "status": "completed", "output": "3.0\n", "result": None}),
    ("POST", "/api/ai/deploy"): Op(
        "deployCode", "Deploy code as a saved algorithm (and run it)",
        {"code": CODE, "name": "MyAlgorithm", "auto_run": True, "return_result": True},
        {"success": True, "execution_id": "exec_abc123", "name": "MyAlgorithm", "status": "completed",
         "auto_deploy": True, "execution": {"status": "completed", "output": "Hello from AI!\n", "result": 42,
                                            "execution_time_ms": 15}}),
    ("GET", "/api/ai/executions"): Op("listExecutions", "List executions, newest first",
                                      response={"success": True, "count": 1, "executions": [
                                          {"execution_id": "exec_abc123", "status": "completed"}]}),
    ("GET", "/api/ai/executions/{execution_id}"): Op(
        "getExecution", "Get one execution",
        response={"success": True, "execution_id": "exec_abc123", "status": "completed", "result": 42}),
    ("POST", "/api/backtest/run"): Op("runBacktest", "Run a backtest",
                                      {"code": STRATEGY, "backtest_config": CONFIG,
                                       "strategy_params": {"tp_pct": 2.0, "sl_pct": 1.0}}, BACKTEST),
    ("POST", "/api/backtest/quick"): Op("quickBacktest", "Run a backtest with defaults",
                                        {"code": STRATEGY, "symbol": "BTC/USDT:USDT", "timeframe": "1h",
                                         "exchange": "binance"}, BACKTEST),
    ("POST", "/api/backtest/validate"): Op("validateStrategy", "Validate strategy code", {"code": STRATEGY}, VALID),
    ("GET", "/api/backtest/symbols"): Op(
        "listSymbols", "List symbols, exchanges and timeframes",
        response={"success": True, "symbols": [
            {"symbol": "BTC/USDT:USDT", "name": "Bitcoin", "type": "CRYPTO_FUTURE"},
            {"symbol": "ETH/USDT:USDT", "name": "Ethereum", "type": "CRYPTO_FUTURE"},
            {"symbol": "SOL/USDT:USDT", "name": "Solana", "type": "CRYPTO_FUTURE"}],
            "exchanges": ["binance", "okx"], "timeframes": ["1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d"]}),
    ("GET", "/api/backtest/example"): Op("getStrategyTemplate", "Get the strategy template",
                                         response={"success": True, "code": STRATEGY,
                                                   "strategy_params": {"tp_pct": 2.0, "sl_pct": 1.0},
                                                   "backtest_config": CONFIG}),
    ("POST", "/api/backtest/sweeps"): Op(
        "createSweep", "Start a parameter sweep (grid, samples, walk-forward)", SWEEP,
        {"success": True, "sweep_id": "sw_abc123", "status": "queued", "total": 30, "combinations": 30,
         "windows": None, "objective": "sharpe_ratio", "maximize": True, "created_at": "2026-02-17T12:00:00Z"}),
    ("GET", "/api/backtest/sweeps"): Op(
        "listSweeps", "List recent sweeps",
        response={"success": True, "sweeps": [{k: SWEEP_STATUS[k] for k in ("sweep_id", "status", "progress",
                                                                            "objective", "created_at")}]}),
    ("GET", "/api/backtest/sweeps/{sweep_id}"): Op("getSweep", "Get a sweep's progress and ranked results",
                                                   response=SWEEP_STATUS),
    ("GET", "/api/backtest/sweeps/{sweep_id}/events"): Op(
        "sweepEvents", "Follow a sweep as server-sent events",
        response="event: progress\ndata: {\"sweep_id\": \"sw_abc123\", \"status\": \"running\", ...}\n\n"),
    ("DELETE", "/api/backtest/sweeps/{sweep_id}"): Op("cancelSweep", "Cancel a sweep",
                                                      response={**SWEEP_STATUS, "status": "cancelled"}),
    ("GET", "/api/backtest/sweeps/{sweep_id}/results/{combination_id}"): Op(
        "getSweepResult", "Get one sweep run's full result",
        response={**BACKTEST, "sweep_id": "sw_abc123", "combination_id": 7,
                  "params": {"fast_period": 15, "slow_period": 100}}),
    ("GET", "/api/backtest/{backtest_id}"): Op("getBacktest", "Get a stored backtest result", response=BACKTEST),
    ("GET", "/api/marketdata/candles"): Op(
        "getCandles", "Get candles of one series",
        response={"success": True, "exchange": "binance", "symbol": "BTC/USDT:USDT", "type": "CRYPTO_FUTURE",
                  "timeframe": "1h", "source": "bundled", "count": 2, "gaps": [],
                  "candles": {"time": [1735689600000, 1735693200000], "open": [93576.0, 94150.1],
                              "high": [94300.0, 94465.9], "low": [93500.0, 93852.0], "close": [94150.1, 94200.0],
                              "volume": [5000.5, 4200.2]}}),
    ("GET", "/api/strategies"): Op("listStrategies", "List strategies",
                                   response={"success": True, "count": 1, "strategies": [STRATEGY_BRIEF]}),
    ("GET", "/api/strategies/{strategy_id}"): Op("getStrategy", "Get one strategy",
                                                 response={"success": True, "strategy": STRATEGY_BRIEF}),
    ("GET", "/api/strategies/{strategy_id}/signals"): Op(
        "listSignals", "List a strategy's live signals",
        response={"success": True, "count": 1, "signals": [
            {"signal_id": "sig_abc123", "strategy_id": "strat_abc123", "symbol": "BTC/USDT:USDT",
             "timeframe": "15m", "payload": {"side": "BUY_MARKET", "price": 50000.0}}]}),
    ("POST", "/api/strategies/{strategy_id}/start"): Op(
        "startStrategy", "Start a strategy", START, {"success": True, "strategy": STRATEGY_BRIEF,
                                                     "message": "started"}),
    ("POST", "/api/strategies/{strategy_id}/stop"): Op(
        "stopStrategy", "Stop a strategy",
        response={"success": True, "strategy": {**STRATEGY_BRIEF, "status": "stopped"}, "message": "stopped"}),
    ("PUT", "/api/strategies/{strategy_id}/config"): Op(
        "configureStrategy", "Update a strategy's configuration",
        {**START, "params": {"tp_pct": 2.0, "sl_pct": 1.0}},
        {"success": True, "strategy": STRATEGY_BRIEF, "message": "updated"}),
    ("GET", "/api/console/status"): Op(
        "getConsoleStatus", "Get the full console status",
        response={"success": True, "timestamp": "2026-02-17T12:00:00Z", "summary": SUMMARY, "strategies": [],
                  "ai_executions": [], "streams": [], "saved_algorithms": []}),
    ("GET", "/api/console/summary"): Op("getConsoleSummary", "Get the console summary",
                                        response={"success": True, "timestamp": "2026-02-17T12:00:00Z",
                                                  "summary": SUMMARY}),
    ("GET", "/api/console/running"): Op("listRunningStrategies", "List running strategies",
                                        response={"success": True, "timestamp": "2026-02-17T12:00:00Z", "count": 1,
                                                  "strategies": [STRATEGY_BRIEF]}),
    ("GET", "/api/webhooks/endpoints"): Op("listWebhookEndpoints", "List webhook endpoints",
                                           response={"success": True, "count": 1, "endpoints": [
                                               {"id": 1, "url": ENDPOINT["url"], "name": "my bot"}]}),
    ("POST", "/api/webhooks/endpoints"): Op("createWebhookEndpoint", "Create a webhook endpoint", ENDPOINT,
                                            {"success": True, "endpoint": {"id": 1, "url": ENDPOINT["url"],
                                                                           "secret": "whsec_..."}}),
    ("GET", "/api/webhooks/endpoints/{endpoint_id}"): Op(
        "getWebhookEndpoint", "Get a webhook endpoint",
        response={"success": True, "endpoint": {"id": 1, "url": ENDPOINT["url"], "has_secret": True}}),
    ("PUT", "/api/webhooks/endpoints/{endpoint_id}"): Op(
        "updateWebhookEndpoint", "Update a webhook endpoint", {"enabled": False},
        {"success": True, "endpoint": {"id": 1, "url": ENDPOINT["url"], "enabled": False}}),
    ("DELETE", "/api/webhooks/endpoints/{endpoint_id}"): Op("deleteWebhookEndpoint", "Delete a webhook endpoint",
                                                             response={"success": True, "deleted": 1}),
    ("POST", "/api/webhook/send"): Op("sendWebhook", "Send a signal to a webhook", SIGNAL,
                                      {"success": True, "delivery": {"delivery_id": "dlv_abc123",
                                                                     "status": "delivered", "attempts": 1}}),
    ("POST", "/api/webhook/test"): Op("testWebhook", "Send the sample payload to a webhook",
                                      {"webhook_url": SIGNAL["webhook_url"]},
                                      {"success": True, "delivery": {"delivery_id": "dlv_abc123",
                                                                     "status": "delivered", "attempts": 1}}),
    ("GET", "/api/webhooks/deliveries"): Op("listWebhookDeliveries", "List webhook deliveries",
                                            response={"success": True, "count": 1, "deliveries": [
                                                {"delivery_id": "dlv_abc123", "status": "delivered"}]}),
    ("GET", "/api/webhooks/deliveries/{delivery_id}"): Op(
        "getWebhookDelivery", "Get one webhook delivery",
        response={"success": True, "delivery": {"delivery_id": "dlv_abc123", "status": "delivered", "attempts": 1}}),
}


TAGS = [
    {"name": "AI code", "description": "Validate, execute and deploy code from an AI chat; the execution history."},
    {"name": "backtest", "description": "Backtest strategy code on real candles; the template; stored results."},
    {"name": "market data", "description": "Symbols, exchanges and timeframes with candles; candles of one series."},
    {"name": "strategies", "description": "Deployed strategies: start, stop, configure; their live signals."},
    {"name": "console", "description": "What runs: summary counts, strategies, executions, streams."},
    {"name": "webhooks", "description": "Webhook endpoints, sending signals, and the delivery log."},
    {"name": "health", "description": "Liveness and readiness."},
]


def _camel(words: str) -> str:
    parts = [p for p in words.replace("-", "_").split("_") if p]
    return parts[0].lower() + "".join(p.capitalize() for p in parts[1:]) if parts else "operation"


def operation_id(route: APIRoute) -> str:
    """The table's id; an operation not in it yet gets `<function><Tag>` (a test asks for a table entry)."""
    method = sorted(route.methods)[0] if route.methods else "GET"
    if op := OPERATIONS.get((method, route.path_format)):
        return op.operation_id
    tag = str(route.tags[0]).title().replace(" ", "") if route.tags else ""
    return _camel(route.name) + tag


def install(app: FastAPI) -> None:
    """Adds each operation's summary and examples to the generated OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                op = OPERATIONS.get((method.upper(), path))
                if op is None:
                    continue
                operation["summary"] = op.summary
                if op.request is not None and "requestBody" in operation:
                    for media in operation["requestBody"].get("content", {}).values():
                        media["example"] = op.request
                success = next((c for c in ("200", "201") if c in operation.get("responses", {})), None)
                if op.response is not None and success:
                    content = operation["responses"][success].setdefault("content", {})
                    content.setdefault("application/json", {"schema": {}})["example"] = op.response
        used = {tag for item in document.get("paths", {}).values() for op in item.values()
                for tag in op.get("tags", [])}
        known = [t for t in TAGS if t["name"] in used]
        document["tags"] = known + [{"name": t} for t in sorted(used - {t["name"] for t in known})]
        app.openapi_schema = document
        return document

    app.openapi = openapi
