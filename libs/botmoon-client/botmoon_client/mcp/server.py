"""The MCP server: tools that call the gateway through `AsyncBotmoon`, resources, and a prompt."""


import inspect
from collections.abc import Awaitable, Callable
from importlib import resources as package_files
from string import Template
from typing import Annotated, Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from botmoon_client import AsyncBotmoon
from botmoon_client.errors import APIConnectionError, APIStatusError, ConflictError
from botmoon_client.mcp import guide, sweeps
from botmoon_client.mcp import outputs as o

T = TypeVar("T")
ClientFor = Callable[[Context | None], AsyncBotmoon]

MAX_CANDLES = 1000
READ = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
CHECK = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
RUN = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False)
START = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True)
STOP = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False)
MARKET = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=True)

VALIDATE = f"""Check strategy code without running it: the sandbox's rules (blocked imports, calls and attributes,
syntax) and the strategy interface (a class with generate_signals, the method signatures). Invalid code is a tool
error listing each problem as `line L, column C, rule R: message`; fix them all and validate again. Valid code
returns its warnings.

{guide.CONTRACT}"""
Code = Annotated[str, Field(description="the complete Python source of the strategy (or script)")]


def problems_text(problems: list[Any]) -> str:
    """Each problem as `line L, column C, rule R: message`, one a line."""
    lines = []
    for p in problems:
        d = p.model_dump() if hasattr(p, "model_dump") else dict(p)
        lines.append(f"line {d.get('line', 0)}, column {d.get('column', 0)}, rule {d.get('rule', '?')}: "
                     f"{d.get('message', '')}")
    return "\n".join(lines)


def failure_text(document: dict[str, Any]) -> str:
    """Why a run failed: its problems, or its error with type, line and message."""
    if problems := document.get("problems"):
        return "the code is invalid; fix each problem and try again:\n" + problems_text(problems)
    error = document.get("error") or {}
    where = f" at line {error['line']}" if error.get("line") else ""
    text = f"{document.get('status', 'failed')}: {error.get('type', 'Error')}{where}: {error.get('message', '')}"
    if error.get("traceback"):
        text += "\n" + str(error["traceback"])[-2000:]
    return text


async def _call(action: Awaitable[T]) -> T:
    """The client's errors as tool errors carrying the server's message and fields."""
    try:
        return await action
    except APIStatusError as exc:
        raise ToolError(str(exc)) from None
    except APIConnectionError as exc:
        raise ToolError(f"Botmoon is unreachable: {exc}") from None


