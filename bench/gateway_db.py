"""The gateway on PostgreSQL against SQLite in the same run (the seed's deploy-and-execute, a backtest), and a
burst of 200 concurrent reads of /api/ai/executions on two gateways sharing PostgreSQL against one."""

import asyncio
import itertools
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import summary_ms, write_section
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.postgres import PostgresServer
from botmoon_testing.processes import BacktestNode, Gateway, MarketData, Sandbox

SEED_DEPLOY = {"code": 'print("Hello from AI!")\nresult = 42', "name": "MyAlgorithm", "auto_run": True,
               "return_result": True}
BURST = 200


def _timed(client: httpx.Client, method: str, path: str, body: dict | None = None) -> float:
    started = time.perf_counter()
    reply = client.request(method, path, json=body)
    elapsed = time.perf_counter() - started
    assert reply.status_code == 200 and reply.json().get("success", True), reply.text
    return elapsed


async def _burst(urls: list[str], n: int) -> tuple[float, list[float]]:
    """n concurrent GET /api/ai/executions spread round robin over `urls`: (wall time, each request's time)."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        async def one(url: str) -> float:
            started = time.perf_counter()
            reply = await client.get(f"{url}/api/ai/executions", params={"limit": 50})
            assert reply.status_code == 200, reply.text
            return time.perf_counter() - started
        await asyncio.gather(*(one(url) for url in urls))  # connections open
        started = time.perf_counter()
        each = await asyncio.gather(*(one(url) for url, _ in zip(itertools.cycle(urls), range(n), strict=False)))
        return time.perf_counter() - started, list(each)


def run(quick: bool = False) -> None:
    rounds = 10 if quick else 30
    tmp = Path(tempfile.mkdtemp())
    postgres = PostgresServer().start()
    sandbox = Sandbox("bench-database", pool_size=2).start()
    marketdata = MarketData(str(tmp / "store.sqlite")).start()
    node = BacktestNode(sandbox.address, marketdata.address).start()
    peers = {"MARKETDATA_ADDR": marketdata.address, "BACKTEST_ADDR": node.address}
    pg_url = postgres.database("bench")
    gateways = {"SQLite": Gateway(sandbox.address, f"sqlite:///{tmp / 'gw.db'}", **peers).start(),
                "PostgreSQL": Gateway(sandbox.address, pg_url, **peers).start()}
    second = Gateway(sandbox.address, pg_url, **peers).start()
    try:
        samples = {name: {"deploy": [], "backtest": []} for name in gateways}
        clients = {name: httpx.Client(base_url=g.url, timeout=300) for name, g in gateways.items()}
        template = clients["SQLite"].get("/api/backtest/example").json()["code"]
        backtest = {"code": template, "backtest_config": {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 500}}
        for _ in range(rounds):  # interleaved, so both see the same machine
            for name, client in clients.items():
                samples[name]["deploy"].append(_timed(client, "POST", "/api/ai/deploy", SEED_DEPLOY))
                samples[name]["backtest"].append(_timed(client, "POST", "/api/backtest/run", backtest))
        for client in clients.values():
            client.close()
        one_url, two_urls = [gateways["PostgreSQL"].url], [gateways["PostgreSQL"].url, second.url]
        bursts = {}
        for label, urls in (("one gateway", one_url), ("two gateways", two_urls)) * 2:
            bursts[label] = asyncio.run(_burst(urls, BURST))  # the second pass of each is kept: warm
    finally:
        for gateway in (*gateways.values(), second):
            gateway.stop()
        node.stop()
        marketdata.stop()
        sandbox.stop()
        remove_pool("bench-database")
        postgres.stop()
    rows = []
    for case, label in (("deploy", "`POST /api/ai/deploy` (seed's example, auto_run)"),
                        ("backtest", "`POST /api/backtest/run` (template, 500 1h candles)")):
        s, p = summary_ms(samples["SQLite"][case]), summary_ms(samples["PostgreSQL"][case])
        rows.append(f"| {label} | {s['p50']:.0f} / {s['p99']:.0f} ms | {p['p50']:.0f} / {p['p99']:.0f} ms | "
                    f"{p['p50'] / s['p50']:.2f}× |")
    burst_rows = []
    for label, (wall, each) in bursts.items():
        e = summary_ms(each)
        burst_rows.append(f"| {label} | {wall * 1000:.0f} ms | {BURST / wall:.0f}/s | {e['p50']:.0f} ms | "
                          f"{e['p99']:.0f} ms |")
    body = f"""
The gateway on SQLite and on PostgreSQL (a local PostgreSQL 15 cluster, psycopg 3, pooled connections), in
one run with the same sandbox, market data and backtest processes; requests alternate between the two,
n={rounds} each. Then {BURST} concurrent `GET /api/ai/executions?limit=50` (after {rounds} executions were
stored), spread round robin over two gateway processes sharing the PostgreSQL database, against one.

| request | SQLite p50 / p99 | PostgreSQL p50 / p99 | PostgreSQL p50 ÷ SQLite p50 |
|---|---|---|---|
{chr(10).join(rows)}

| {BURST} concurrent reads | wall time | throughput | p50 | p99 |
|---|---|---|---|---|
{chr(10).join(burst_rows)}

Each gateway is one Python process (one event loop; the database calls run in its thread pool), so a
second gateway adds a second process's CPU; on a machine with few cores the two also share them.
"""
    write_section("database", "Gateway database: PostgreSQL against SQLite, two gateways against one", body)
    print(body)
