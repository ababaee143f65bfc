"""`botmoon sweep FILE --param fast=5:50:5 ...`: a parameter sweep (optionally walk-forward) run by the gateway,
followed with a progress bar from its event stream, then the ranked table and the walk-forward summary.
`botmoon sweep status|cancel|list|result` read and stop sweeps by id."""

import json
from collections.abc import Callable
from typing import Annotated, Any

import click
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn
from typer.core import TyperGroup

from botmoon_client import Botmoon
from botmoon_client.cli import output as o
from botmoon_client.cli.app import Json, Source, call, finish, parse_json, print_backtest, read_source
from botmoon_client.cli.output import Exit

SHOWN_ROWS = 10
INTERRUPTED = 130  # what shells report for a command stopped by Ctrl-C
EXIT_BY_STATUS = {"completed": Exit.OK, "failed": Exit.FAILED_RUN, "cancelled": Exit.FAILED_RUN}


class _RunByDefault(TyperGroup):
    """`botmoon sweep FILE ...` is `botmoon sweep run FILE ...`; the other words are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


sweep_app = typer.Typer(cls=_RunByDefault, no_args_is_help=True, help=(
    "Parameter sweeps and walk-forward tests: `botmoon sweep strategy.py --param fast=5:50:5 --param "
    "slow=20,50,100` runs every combination on the backtest nodes; status, cancel, list and result read them."))


def _value(text: str) -> Any:
    """A parameter value as JSON reads it (5, 0.5, true, "x"), or the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_param(option: str) -> tuple[str, Any]:
    """`name=a:b:s` an inclusive range with a step, `name=a:b` bounds drawn at random (with --samples),
    `name=v1,v2,...` a list, `name=v` one value."""
    name, sep, spec = option.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ValueError(f"--param {option!r}: write name=start:stop:step, name=min:max or name=v1,v2,...")
    if ":" in spec:
        parts = [_value(p) for p in spec.split(":")]
        if len(parts) not in (2, 3) or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in parts):
            raise ValueError(f"--param {option!r}: a range is start:stop:step (or min:max with --samples), numbers")
        if len(parts) == 3:
            return name, {"start": parts[0], "stop": parts[1], "step": parts[2]}
        low, high = parts
        return name, {"min": low, "max": high, "integer": isinstance(low, int) and isinstance(high, int)}
    return name, [_value(v.strip()) for v in spec.split(",") if v.strip()]


def parse_constraint(text: str) -> dict[str, Any]:
    """`metric>=x` or `metric<=x`."""
    for sign, bound in ((">=", "min"), ("<=", "max")):
        metric, found, value = text.partition(sign)
        if found:
            try:
                return {"metric": metric.strip(), bound: float(value)}
            except ValueError:
                break
    raise ValueError(f"--constraint {text!r}: write metric>=number or metric<=number")


def sweep_body(code: str, config: dict[str, Any], params: list[str], *, fixed: dict[str, Any] | None,
               samples: int | None, seed: int, objective: str | None, maximize: bool | None,
               min_trades: int | None, constraints: list[str], walk_forward: dict[str, Any] | None) -> dict[str, Any]:
    """The POST /api/backtest/sweeps body from the command line's options."""
    space = dict(parse_param(p) for p in params)
    rules = ([{"metric": "total_trades", "min": min_trades}] if min_trades is not None else []) + [
        parse_constraint(c) for c in constraints]
    body: dict[str, Any] = {"code": code, "backtest_config": config, "space": space, "seed": seed}
    optional = {"strategy_params": fixed, "samples": samples, "objective": objective, "maximize": maximize,
                "constraints": rules or None, "walk_forward": walk_forward}
    body.update({k: v for k, v in optional.items() if v is not None})
    return body


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


def _params_text(params: dict[str, Any] | None) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in (params or {}).items()) or "—"


