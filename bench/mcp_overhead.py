"""A backtest through the MCP server over HTTP (/mcp, the SDK's client) against the same backtest through REST:
same code, same config, calls interleaved on one stack. Target: MCP adds at most 10 % to the median."""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import summary_ms, verdict, write_section
from botmoon_testing.clients import call, http_session
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.processes import BacktestNode, Gateway, MarketData, Sandbox

POOL = "bench-mcp"
CONFIG = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 500}


async def _measure(url: str, rounds: int) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=300) as rest, http_session(url) as mcp:
        code = (await rest.get("/api/backtest/example")).json()["code"]
        samples: dict[str, list[float]] = {"rest": [], "mcp": [], "rest_validate": [], "mcp_validate": []}
        trades = {}
        for i in range(rounds + 2):  # the first two rounds warm up (pool, caches, connections)
            order = ("rest", "mcp") if i % 2 == 0 else ("mcp", "rest")
            for way in order:
                started = time.perf_counter()
                if way == "rest":
                    reply = (await rest.post("/api/backtest/run", json={"code": code, "backtest_config": CONFIG})).json()
                    assert reply["success"], reply
                    trades["rest"] = reply["metrics"]["total_trades"]
                else:
                    result, text = await call(mcp, "run_backtest", code=code, **CONFIG)
                    assert not result.is_error, text
                    trades["mcp"] = result.structured_content["metrics"]["total_trades"]
                elapsed = time.perf_counter() - started
                if i >= 2:
                    samples[way].append(elapsed)
            started = time.perf_counter()
            assert (await rest.post("/api/backtest/validate", json={"code": code})).json()["validation"]["valid"]
            mid = time.perf_counter()
            result, text = await call(mcp, "validate_strategy", code=code)
            assert not result.is_error, text
            if i >= 2:
                samples["rest_validate"].append(mid - started)
                samples["mcp_validate"].append(time.perf_counter() - mid)
            await asyncio.sleep(0.5)
    assert trades["rest"] == trades["mcp"], trades
    return {"samples": samples, "trades": trades["rest"]}


def run(quick: bool = False) -> None:
    tmp = Path(tempfile.mkdtemp())
    sandbox = Sandbox(POOL, pool_size=2).start()
    marketdata = MarketData(str(tmp / "store.sqlite")).start()
    node = BacktestNode(sandbox.address, marketdata.address).start()
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp / 'gw.db'}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=node.address).start()
    try:
        measured = asyncio.run(_measure(gateway.url, 10 if quick else 30))
    finally:
        gateway.stop()
        node.stop()
        marketdata.stop()
        sandbox.stop()
        remove_pool(POOL)
    s = measured["samples"]
    rest, mcp = summary_ms(s["rest"]), summary_ms(s["mcp"])
    rest_v, mcp_v = summary_ms(s["rest_validate"]), summary_ms(s["mcp_validate"])
    overhead = (mcp["p50"] - rest["p50"]) / rest["p50"] * 100
    paired = statistics.median((m - r) * 1000 for m, r in zip(s["mcp"], s["rest"], strict=True))
    body = f"""
The template backtest ({CONFIG['limit']} {CONFIG['timeframe']} candles of {CONFIG['symbol']}, {measured['trades']} trades)
through REST (`POST /api/backtest/run`, httpx) and through MCP over streamable HTTP (`tools/call run_backtest`
on `/mcp`, the SDK's client; the tool calls the same REST route in-process), alternating on one stack of
processes on loopback, n={rest['n']} each after two warm-up rounds.

| path | p50 | p99 | mean |
|---|---|---|---|
| REST `POST /api/backtest/run` | {rest['p50']:.0f} ms | {rest['p99']:.0f} ms | {rest['mean']:.0f} ms |
| MCP `run_backtest` over `/mcp` | {mcp['p50']:.0f} ms | {mcp['p99']:.0f} ms | {mcp['mean']:.0f} ms |
| REST `POST /api/backtest/validate` | {rest_v['p50']:.1f} ms | {rest_v['p99']:.1f} ms | {rest_v['mean']:.1f} ms |
| MCP `validate_strategy` | {mcp_v['p50']:.1f} ms | {mcp_v['p99']:.1f} ms | {mcp_v['mean']:.1f} ms |

MCP overhead on the backtest: **{overhead:+.1f} %** of the REST median (median of paired differences
{paired:+.1f} ms; target ≤ 10 %: {verdict(overhead, 10)}). The validate rows show the fixed cost of one MCP
call (JSON-RPC framing, the in-process REST call, the structured result) on a call that does little else.
"""
    write_section("mcp", "MCP over HTTP against REST", body)
    print(body)