def build_server(client_for: ClientFor) -> MCPServer:
    """The server; `client_for(ctx)` gives the client a call uses (stdio: one; HTTP: with the caller's key;
    ctx is None for resources, which have no request context)."""
    server = MCPServer("botmoon", title="Botmoon", instructions=guide.INSTRUCTIONS, version="0.1.0")

    def tool(annotations: ToolAnnotations, title: str, description: str | None = None):
        """Registers a tool; its description is the docstring, dedented, unless given."""
        def register(fn):
            server.add_tool(fn, title=title, annotations=annotations,
                            description=description or inspect.cleandoc(fn.__doc__ or ""))
            return fn
        return register

    @tool(READ, "Strategy template")
    async def get_strategy_template(ctx: Context) -> o.Template:
        """The full strategy template (an EMA crossover that validates and runs), its parameters and the
        default backtest settings. Start every new strategy from it and keep its class shape."""
        t = await _call(client_for(ctx).get_strategy_template())
        return o.Template(code=t.code, strategy_params=t.strategy_params,
                          backtest_config=o.as_dict(t.backtest_config))

    @tool(MARKET, "Markets")
    async def list_markets(ctx: Context, exchange: Annotated[str | None, Field(
            description="binance or okx; all when omitted")] = None) -> o.Markets:
        """Exchanges, symbols with candles (and their timeframes), and every timeframe a backtest accepts.
        Symbols use ccxt spelling: BTC/USDT:USDT is the USDT perpetual future, BTC/USDT the spot market."""
        r = await _call(client_for(ctx).list_symbols(exchange))
        return o.Markets(exchanges=r.exchanges, timeframes=r.timeframes, symbols=[
            o.Market(symbol=s.symbol, name=s.name, type=s.type, exchange=s.exchange, timeframes=s.timeframes)
            for s in r.symbols])

    @tool(CHECK, "Validate strategy", VALIDATE)
    async def validate_strategy(code: Code, ctx: Context) -> o.Validation:
        r = await _call(client_for(ctx).validate_strategy(code))
        if not r.validation.valid:
            raise ToolError("the code is invalid; fix each problem and validate again:\n"
                            + problems_text(r.validation.errors))
        return o.Validation(valid=True, warnings=r.validation.warnings)

    @tool(RUN, "Execute code")
    async def execute_code(code: Code, ctx: Context, name: Annotated[str, Field(
            description="a label in the execution history", min_length=1, max_length=200)] = "AI_Execution",
                           ) -> o.Execution:
        """Run a Python script once in a fresh sandbox container (no network, numpy and pandas available)
        and return stdout, stderr and the variable `result`. For quick experiments; strategies are tested
        with run_backtest. Invalid code or a failed run is a tool error naming the line."""
        r = await _call(client_for(ctx).execute_code(code, name))
        if r.status != "completed":
            document = r.model_dump(mode="json")
            raise ToolError(failure_text(document) + (f"\nstderr: {r.stderr[-2000:]}" if r.stderr else ""))
        return o.Execution(execution_id=r.execution_id, status=r.status, output=r.output, stderr=r.stderr,
                           result=r.result, execution_time_ms=r.execution_time_ms)

    @tool(RUN, "Run backtest")
    async def run_backtest(
        code: Code, ctx: Context,
        symbol: Annotated[str, Field(description="e.g. BTC/USDT:USDT (see list_markets)")] = "BTC/USDT:USDT",
        timeframe: Annotated[str, Field(description="1m, 5m, 15m, 30m, 1h, 2h, 4h or 1d")] = "1h",
        limit: Annotated[int | None, Field(description="the newest N candles (default 500)", ge=10,
                                           le=1_000_000)] = None,
        start: Annotated[str | None, Field(description="ISO 8601 UTC start of a range (instead of limit)")] = None,
        end: Annotated[str | None, Field(description="ISO 8601 UTC end of the range")] = None,
        exchange: Annotated[str | None, Field(description="binance or okx")] = None,
        strategy_params: Annotated[dict[str, Any] | None, Field(
            description="passed to the strategy's __init__ as params")] = None,
        initial_capital: Annotated[float | None, Field(gt=0)] = None,
    ) -> o.BacktestSummary:
        """Backtest strategy code on real candles: Botmoon fetches them, runs the strategy's methods in a
        sandbox, simulates the trades and computes the metrics (percentages in percent). Returns the
        backtest id, the metrics, a short trade summary and warnings; get_backtest(backtest_id) has every
        trade and the equity curve. A strategy that is invalid or fails is a tool error naming line,
        column and rule (or the exception and its line)."""
        config = {k: v for k, v in {"symbol": symbol, "timeframe": timeframe, "limit": limit, "start": start,
                                    "end": end, "exchange": exchange, "initial_capital": initial_capital}.items()
                  if v is not None}
        r = await _call(client_for(ctx).run_backtest(code, config, strategy_params))
        if not r.get("success"):
            raise ToolError(failure_text(r))
        return o.BacktestSummary(backtest_id=r["backtest_id"], metrics=r.get("metrics", {}),
                                 trades=o.trade_summary(r.get("trades", [])), config=r.get("config", {}),
                                 warnings=r.get("warnings", []))

    @tool(READ, "Get backtest")
    async def get_backtest(
        backtest_id: Annotated[str, Field(description="from run_backtest")], ctx: Context,
        include_equity_curve: Annotated[bool, Field(description="the equity curve points too (large)")] = False,
    ) -> dict[str, Any]:
        """The full stored result of a backtest: metrics, every trade, config, signal counts, warnings
        (and the equity curve on request)."""
        r = await _call(client_for(ctx).get_backtest(backtest_id))
        if not include_equity_curve:
            r.pop("equity_curve", None)
        return r

    @tool(RUN, "Deploy strategy")
    async def deploy_strategy(
        code: Code, ctx: Context,
        name: Annotated[str, Field(description="the strategy's name", min_length=1, max_length=200)] = "AI_Deployed",
        strategy_class: Annotated[str | None, Field(
            description="the class to register when the code defines several strategies")] = None,
    ) -> o.Deployment:
        """Validate and save strategy code; its strategy class is registered as a stopped strategy whose
        parameters come from the params.get(...) calls in __init__. Returns strategy_id for start_strategy.
        Invalid code is a tool error listing line, column and rule of each problem."""
        client = client_for(ctx)
        r = await _call(client.deploy_code(code, name, auto_run=False, strategy_class=strategy_class))
        if not r.validation.valid or r.algorithm_id is None:
            raise ToolError("the code is invalid; fix each problem and deploy again:\n"
                            + problems_text(r.validation.errors))
        strategy = getattr(r, "strategy", None)
        return o.Deployment(
            algorithm_id=r.algorithm_id, strategy_id=strategy.id if strategy else None,
            class_name=strategy.class_name if strategy else None,
            params=dict(strategy.params) if strategy else {},
            note=getattr(r, "strategy_reason", None), warnings=r.validation.warnings)

    @tool(READ, "List strategies")
    async def list_strategies(ctx: Context, status: Annotated[str | None, Field(
            description="stopped, running or error; all when omitted")] = None) -> o.Strategies:
        """Every deployed strategy, newest first: status, state, symbols, timeframe, last signal and error."""
        r = await _call(client_for(ctx).list_strategies(status))
        return o.Strategies(count=r.count, strategies=[o.strategy_brief(s) for s in r.strategies])

    @tool(START, "Start strategy")
    async def start_strategy(
        strategy_id: Annotated[str, Field(description="from deploy_strategy or list_strategies")], ctx: Context,
        symbols: Annotated[list[str] | None, Field(
            description="e.g. ['BTC/USDT:USDT'] or ['BTCUSDT_BINANCE']; required on the first start")] = None,
        timeframe: Annotated[str | None, Field(description="the candles it runs on, e.g. 15m")] = None,
        interval_seconds: Annotated[float | None, Field(
            description="how often to look for a newly closed candle")] = None,
        webhook_endpoint_ids: Annotated[list[int] | None, Field(
            description="stored webhook endpoints that receive its signals")] = None,
        exchange: Annotated[str | None, Field(description="binance or okx")] = None,
    ) -> o.StrategyChange:
        """Start a strategy live: on every newly closed candle Botmoon runs generate_signals in the sandbox
        and sends each new signal to the strategy's webhook endpoints. Starting a running strategy is an
        error."""
        body = {k: v for k, v in {"symbols": symbols, "timeframe": timeframe, "interval_seconds": interval_seconds,
                                  "webhook_endpoint_ids": webhook_endpoint_ids, "exchange": exchange}.items()
                if v is not None}
        r = await _call(client_for(ctx).start_strategy(strategy_id, body or None))
        return o.StrategyChange(message=r.message, strategy=o.strategy_brief(r.strategy))

    @tool(STOP, "Stop strategy")
    async def stop_strategy(strategy_id: Annotated[str, Field(description="the strategy to stop")],
                            ctx: Context) -> o.StrategyChange:
        """Stop a strategy's live signals. Stopping a strategy that is not running changes nothing."""
        client = client_for(ctx)
        try:
            r = await client.stop_strategy(strategy_id)
        except ConflictError:
            current = await _call(client.get_strategy(strategy_id))
            return o.StrategyChange(message="not running", strategy=o.strategy_brief(current.strategy))
        except (APIStatusError, APIConnectionError) as exc:
            raise ToolError(str(exc)) from None
        return o.StrategyChange(message=r.message, strategy=o.strategy_brief(r.strategy))

    @tool(READ, "Console status")
    async def console_status(ctx: Context) -> o.ConsoleOverview:
        """What runs now: summary counts (strategies, running, symbols, streams, executions, algorithms)
        and the running strategies with their state, last signal and last error."""
        client = client_for(ctx)
        summary = await _call(client.get_console_summary())
        running = await _call(client.list_running_strategies())
        return o.ConsoleOverview(summary=o.as_dict(summary.summary),
                                 running=[o.strategy_brief(s) for s in running.strategies])

    @tool(MARKET, "Candles")
    async def get_candles(
        symbol: Annotated[str, Field(description="e.g. BTC/USDT:USDT")], ctx: Context,
        timeframe: Annotated[str, Field(description="1m, 5m, 15m, 30m, 1h, 2h, 4h or 1d")] = "1h",
        limit: Annotated[int, Field(description=f"the newest N closed candles, at most {MAX_CANDLES}", ge=1,
                                    le=MAX_CANDLES)] = 100,
        exchange: Annotated[str | None, Field(description="binance or okx")] = None,
        end: Annotated[str | None, Field(description="ISO 8601 UTC: candles before this time")] = None,
    ) -> o.Candles:
        """Recent candles of one market as columns (oldest first), with where they came from. Bounded to
        a few hundred candles: enough to look at a market, not to backtest (run_backtest fetches its own)."""
        r = await _call(client_for(ctx).get_candles(symbol, timeframe=timeframe, exchange=exchange, limit=limit,
                                                    end=end))
        c = r.candles
        return o.Candles(symbol=r.symbol, exchange=r.exchange, timeframe=r.timeframe, source=r.source, count=r.count,
                         gaps=len(r.gaps), time=c.time, open=c.open, high=c.high, low=c.low, close=c.close,
                         volume=c.volume)

    sweeps.register(tool, client_for, _call, run=RUN, read=READ, stop=STOP)

    @server.resource("botmoon://strategy/template", name="strategy-template", title="Strategy template",
                     mime_type="text/x-python", description="The full strategy template (Python).")
    async def template_resource() -> str:
        return (await _call(client_for(None).get_strategy_template())).code

    @server.resource("botmoon://docs/api", name="api-contract", title="The Botmoon API contract",
                     mime_type="text/markdown", description="Every REST endpoint, its fields and examples.")
    def api_resource() -> str:
        return _package_text("api.md")

    @server.resource("botmoon://docs/backtest-semantics", name="backtest-semantics", title="Backtest semantics",
                     mime_type="text/markdown",
                     description="Exactly what a backtest computes: fills, TP/SL, fees, every metric.")
    def semantics_resource() -> str:
        return _package_text("backtest-semantics.md")

    @server.prompt(name="write_botmoon_strategy", title="Write a Botmoon strategy")
    def write_strategy(
        idea: Annotated[str, Field(description="what the strategy should do")],
        symbol: Annotated[str, Field(description="the market")] = "BTC/USDT:USDT",
        timeframe: Annotated[str, Field(description="the candles")] = "1h",
    ) -> str:
        """Write, validate and backtest a Botmoon strategy, following the strategy contract."""
        return Template(guide.PROMPT).safe_substitute(idea=idea, symbol=symbol, timeframe=timeframe)

    return server


def _package_text(name: str) -> str:
    return (package_files.files("botmoon_client") / "resources" / name).read_text(encoding="utf-8")


def run_stdio(base_url: str | None = None, api_key: str | None = None) -> None:
    """Serves the tools over stdio (for desktop chats), calling the gateway at base_url."""
    import logging

    import anyio

    logging.getLogger("httpx").setLevel(logging.WARNING)  # stderr is the chat's log: one line per tool call is noise

    async def main() -> None:
        async with AsyncBotmoon(base_url, api_key) as client:
            await build_server(lambda _ctx: client).run_stdio_async()

    anyio.run(main)