class SweepBar:
    """The sweep's progress on stderr: done/total, percent, the server's ETA and the best combination so far."""

    def __init__(self, sweep_id: str, total: int):
        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TaskProgressColumn(), TextColumn("ETA {task.fields[eta]}"),
                                  TextColumn("{task.fields[best]}"), console=o.err)
        self._task = self._progress.add_task(sweep_id, total=total, eta="?", best="")

    def __enter__(self) -> "SweepBar":
        self._progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._progress.stop()

    def update(self, sweep: Any) -> None:
        p = sweep.progress
        eta = "—" if p.eta_s is None else (f"{p.eta_s:.0f} s" if p.eta_s < 120 else f"{p.eta_s / 60:.1f} min")
        best = sweep.best
        shown = (f"best {sweep.objective} {_fmt(best.objective_value)} at {_params_text(best.params)}"
                 if best is not None else "")
        failed = f" · {p.failed} failed" if p.failed else ""
        self._progress.update(self._task, total=p.total, completed=p.done, eta=eta, best=shown + failed,
                              description=f"{sweep.sweep_id} {sweep.status}")


def follow(client: Botmoon, sweep_id: str, total: int, top: int | None) -> Any:
    """Waits for the sweep with a progress bar; Ctrl-C asks the server to cancel it."""
    with SweepBar(sweep_id, total) as bar:
        try:
            return client.wait_sweep(sweep_id, top=top, on_progress=bar.update)
        except KeyboardInterrupt:
            stopped = client.cancel_sweep(sweep_id)
            bar.update(stopped)
    o.err.print(f"interrupted: asked the server to cancel {sweep_id}; it is {stopped.status}")
    raise typer.Exit(INTERRUPTED)


def print_sweep(sweep: Any, rows: int = SHOWN_ROWS) -> None:
    """The sweep's state, its ranked table (the first `rows`) and the walk-forward summary."""
    p = sweep.progress
    direction = "highest" if sweep.maximize else "lowest"
    o.out.print(f"[bold]{sweep.sweep_id}[/bold]  {sweep.status}  {p.done}/{p.total} runs"
                + (f", {p.failed} failed" if p.failed else "") + f"  ranked by {sweep.objective} ({direction} first)")
    if sweep.error:
        o.err.print(f"[red]error:[/red] {sweep.error}", markup=True)
    ranked = sweep.results[:rows]
    names = list(dict.fromkeys(k for r in ranked for k in r.params))
    windows = ["window"] if any(r.window is not None for r in ranked) else []  # walk-forward: in-sample runs
    o.table(f"top {len(ranked)} by {sweep.objective}", ["rank", "id", *windows, *names, sweep.objective, "trades",
                                                          "return %", "max dd %", "passed"],
            [[r.rank, r.combination_id, *([r.window] if windows else []), *[r.params.get(n) for n in names],
              r.objective_value,
              r.metrics.get("total_trades"), r.metrics.get("total_return_pct"), r.metrics.get("max_drawdown"),
              "yes" if r.passed else ("error: " + r.error if r.error else "no: " + "; ".join(r.failed_constraints))]
             for r in ranked])
    if sweep.walk_forward is not None:
        print_walk_forward(sweep.walk_forward, sweep.objective)


def print_walk_forward(wf: Any, objective: str) -> None:
    o.table("walk-forward windows", ["#", "in-sample", "out-of-sample", "best parameters", f"in-sample {objective}",
                                     f"out-of-sample {objective}"],
            [[w.index, f"{w.in_sample.start:%Y-%m-%d} → {w.in_sample.end:%Y-%m-%d}",
              f"{w.out_of_sample.start:%Y-%m-%d} → {w.out_of_sample.end:%Y-%m-%d}", _params_text(w.best_params),
              w.in_sample_objective, w.out_of_sample_objective] for w in wf.windows])
    metrics = "  ".join(f"{k} {_fmt(v)}" for k, v in wf.out_of_sample_metrics.items())
    o.out.print(f"stitched out-of-sample: {metrics}  ({len(wf.stitched_equity_curve)} points)")
    o.table("parameter stability across windows", ["parameter", "distinct", "most often", "share", "coef. of var."],
            [[name, s.distinct_values, s.most_frequent, f"{s.most_frequent_share:.0%}", s.coefficient_of_variation]
             for name, s in wf.stability.items()])
    f = wf.overfitting
    line = (f"in-sample mean {_fmt(f.in_sample_mean)}, out-of-sample mean {_fmt(f.out_of_sample_mean)}, "
            f"ratio {_fmt(f.ratio)} (warning below {_fmt(f.threshold)})")
    if f.warning:
        o.err.print(f"[yellow]overfitting warning:[/yellow] {f.message or line}")
    else:
        o.out.print(f"overfitting check: {f.message or line}")


