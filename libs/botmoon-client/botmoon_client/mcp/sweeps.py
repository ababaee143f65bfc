"""The sweep tools: start a parameter sweep (optionally walk-forward), then poll it for progress and the ranked
table, read one combination's full result, or cancel it. A slow job as a start-then-read pair."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from botmoon_client import models as m
from botmoon_client.errors import APIConnectionError, APIStatusError, ConflictError
from botmoon_client.mcp import outputs as o

START_SWEEP = """Start a parameter sweep: the same strategy backtested for every combination of parameter values
(or `samples` random ones), spread over Botmoon's backtest nodes, then ranked by `objective`. Returns a
sweep_id at once; then call get_sweep(sweep_id) every few seconds until status is completed (it says when to
ask again). Use it to choose parameters, not to prove them: with walk_forward set, each window picks the best
combination on its in-sample part and tests it on the following out-of-sample part, and get_sweep reports
the out-of-sample results and an overfitting warning — trust those over the in-sample ranking.

space maps each parameter of the strategy's __init__ (the names it reads with params.get) to its values:
a list [5, 10, 20]; an inclusive range {"start": 5, "stop": 50, "step": 5}; or, only with samples, bounds
{"min": 0.5, "max": 3.0, "integer": false}. Keep grids small (tens to a few hundred combinations); a space
larger than the server's limit, a parameter the strategy does not take, or walk-forward windows that do not
fit the data range are tool errors naming the field. Walk-forward needs a date range: set start (and end)."""

Space = Annotated[dict[str, Any], Field(
    description='parameter -> values: [5, 10, 20], {"start": 5, "stop": 50, "step": 5}, or with samples '
                '{"min": 0.5, "max": 3, "integer": false}', min_length=1)]
SweepId = Annotated[str, Field(description="from start_sweep (sw_...)")]


def register(tool, client_for, _call, *, run: ToolAnnotations, read: ToolAnnotations, stop: ToolAnnotations) -> None:
    """Adds the sweep tools with the server's `tool` decorator, `client_for` and its `_call` (client errors as
    tool errors)."""

    @tool(run, "Start parameter sweep", START_SWEEP)
    async def start_sweep(
        code: Annotated[str, Field(description="the complete Python source of the strategy")], space: Space,
        ctx: Context,
        symbol: Annotated[str, Field(description="e.g. BTC/USDT:USDT (see list_markets)")] = "BTC/USDT:USDT",
        timeframe: Annotated[str, Field(description="1m, 5m, 15m, 30m, 1h, 2h, 4h or 1d")] = "1h",
        limit: Annotated[int | None, Field(description="the newest N candles (default 500)", ge=10)] = None,
        start: Annotated[str | None, Field(description="ISO 8601 UTC start of a range (walk-forward needs it)")]
        = None,
        end: Annotated[str | None, Field(description="ISO 8601 UTC end of the range")] = None,
        exchange: Annotated[str | None, Field(description="binance or okx")] = None,
        strategy_params: Annotated[dict[str, Any] | None, Field(
            description="fixed parameters; each combination's values go on top")] = None,
        samples: Annotated[int | None, Field(description="run this many random combinations instead of the "
                                                         "full grid", ge=1)] = None,
        seed: Annotated[int, Field(description="seed of the random draw")] = 0,
        objective: Annotated[m.Metric, Field(description="the metric to rank by: any key of a backtest's metrics, "
                                                         "e.g. sharpe_ratio, total_return_pct, profit_factor, "
                                                         "max_drawdown")] = "sharpe_ratio",
        maximize: Annotated[bool | None, Field(description="rank larger values first; default: true except "
                                                           "for metrics where lower is better")] = None,
        min_trades: Annotated[int | None, Field(description="results with fewer trades do not pass (they rank "
                                                            "after every passing one)", ge=0)] = None,
        constraints: Annotated[list[m.Constraint] | None, Field(
            description='more rules, e.g. [{"metric": "max_drawdown", "max": 30}]')] = None,
        walk_forward: Annotated[m.WalkForwardPlan | None, Field(
            description='e.g. {"in_sample": "365d", "out_of_sample": "90d", "mode": "rolling"}')] = None,
    ) -> o.SweepStarted:
        config = {k: v for k, v in {"symbol": symbol, "timeframe": timeframe, "limit": limit, "start": start,
                                    "end": end, "exchange": exchange}.items() if v is not None}
        rules = [{"metric": "total_trades", "min": min_trades}] if min_trades is not None else []
        rules += [c.model_dump(exclude_none=True) for c in constraints or []]
        body = {k: v for k, v in {
            "code": code, "backtest_config": config, "space": space, "strategy_params": strategy_params,
            "samples": samples, "seed": seed, "objective": objective, "maximize": maximize,
            "constraints": rules or None,
            "walk_forward": walk_forward.model_dump(exclude_none=True) if walk_forward else None}.items()
            if v is not None}
        r = await _call(client_for(ctx).create_sweep(body))
        return o.SweepStarted(sweep_id=r.sweep_id, status=r.status, total=r.total, combinations=r.combinations,
                              windows=r.windows, objective=r.objective, maximize=r.maximize,
                              next_step=o.next_step(r.status, None))

    @tool(read, "Get sweep")
    async def get_sweep(
        sweep_id: SweepId, ctx: Context,
        top: Annotated[int, Field(description="rows of the ranked table", ge=1, le=100)] = 10,
        include_equity_curve: Annotated[bool, Field(
            description="walk-forward: the stitched out-of-sample equity curve too (large)")] = False,
    ) -> o.SweepView:
        """A sweep's status and progress (done, total, failed, seconds left), the best combination so far, the
        ranked table (each row: rank, combination_id, params, objective_value, passed, metrics) and, with
        walk-forward, each window's chosen parameters with their in- and out-of-sample results, parameter
        stability and the overfitting warning. Poll it while status is queued or running; next_step says when."""
        r = await _call(client_for(ctx).get_sweep(sweep_id, top=top))
        return o.sweep_view(r, include_equity_curve)

    @tool(read, "Get sweep result")
    async def get_sweep_result(
        sweep_id: SweepId, ctx: Context,
        combination_id: Annotated[int, Field(description="a row's combination_id from get_sweep")],
        include_equity_curve: Annotated[bool, Field(description="the equity curve points too (large)")] = False,
    ) -> dict[str, Any]:
        """One combination's full backtest: metrics, every trade, config and warnings — the same document
        run_backtest stores."""
        r = await _call(client_for(ctx).get_sweep_result(sweep_id, combination_id))
        if not include_equity_curve:
            r.pop("equity_curve", None)
        return r

    @tool(stop, "Cancel sweep")
    async def cancel_sweep(sweep_id: SweepId, ctx: Context) -> o.SweepView:
        """Cancel a running sweep: no further backtest starts; rows already finished stay readable with
        get_sweep. Cancelling a sweep that has ended changes nothing."""
        client = client_for(ctx)
        try:
            r = await client.cancel_sweep(sweep_id)
        except ConflictError:
            r = await _call(client.get_sweep(sweep_id, top=10))
        except (APIStatusError, APIConnectionError) as exc:
            raise ToolError(str(exc)) from None
        return o.sweep_view(r)
