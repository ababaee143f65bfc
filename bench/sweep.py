"""Parameter sweep: the ema_cross template's two EMA periods on a 10 x 10 grid over one year of BTC/USDT spot 1h
(the bundled five-year file), (a) as one sweep through the gateway, (b) as backtesting.py's Backtest.optimize on
the same grid and candles, (c) as 100 separate POST /api/backtest/run calls; on the compose stack with 1 and
with 3 backtest replicas, with each container's CPU time from the container runtime's own accounting."""

import concurrent.futures
import functools
import itertools
import os
import time

import docker
import httpx

from bench.report import verdict, write_section
from bench.sweep_backtesting import optimize, year_of_candles
from botmoon_testing.compose import Stack, build_images

START, END = "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"
CONFIG = {"symbol": "BTC/USDT", "timeframe": "1h", "start": START, "end": END}
FAST = list(range(5, 25, 2))  # 10 values
SLOW = list(range(30, 130, 10))  # 10 values
QUICK_FAST, QUICK_SLOW = [5, 9, 13], [30, 50, 70]
SETTINGS = {"MARKETDATA_EXCHANGE_ACCESS": "false", "GATEWAY_FAIR_MAX_BACKTESTS": "12", "GATEWAY_FAIR_MAX_SWEEPS": "20"}
FINISHED = ("completed", "failed", "cancelled")


def cpu_ns(stack: Stack) -> dict[str, tuple[str, int]]:
    """container id -> (what it is, CPU nanoseconds so far), for the stack's containers and its user-code
    containers (the sandbox pool), from the engine's cgroup accounting (`docker stats`, one shot)."""
    client = docker.from_env()
    found = {}
    for label, kind in ((f"com.docker.compose.project={stack.project}", None),
                        (f"botmoon.sandbox.pool={stack.pool}", "user code")):
        for container in client.containers.list(filters={"label": label}):
            try:
                stats = container.stats(stream=False, one_shot=True)
                used = int(stats["cpu_stats"]["cpu_usage"]["total_usage"])
            except (docker.errors.APIError, KeyError):  # gone in the meantime
                continue
            found[container.id] = (kind or container.labels.get("com.docker.compose.service", "?"), used)
    return found