@sweep_app.command("run")
def run(
    source: Source, as_json: Json = False,
    param: Annotated[list[str], typer.Option(
        "--param", "-p", help="a parameter's values (repeat): name=5:50:5 (range, stop included), name=20,50,100 "
                              "(list), name=0.5:3 (min:max, drawn at random with --samples)")] = [],  # noqa: B006
    samples: Annotated[int | None, typer.Option(help="run N random combinations instead of the full grid")] = None,
    seed: Annotated[int, typer.Option(help="seed of the random draw (--samples)")] = 0,
    objective: Annotated[str | None, typer.Option(help="the metric to rank by (default sharpe_ratio)")] = None,
    maximize: Annotated[bool | None, typer.Option(
        "--maximize/--minimize", help="the ranking's direction (default: what the metric means)")] = None,
    min_trades: Annotated[int | None, typer.Option(help="results with fewer trades do not pass")] = None,
    constraint: Annotated[list[str], typer.Option(
        help="another rule a result must meet (repeat): metric>=x or metric<=x")] = [],  # noqa: B006
    wf_in: Annotated[str | None, typer.Option("--wf-in", help="walk-forward in-sample length, e.g. 365d")] = None,
    wf_out: Annotated[str | None, typer.Option("--wf-out", help="walk-forward out-of-sample length, e.g. 90d")]
    = None,
    wf_step: Annotated[str | None, typer.Option("--wf-step", help="window step (default: --wf-out)")] = None,
    anchored: Annotated[bool, typer.Option("--anchored", help="in-sample always starts at the data start")] = False,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="print the sweep's id and return at once")] = False,
    top: Annotated[int | None, typer.Option(help="rows of the ranked table to fetch (and show)")] = None,
    symbol: Annotated[str, typer.Option(help="e.g. BTC/USDT:USDT")] = "BTC/USDT:USDT",
    timeframe: Annotated[str, typer.Option(help="1m 5m 15m 30m 1h 2h 4h 1d")] = "1h",
    limit: Annotated[int | None, typer.Option(help="the newest N candles")] = None,
    start: Annotated[str | None, typer.Option(help="range start (ISO 8601, UTC; walk-forward needs it)")] = None,
    end: Annotated[str | None, typer.Option(help="range end (ISO 8601, UTC)")] = None,
    exchange: Annotated[str | None, typer.Option(help="binance or okx")] = None,
    params: Annotated[str | None, typer.Option(help="fixed strategy_params as JSON (under each combination)")]
    = None,
    config: Annotated[str | None, typer.Option(help="more backtest_config fields as JSON")] = None,
) -> None:
    """Sweep a strategy's parameters: a progress bar, the ranked table, the walk-forward summary; Ctrl-C cancels."""
    code = read_source(source)
    if not param:
        o.err.print("[red]error:[/red] give at least one --param name=values")
        raise typer.Exit(Exit.USAGE)
    if (wf_in is None) != (wf_out is None):
        o.err.print("[red]error:[/red] walk-forward needs both --wf-in and --wf-out")
        raise typer.Exit(Exit.USAGE)
    settings = {**(parse_json(config, "--config") or {}),
                **{k: v for k, v in {"symbol": symbol, "timeframe": timeframe, "limit": limit, "start": start,
                                     "end": end, "exchange": exchange}.items() if v is not None}}
    plan = None if wf_in is None else {k: v for k, v in {
        "in_sample": wf_in, "out_of_sample": wf_out, "step": wf_step,
        "mode": "anchored" if anchored else "rolling"}.items() if v is not None}
    try:
        body = sweep_body(code, settings, param, fixed=parse_json(params, "--params"), samples=samples, seed=seed,
                          objective=objective, maximize=maximize, min_trades=min_trades, constraints=constraint,
                          walk_forward=plan)
    except ValueError as exc:
        o.err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(Exit.USAGE) from None

    def start_and_follow(client: Botmoon) -> Any:
        created = client.create_sweep(body)
        if no_wait:
            return created
        return follow(client, created.sweep_id, created.total, top)

    result = call(start_and_follow)
    if no_wait:
        if as_json:
            return o.emit_json(result)
        o.out.print(f"{result.sweep_id}  {result.status}  {result.total} runs "
                    f"({result.combinations} combinations" + (f", {result.windows} windows)" if result.windows
                                                               else ")"))
        o.out.print(f"follow it: botmoon sweep status {result.sweep_id}")
        return None
    if as_json:
        o.emit_json(result)
    else:
        print_sweep(result, top or SHOWN_ROWS)
    finish(EXIT_BY_STATUS.get(result.status, Exit.FAILED_RUN))


