"""The `botmoon` command line: noun-verb commands on the typed client, `--json` on every command."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from botmoon_client import Botmoon
from botmoon_client.cli import output as o
from botmoon_client.cli.output import Exit
from botmoon_client.errors import APIConnectionError, APIStatusError, AuthenticationError, PermissionDeniedError

app = typer.Typer(name="botmoon", no_args_is_help=True, add_completion=False,
                  help="Botmoon from a terminal: validate, run, backtest and deploy strategies; manage what runs.")
executions_app = typer.Typer(no_args_is_help=True, help="The execution history.")
strategies_app = typer.Typer(no_args_is_help=True, help="Deployed strategies: list, show, start, stop, config.")
webhooks_app = typer.Typer(no_args_is_help=True, help="Webhook endpoints, sends and the delivery log.")
app.add_typer(executions_app, name="executions")
app.add_typer(strategies_app, name="strategies")
app.add_typer(webhooks_app, name="webhooks")

Json = Annotated[bool, typer.Option("--json", help="print the reply as JSON (for scripts)")]
Source = Annotated[str, typer.Argument(help="a Python file, or - for stdin")]


class Settings:
    url: str | None = None
    api_key: str | None = None
    timeout: float = 120.0


@app.callback()
def main_options(
    url: Annotated[str | None, typer.Option(envvar="BOTMOON_URL", help="the gateway (default http://127.0.0.1:37674)")]
    = None,
    api_key: Annotated[str | None, typer.Option(envvar="BOTMOON_API_KEY", help="an API key, if the gateway needs one")]
    = None,
) -> None:
    Settings.url, Settings.api_key = url, api_key


def read_source(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        o.err.print(f"[red]error:[/red] no such file: {source}")
        raise typer.Exit(Exit.USAGE)
    return path.read_text(encoding="utf-8")


def call(action: Callable[[Botmoon], Any]) -> Any:
    """Runs one client action; the client's errors become a message on stderr and an exit code."""
    try:
        with Botmoon(Settings.url, Settings.api_key) as client:
            return action(client)
    except APIConnectionError as exc:
        o.err.print(f"[red]unreachable:[/red] {exc}")
        raise typer.Exit(Exit.UNREACHABLE) from None
    except (AuthenticationError, PermissionDeniedError) as exc:
        o.err.print(f"[red]not authorized:[/red] {exc.message} (set BOTMOON_API_KEY or --api-key)")
        raise typer.Exit(Exit.UNAUTHORIZED) from None
    except APIStatusError as exc:
        o.err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(Exit.API_ERROR) from None


def finish(code: Exit) -> None:
    if code != Exit.OK:
        raise typer.Exit(code)


