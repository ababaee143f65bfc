"""The sweep tools through the MCP SDK's own client against the real stack, as a chat uses them: start a sweep,
poll get_sweep as its next_step says until it is completed, read the best row's full result, and get the
server's refusals as tool errors that name the field. Over streamable HTTP (/mcp) and stdio (`botmoon mcp`)."""

import asyncio

import httpx
import pytest
from mcp import ClientSession

from botmoon_testing.clients import call, http_session, stdio_session

pytestmark = [pytest.mark.docker, pytest.mark.stack]

POLL_DEADLINE_S = 300


async def poll_until_done(session: ClientSession, sweep_id: str) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + POLL_DEADLINE_S
    while True:
        result, text = await call(session, "get_sweep", sweep_id=sweep_id, top=20)
        assert not result.is_error, text
        view = result.structured_content
        if view["status"] not in ("queued", "running"):
            return view
        assert "call get_sweep again" in view["next_step"]
        assert loop.time() < deadline, f"still {view['status']}: {view['progress']}"
        await asyncio.sleep(0.5)


async def chat(session: ClientSession, rest_url: str) -> None:
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert {"start_sweep", "get_sweep", "get_sweep_result", "cancel_sweep"} <= set(tools)
    assert tools["get_sweep"].annotations.read_only_hint is True
    assert tools["cancel_sweep"].annotations.destructive_hint is True
    assert "walk_forward" in tools["start_sweep"].input_schema["properties"]

    code = httpx.get(f"{rest_url}/api/backtest/example", params={"name": "ema_cross"}).json()["code"]

    result, text = await call(session, "start_sweep", code=code, limit=300, min_trades=1,
                              space={"fast_period": {"start": 5, "stop": 15, "step": 5}, "slow_period": [30, 50]})
    assert not result.is_error, text
    started = result.structured_content
    assert started["sweep_id"].startswith("sw_") and started["total"] == started["combinations"] == 6
    assert started["windows"] is None and "get_sweep" in started["next_step"]

    view = await poll_until_done(session, started["sweep_id"])
    assert view["status"] == "completed" and view["progress"]["done"] == 6 and view["error"] is None
    assert view["next_step"].startswith("done")
    rows = view["results"]
    assert sorted((r["params"]["fast_period"], r["params"]["slow_period"]) for r in rows) == [
        (f, s) for f in (5, 10, 15) for s in (30, 50)]
    assert view["best"] == rows[0] and rows[0]["rank"] == 1
    rest = httpx.get(f"{rest_url}/api/backtest/sweeps/{started['sweep_id']}").json()
    assert [r["combination_id"] for r in rest["results"]] == [r["combination_id"] for r in rows]

    result, text = await call(session, "get_sweep_result", sweep_id=started["sweep_id"],
                              combination_id=rows[0]["combination_id"])
    assert not result.is_error, text
    full = result.structured_content
    assert full["metrics"] == rows[0]["metrics"] and full["params"] == rows[0]["params"]
    assert "equity_curve" not in full and len(full["trades"]) == full["metrics"]["total_trades"]

    result, text = await call(session, "cancel_sweep", sweep_id=started["sweep_id"])
    assert not result.is_error and result.structured_content["status"] == "completed", text

    result, text = await call(session, "start_sweep", code=code, space={"no_such_param": [1, 2]}, limit=300)
    assert result.is_error and "space.no_such_param" in text and "does not take" in text, text
    result, text = await call(session, "start_sweep", code=code, space={"fast_period": [5, 10]}, limit=300,
                              walk_forward={"in_sample": "60d", "out_of_sample": "30d"})
    assert result.is_error and "start" in text, text  # walk-forward needs a fixed date range
    result, text = await call(session, "get_sweep", sweep_id="sw_missing")
    assert result.is_error and "404" in text


def test_sweep_tools_over_http(gateway):
    async def main():
        async with http_session(gateway.url) as session:
            await chat(session, gateway.url)
    asyncio.run(main())


def test_sweep_tools_over_stdio(gateway):
    async def main():
        async with stdio_session(gateway.url) as session:
            await chat(session, gateway.url)
    asyncio.run(main())