SweepId = Annotated[str, typer.Argument(help="the sweep's id (sw_...)")]


def _show(action: Callable[[Botmoon], Any], as_json: bool, rows: int) -> None:
    sweep = call(action)
    if as_json:
        return o.emit_json(sweep)
    print_sweep(sweep, rows)
    return None


@sweep_app.command("status")
def status(sweep_id: SweepId, as_json: Json = False,
           top: Annotated[int | None, typer.Option(help="rows of the ranked table")] = None,
           wait: Annotated[bool, typer.Option("--wait", help="follow it with a progress bar until it ends")]
           = False) -> None:
    """A sweep's progress, best so far, ranked table and walk-forward summary."""
    if wait:
        return _show(lambda c: follow(c, sweep_id, c.get_sweep(sweep_id, top=1).progress.total, top), as_json,
                     top or SHOWN_ROWS)
    return _show(lambda c: c.get_sweep(sweep_id, top=top), as_json, top or SHOWN_ROWS)


@sweep_app.command("cancel")
def cancel(sweep_id: SweepId, as_json: Json = False) -> None:
    """Cancel a sweep: no further chunk starts and running ones stop; what finished stays readable."""
    sweep = call(lambda c: c.cancel_sweep(sweep_id))
    if as_json:
        return o.emit_json(sweep)
    o.out.print(f"{sweep.sweep_id}  {sweep.status}  {sweep.progress.done}/{sweep.progress.total} runs done")
    return None


@sweep_app.command("list")
def list_(as_json: Json = False, limit: Annotated[int | None, typer.Option(help="how many")] = None) -> None:
    """Recent sweeps, newest first."""
    r = call(lambda c: c.list_sweeps(limit))
    if as_json:
        return o.emit_json(r)
    o.table("sweeps", ["id", "status", "done", "total", "failed", "objective", "created"],
            [[s.sweep_id, s.status, s.progress.done, s.progress.total, s.progress.failed, s.objective,
              f"{s.created_at:%Y-%m-%d %H:%M:%S}"] for s in r.sweeps])
    return None


@sweep_app.command("result")
def result(sweep_id: SweepId, combination_id: Annotated[int, typer.Argument(help="the row's id column")],
           as_json: Json = False) -> None:
    """One combination's full backtest result (the document /api/backtest/run returns)."""
    r = call(lambda c: c.get_sweep_result(sweep_id, combination_id))
    if as_json:
        return o.emit_json(r)
    print_backtest(r, None)
    return None