def parse_json(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        o.err.print(f"[red]error:[/red] {option} is not JSON: {exc}")
        raise typer.Exit(Exit.USAGE) from None


def spinner(label: str) -> Progress:
    return Progress(SpinnerColumn(), TextColumn(label), TimeElapsedColumn(), console=o.err, transient=True)


# Code


@app.command()
def validate(source: Source, as_json: Json = False, strategy: Annotated[bool, typer.Option(
        "--strategy", help="also check the strategy interface (the backtest's validation)")] = False) -> None:
    """Check code without running it. Exit 3 when it is invalid."""
    code = read_source(source)
    r = call(lambda c: c.validate_strategy(code) if strategy else c.validate_code(code))
    if as_json:
        o.emit_json(r)
    else:
        o.out.print("[green]valid[/green]" if r.validation.valid else "[red]invalid[/red]")
        o.problems(r.validation.errors, "errors")
        o.problems(r.validation.warnings, "warnings")
    finish(Exit.OK if r.validation.valid else Exit.INVALID_CODE)


def _run_exit(status: str) -> Exit:
    return {"completed": Exit.OK, "rejected": Exit.INVALID_CODE}.get(status, Exit.FAILED_RUN)


@app.command("exec")
def exec_(source: Source, as_json: Json = False,
          name: Annotated[str, typer.Option(help="a label in the history")] = "AI_Execution") -> None:
    """Run code now in a sandbox: stdout, stderr, `result`. Exit 3 invalid, 4 failed."""
    code = read_source(source)
    with spinner("running in the sandbox"):
        r = call(lambda c: c.execute_code(code, name))
    if as_json:
        o.emit_json(r)
    else:
        _print_execution(r)
    finish(_run_exit(r.status))


def _print_execution(r: Any) -> None:
    o.out.print(f"{r.execution_id}  [bold]{r.status}[/bold]  {r.execution_time_ms} ms")
    if r.output:
        o.out.print(r.output, end="", markup=False, highlight=False)
    if r.result is not None:
        o.out.print(f"result = {r.result!r}", markup=False)
    if r.error:
        o.err.print(f"{r.error.type} at line {r.error.line}: {r.error.message}", markup=False)
    if r.stderr:
        o.err.print(r.stderr, end="", markup=False, highlight=False)
    o.problems(r.problems, "problems")


@app.command()
def deploy(source: Source, as_json: Json = False,
           name: Annotated[str, typer.Option(help="the algorithm's name")] = "AI_Deployed",
           run: Annotated[bool, typer.Option("--run/--no-run", help="execute it once now")] = False,
           strategy_class: Annotated[str | None, typer.Option("--class", help="the strategy class, if several")]
           = None) -> None:
    """Validate and save code; a strategy class becomes a (stopped) strategy. Exit 3 invalid, 4 run failed."""
    code = read_source(source)
    r = call(lambda c: c.deploy_code(code, name, auto_run=run, return_result=run, strategy_class=strategy_class))
    strategy = getattr(r, "strategy", None)
    if as_json:
        o.emit_json(r)
    else:
        o.out.print(f"[bold]{r.status}[/bold]  algorithm {r.algorithm_id or '-'}"
                    + (f"  strategy {strategy.id} ({strategy.class_name})" if strategy else ""))
        o.problems(r.validation.errors, "errors")
        if r.execution:
            _print_execution(r.execution)
    if not r.validation.valid:
        finish(Exit.INVALID_CODE)
    finish(Exit.OK if r.success else Exit.FAILED_RUN)


# Backtests


@app.command()
def backtest(
    source: Source, as_json: Json = False,
    symbol: Annotated[str, typer.Option(help="e.g. BTC/USDT:USDT")] = "BTC/USDT:USDT",
    timeframe: Annotated[str, typer.Option(help="1m 5m 15m 30m 1h 2h 4h 1d")] = "1h",
    limit: Annotated[int | None, typer.Option(help="the newest N candles")] = None,
    start: Annotated[str | None, typer.Option(help="range start (ISO 8601, UTC)")] = None,
    end: Annotated[str | None, typer.Option(help="range end (ISO 8601, UTC)")] = None,
    exchange: Annotated[str | None, typer.Option(help="binance or okx")] = None,
    params: Annotated[str | None, typer.Option(help="strategy_params as JSON")] = None,
    config: Annotated[str | None, typer.Option(help="more backtest_config fields as JSON")] = None,
    html: Annotated[Path | None, typer.Option(help="write a self-contained HTML report here")] = None,
) -> None:
    """Backtest a strategy file: a metrics table (or --json), optionally an HTML report. Exit 3 invalid, 4 failed."""
    code = read_source(source)
    settings = {**(parse_json(config, "--config") or {}),
                **{k: v for k, v in {"symbol": symbol, "timeframe": timeframe, "limit": limit, "start": start,
                                     "end": end, "exchange": exchange}.items() if v is not None}}
    strategy_params = parse_json(params, "--params")
    with spinner(f"backtesting on {symbol} {timeframe}"):
        r = call(lambda c: c.run_backtest(code, settings, strategy_params))
    if html is not None and r.get("success"):
        from botmoon_client.cli.report import render

        html.write_text(render(r), encoding="utf-8")
    if as_json:
        o.emit_json(r)
    else:
        print_backtest(r, html)
    if not r.get("success"):
        finish(Exit.INVALID_CODE if r.get("problems") or r.get("status") == "rejected" else Exit.FAILED_RUN)


def print_backtest(r: dict[str, Any], html: Path | None) -> None:
    cfg = r.get("config", {})
    o.out.print(f"[bold]{r.get('backtest_id', '')}[/bold]  {cfg.get('exchange', '')} {cfg.get('symbol', '')} "
                f"{cfg.get('timeframe', '')}  {cfg.get('data_points', '')} candles")
    if not r.get("success"):
        error = r.get("error") or {}
        o.err.print(f"[red]{r.get('status', 'failed')}[/red]: {error.get('type', '')} at line {error.get('line', 0)}: "
                    f"{error.get('message', '')}", markup=False)
        for p in r.get("problems") or []:
            o.err.print(f"line {p.get('line')}, column {p.get('column')}, {p.get('rule')}: {p.get('message')}",
                        markup=False)
        return
    o.table("metrics", ["metric", "value"], [[k, v] for k, v in (r.get("metrics") or {}).items()])
    for w in r.get("warnings") or []:
        o.err.print(f"[yellow]warning:[/yellow] {w}", markup=True)
    if html is not None:
        o.out.print(f"report: {html}")


# History


@executions_app.command("list")
def executions_list(as_json: Json = False, limit: Annotated[int, typer.Option(help="how many")] = 20) -> None:
    """Executions, newest first."""
    r = call(lambda c: c.list_executions(limit))
    if as_json:
        return o.emit_json(r)
    o.table("executions", ["id", "name", "status", "ms", "created"],
            [[e.execution_id, e.name, e.status, e.execution_time_ms, e.created_at] for e in r.executions])


@executions_app.command("show")
def executions_show(execution_id: str, as_json: Json = False) -> None:
    """One execution."""
    r = call(lambda c: c.get_execution(execution_id))
    o.emit_json(r) if as_json else _print_execution(r)


# Strategies


def _strategy_rows(items: list[Any]) -> list[list[Any]]:
    return [[s.id, s.name, s.class_name, s.status, getattr(s, "state", ""), ",".join(s.config.symbols),
             s.config.timeframe, s.counters.signals, s.last_error or ""] for s in items]


STRATEGY_COLUMNS = ["id", "name", "class", "status", "state", "symbols", "tf", "signals", "last error"]


@strategies_app.command("list")
def strategies_list(as_json: Json = False, status: Annotated[str | None, typer.Option(
        help="stopped, running or error")] = None) -> None:
    """Every strategy, newest first."""
    r = call(lambda c: c.list_strategies(status))
    o.emit_json(r) if as_json else o.table("strategies", STRATEGY_COLUMNS, _strategy_rows(r.strategies))


@strategies_app.command("show")
def strategies_show(strategy_id: str, as_json: Json = False) -> None:
    """One strategy with its configuration, last signal and counters."""
    r = call(lambda c: c.get_strategy(strategy_id))
    o.emit_json(r) if as_json else o.out.print_json(data=o.plain(r.strategy))


def _change_body(symbols: list[str] | None, timeframe: str | None, interval: float | None,
                 endpoints: list[int] | None, exchange: str | None) -> dict[str, Any]:
    return {k: v for k, v in {"symbols": symbols or None, "timeframe": timeframe, "interval_seconds": interval,
                              "webhook_endpoint_ids": endpoints or None, "exchange": exchange}.items()
            if v is not None}


Symbols = Annotated[list[str] | None, typer.Option("--symbol", help="a symbol (repeat for several)")]
Endpoints = Annotated[list[int] | None, typer.Option("--endpoint", help="a webhook endpoint id (repeat)")]


@strategies_app.command("start")
def strategies_start(strategy_id: str, as_json: Json = False, symbol: Symbols = None,
                     timeframe: Annotated[str | None, typer.Option()] = None,
                     interval: Annotated[float | None, typer.Option(help="seconds between checks")] = None,
                     endpoint: Endpoints = None, exchange: Annotated[str | None, typer.Option()] = None) -> None:
    """Start live signals."""
    body = _change_body(symbol, timeframe, interval, endpoint, exchange)
    r = call(lambda c: c.start_strategy(strategy_id, body or None))
    o.emit_json(r) if as_json else o.table(r.message, STRATEGY_COLUMNS, _strategy_rows([r.strategy]))


@strategies_app.command("stop")
def strategies_stop(strategy_id: str, as_json: Json = False) -> None:
    """Stop live signals."""
    r = call(lambda c: c.stop_strategy(strategy_id))
    o.emit_json(r) if as_json else o.table(r.message, STRATEGY_COLUMNS, _strategy_rows([r.strategy]))


@strategies_app.command("config")
def strategies_config(strategy_id: str, as_json: Json = False, symbol: Symbols = None,
                      timeframe: Annotated[str | None, typer.Option()] = None,
                      interval: Annotated[float | None, typer.Option(help="seconds between checks")] = None,
                      endpoint: Endpoints = None, exchange: Annotated[str | None, typer.Option()] = None,
                      params: Annotated[str | None, typer.Option(help="parameters as JSON")] = None,
                      name: Annotated[str | None, typer.Option()] = None,
                      enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None) -> None:
    """Change a strategy's configuration (a running one uses it from its next round)."""
    body = {**_change_body(symbol, timeframe, interval, endpoint, exchange),
            **{k: v for k, v in {"params": parse_json(params, "--params"), "name": name, "enabled": enabled}.items()
               if v is not None}}
    r = call(lambda c: c.configure_strategy(strategy_id, body))
    o.emit_json(r) if as_json else o.table(r.message, STRATEGY_COLUMNS, _strategy_rows([r.strategy]))


# Console and markets


@app.command()
def status(as_json: Json = False) -> None:
    """What runs: the console's summary counts and the running strategies."""
    r = call(lambda c: c.get_console_status())
    if as_json:
        return o.emit_json(r)
    o.table("summary", ["count", "value"], [[k, v] for k, v in r.summary.model_dump().items()])
    running = [s for s in r.strategies if s.status == "running"]
    o.table("running", STRATEGY_COLUMNS, _strategy_rows(running))


@app.command()
def markets(as_json: Json = False, exchange: Annotated[str | None, typer.Option()] = None) -> None:
    """Symbols with candles, exchanges and timeframes."""
    r = call(lambda c: c.list_symbols(exchange))
    if as_json:
        return o.emit_json(r)
    o.table("symbols", ["symbol", "name", "type", "exchange", "timeframes"],
            [[s.symbol, s.name, s.type, s.exchange, " ".join(s.timeframes)] for s in r.symbols])
    o.out.print(f"exchanges: {', '.join(r.exchanges)}   timeframes: {' '.join(r.timeframes)}")


# Webhooks


@webhooks_app.command("list")
def webhooks_list(as_json: Json = False) -> None:
    """Stored webhook endpoints."""
    r = call(lambda c: c.list_webhook_endpoints())
    o.emit_json(r) if as_json else o.table("endpoints", ["id", "name", "url", "enabled", "secret"], [
        [e.id, e.name, e.url, e.enabled, e.has_secret] for e in r.endpoints])


@webhooks_app.command("add")
def webhooks_add(url: str, as_json: Json = False, name: Annotated[str, typer.Option()] = "",
                 secret: Annotated[bool, typer.Option("--secret/--no-secret", help="generate a signing secret")]
                 = True) -> None:
    """Store an endpoint; prints its signing secret once."""
    r = call(lambda c: c.create_webhook_endpoint({"url": url, "name": name, "generate_secret": secret}))
    o.emit_json(r) if as_json else o.out.print(f"endpoint {r.endpoint.id}  secret {r.endpoint.secret or '-'}")


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: int, as_json: Json = False) -> None:
    """Remove an endpoint (its delivery log stays)."""
    r = call(lambda c: c.delete_webhook_endpoint(endpoint_id))
    o.emit_json(r) if as_json else o.out.print(f"removed {endpoint_id}")