def cpu_by_kind(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per kind of container between two readings (a container born in between counts from zero; one
    that exited in between is not seen)."""
    spent: dict[str, float] = {}
    for cid, (kind, used) in after.items():
        spent[kind] = spent.get(kind, 0.0) + (used - before.get(cid, (kind, 0))[1]) / 1e9
    return spent


def measured(stack: Stack, work) -> dict:
    before, started = cpu_ns(stack), time.perf_counter()
    detail = work()
    wall = time.perf_counter() - started
    return {"wall_s": wall, "cpu_s": cpu_by_kind(before, cpu_ns(stack)), **(detail or {})}


def sweep(client: httpx.Client, template: dict, fast: list[int], slow: list[int]) -> dict:
    body = {"code": template["code"], "backtest_config": CONFIG, "strategy_params": template["strategy_params"],
            "space": {"fast_period": fast, "slow_period": slow}}
    created = client.post("/api/backtest/sweeps", json=body)
    assert created.status_code == 202, created.text
    sweep_id = created.json()["sweep_id"]
    while True:
        status = client.get(f"/api/backtest/sweeps/{sweep_id}", params={"top": 1}).json()
        if status["status"] in FINISHED:
            break
        time.sleep(0.2)
    assert status["status"] == "completed" and status["progress"]["failed"] == 0, status
    best = status["best"]
    return {"runs": status["progress"]["total"], "best": {k: best["params"][k] for k in ("fast_period", "slow_period")},
            "best_sharpe": best["objective_value"]}


def separate_runs(client: httpx.Client, template: dict, fast: list[int], slow: list[int], workers: int) -> dict:
    """Every combination as its own /api/backtest/run, `workers` at a time (one per backtest replica)."""
    def one(combo):
        params = {**template["strategy_params"], "fast_period": combo[0], "slow_period": combo[1]}
        reply = client.post("/api/backtest/run", json={"code": template["code"], "backtest_config": CONFIG,
                                                       "strategy_params": params})
        assert reply.status_code == 200 and reply.json()["success"], reply.text[:300]
        return reply.json()["node"]

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        nodes = list(pool.map(one, itertools.product(fast, slow)))
    return {"runs": len(nodes), "nodes": len(set(nodes))}


def all_replicas_serving(stack: Stack, client: httpx.Client, template: dict, timeout: float = 60) -> None:
    """Waits until every backtest replica has answered a call (new replicas are found within seconds)."""
    replicas = {c.attrs["Config"]["Hostname"] for c in stack.containers("backtest")}
    body = {"code": template["code"], "backtest_config": {"symbol": "BTC/USDT", "timeframe": "1h", "limit": 200}}
    seen: set[str] = set()
    last = None
    deadline = time.monotonic() + timeout
    while seen != replicas and time.monotonic() < deadline:
        with concurrent.futures.ThreadPoolExecutor(len(replicas)) as pool:
            replies = list(pool.map(lambda _: client.post("/api/backtest/run", json=body), range(2 * len(replicas))))
        seen |= {r.json()["node"] for r in replies if r.status_code == 200}
        last = next((r for r in replies if r.status_code != 200), last)
        time.sleep(0.5)
    assert seen == replicas, f"only {len(seen)} of {len(replicas)} replicas answered; {last and last.text[:300]}"


def on_stack(quick: bool) -> dict:
    fast, slow = (QUICK_FAST, QUICK_SLOW) if quick else (FAST, SLOW)
    build_images()
    stack = Stack(prefix="botmoon-bench", **SETTINGS)
    results = {}
    try:
        for replicas in (1, 3):
            stack.up(replicas=replicas)
            with stack.client(timeout=900) as client:
                template = client.get("/api/backtest/example", params={"name": "ema_cross"}).json()
                all_replicas_serving(stack, client, template)
                sweep(client, template, fast[:2], slow[:1])  # warm: candles cached, sandbox sessions made
                results[replicas] = {
                    "sweep": measured(stack, functools.partial(sweep, client, template, fast, slow)),
                    "runs": measured(stack, functools.partial(separate_runs, client, template, fast, slow, replicas)),
                }
    finally:
        stack.down()
    return {"fast": fast, "slow": slow, "replicas": results}


# The work that more backtest nodes share: each node's own CPU and the sandbox work its sessions make.
PER_NODE = ("backtest", "sandbox", "user code")


def projection(one: dict) -> tuple[float, float]:
    """(serial seconds, parallel seconds) of T(N) = serial + parallel / N: parallel = the CPU seconds the 1-replica
    sweep spent on the nodes' side (PER_NODE), serial = the rest of its wall time (the gateway's scheduling, the
    candle fetches, the calls' latency). Assumes each node brings its own core (and its own sandbox capacity)."""
    parallel = sum(one["cpu_s"].get(kind, 0.0) for kind in PER_NODE)
    return max(one["wall_s"] - parallel, 0.0), parallel


def _cpu_cell(cpu: dict) -> str:
    order = ["gateway", "backtest", "sandbox", "user code", "marketdata"]
    parts = [f"{kind} {cpu[kind]:.1f}" for kind in order if cpu.get(kind, 0) >= 0.05]
    parts += [f"{kind} {s:.1f}" for kind, s in sorted(cpu.items()) if kind not in order and s >= 0.05]
    return f"{sum(cpu.values()):.1f} s ({', '.join(parts)})"


def run(quick: bool = False) -> None:
    stacked = on_stack(quick)
    fast, slow = stacked["fast"], stacked["slow"]
    theirs = optimize(year_of_candles(START, END), fast, slow, tp_pct=2.0, sl_pct=1.0, commission=0.0005)
    one, three = stacked["replicas"][1], stacked["replicas"][3]
    runs = len(fast) * len(slow)
    serial, parallel = projection(one["sweep"])
    rows = []
    for replicas, r in ((1, one), (3, three)):
        rows.append(f"| sweep through the gateway, {replicas} backtest replica{'s' if replicas > 1 else ''} | "
                    f"{r['sweep']['wall_s']:.2f} s | {runs / r['sweep']['wall_s']:.1f} | {_cpu_cell(r['sweep']['cpu_s'])} |")
        rows.append(f"| {runs} separate `/api/backtest/run` calls, {replicas} at a time, {replicas} "
                    f"replica{'s' if replicas > 1 else ''} | {r['runs']['wall_s']:.2f} s | "
                    f"{runs / r['runs']['wall_s']:.1f} | {_cpu_cell(r['runs']['cpu_s'])} |")
    rows.append(f"| backtesting.py {theirs['version']} `Backtest.optimize` (its own process pool) | "
                f"{theirs['wall_s']:.2f} s | {runs / theirs['wall_s']:.1f} | {theirs['cpu_s']:.1f} s (the bench process and "
                f"its worker processes) |")
    best = min(one["sweep"]["wall_s"], three["sweep"]["wall_s"])
    vs_bt, vs_runs = theirs["wall_s"] / best, min(one["runs"]["wall_s"] / one["sweep"]["wall_s"],
                                                   three["runs"]["wall_s"] / three["sweep"]["wall_s"])
    table = "\n".join(rows)
    nodes = " · ".join(f"{n}: {serial + parallel / n:.1f} s" for n in (1, 3, 10, 30))
    body = f"""
The ema_cross template (`GET /api/backtest/example?name=ema_cross`), its `fast_period` × `slow_period` on a
{len(fast)} × {len(slow)} grid ({fast[0]}–{fast[-1]} × {slow[0]}–{slow[-1]}), over one year of BTC/USDT spot 1h
({START[:10]} to {END[:10]}, the bundled five-year file), objective `sharpe_ratio`. The compose stack (`make up
BACKTEST_REPLICAS=N`, offline, the settings' defaults for chunks and concurrency). CPU: each container's CPU
time over the measurement from the container runtime's accounting (cgroup, `docker stats`), summed by compose
service, plus the user-code containers the sandbox made on the host's engine (with a dedicated engine, they are
inside its container's figure only where the engine nests their cgroups under its own).

| case | wall time | backtests/s | CPU |
|---|---|---|---|
{table}

Best pair: the sweep {one['sweep']['best']} (sharpe {one['sweep']['best_sharpe']:.3f}); backtesting.py
{ {k: int(v) for k, v in theirs['best'].items()} } (its Sharpe {theirs['best_sharpe']:.3f}; it trades one whole BTC
per signal where the template risks 2 % of equity, so the two rank on different equity curves).

The sweep over backtesting.py: **{vs_bt:.1f}×** (target ≥ 20×: {verdict(vs_bt, 20, lower_is_better=False)}); over
the same backtests as separate calls: **{vs_runs:.1f}×** (the smaller of the 1- and 3-replica ratios; target ≥ 5×:
{verdict(vs_runs, 5, lower_is_better=False)}).

What N nodes would give, T(N) = serial + parallel / N from the 1-replica sweep: parallel = its CPU time on the
nodes' side (backtest, sandbox, user code: {parallel:.1f} s), serial = the rest of its wall time ({serial:.1f} s:
scheduling, candle fetches, latency): {nodes}. This assumes each node brings its own core and sandbox capacity;
on this {os.cpu_count()}-core machine the 3 replicas share the cores with everything else, which is why the measured
3-replica time is not T(3).
"""
    write_section("sweep", "Parameter sweep: gateway vs backtesting.py vs separate calls", body)
    print(body)