@webhooks_app.command("test")
def webhooks_test(as_json: Json = False, url: Annotated[str | None, typer.Option()] = None,
                  endpoint: Annotated[int | None, typer.Option(help="a stored endpoint id")] = None) -> None:
    """Send the sample payload to a URL or a stored endpoint. Exit 4 when it was not delivered."""
    r = call(lambda c: c.test_webhook({k: v for k, v in {"webhook_url": url, "endpoint_id": endpoint}.items()
                                       if v is not None}))
    o.emit_json(r) if as_json else o.out.print(f"{r.delivery.delivery_id}  {r.delivery.status}  "
                                               f"{r.delivery.attempts} attempt(s)  {r.delivery.error or ''}")
    finish(Exit.OK if r.success else Exit.FAILED_RUN)


@webhooks_app.command("send")
def webhooks_send(
    as_json: Json = False, url: Annotated[str | None, typer.Option(help="the receiver")] = None,
    endpoint: Annotated[int | None, typer.Option(help="a stored endpoint id")] = None,
    symbol: Annotated[str, typer.Option()] = "BTCUSDT",
    side: Annotated[str, typer.Option(help="e.g. BUY_MARKET, SELL_MARKET")] = "BUY_MARKET",
    price: Annotated[float, typer.Option()] = 0.0,
    signal_type: Annotated[str, typer.Option()] = "MANUAL",
    timeframe: Annotated[str, typer.Option()] = "15",
    tp: Annotated[float | None, typer.Option("--tp", help="take-profit %")] = None,
    sl: Annotated[float | None, typer.Option("--sl", help="stop-loss %")] = None,
) -> None:
    """Send one signal (the contract's payload) to a URL or a stored endpoint. Exit 4 when it was not delivered."""
    body = {k: v for k, v in {"webhook_url": url, "endpoint_id": endpoint, "symbol": symbol, "side": side,
                              "price": price, "signal_type": signal_type, "timeframe": timeframe, "tp_pct": tp,
                              "sl_pct": sl}.items() if v is not None}
    r = call(lambda c: c.send_webhook(body))
    o.emit_json(r) if as_json else o.out.print(f"{r.delivery.delivery_id}  {r.delivery.status}  "
                                               f"{r.delivery.attempts} attempt(s)  {r.delivery.error or ''}")
    finish(Exit.OK if r.success else Exit.FAILED_RUN)


@webhooks_app.command("deliveries")
def webhooks_deliveries(as_json: Json = False, limit: Annotated[int, typer.Option()] = 20) -> None:
    """The delivery log, newest first."""
    r = call(lambda c: c.list_webhook_deliveries(limit=limit))
    o.emit_json(r) if as_json else o.table("deliveries", ["id", "event", "status", "attempts", "code", "url"], [
        [d.delivery_id, d.event, d.status, d.attempts, d.response_code, d.url] for d in r.deliveries])


# MCP


@app.command()
def mcp(url: Annotated[str | None, typer.Option(envvar="BOTMOON_URL", help="the gateway the tools call")] = None,
        api_key: Annotated[str | None, typer.Option(envvar="BOTMOON_API_KEY", help="its API key")] = None) -> None:
    """Serve Botmoon's MCP tools over stdio (for desktop chats such as Claude Desktop)."""
    from botmoon_client.mcp import run_stdio

    run_stdio(url or Settings.url, api_key or Settings.api_key)


def main() -> None:
    from botmoon_client.cli.candles import candles_app
    from botmoon_client.cli.sweep import sweep_app

    app.add_typer(candles_app, name="candles")
    app.add_typer(sweep_app, name="sweep")
    app()
