"""The MCP server through the SDK's own client against the real stack: over stdio (a spawned `botmoon mcp`)
and over streamable HTTP (the gateway's /mcp). The tool list must match the checked-in snapshot
(BOTMOON_UPDATE_SNAPSHOT=1 rewrites it, so a change is deliberate), and a chat's whole worked conversation
runs: template -> broken code -> error with its line -> fixed -> backtest -> deploy -> start -> running in
/api/console/running -> stopped."""

import asyncio
import json
import os
import re
import uuid
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession

from botmoon_testing.clients import call, http_session, stdio_session

pytestmark = [pytest.mark.docker, pytest.mark.stack]

SNAPSHOT = Path(__file__).parent / "snapshots" / "mcp_tools.json"


def tool_listing(tools) -> list[dict]:
    return [{"name": t.name, "title": t.title, "description": t.description, "input_schema": t.input_schema,
             "output_schema": t.output_schema,
             "annotations": t.annotations.model_dump(by_alias=True, exclude_none=True)}
            for t in sorted(tools, key=lambda t: t.name)]


def check_snapshot(listing: list[dict]) -> None:
    if os.environ.get("BOTMOON_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert [t["name"] for t in listing] == [t["name"] for t in expected]
    for got, want in zip(listing, expected, strict=True):
        assert got == want, f"tool {got['name']} differs from {SNAPSHOT.name}; rerun with BOTMOON_UPDATE_SNAPSHOT=1"


async def conversation(session: ClientSession, rest_url: str, headers: dict[str, str] | None = None) -> None:
    listing = tool_listing((await session.list_tools()).tools)
    check_snapshot(listing)
    assert {t["name"]: t["annotations"]["readOnlyHint"] for t in listing}["run_backtest"] is False
    assert {t["name"]: t["annotations"]["destructiveHint"] for t in listing}["stop_strategy"] is True

    resources = {str(r.uri) for r in (await session.list_resources()).resources}
    assert {"botmoon://strategy/template", "botmoon://docs/api", "botmoon://docs/backtest-semantics"} <= resources
    semantics = await session.read_resource("botmoon://docs/backtest-semantics")
    assert "Backtest semantics" in semantics.contents[0].text
    prompt = await session.get_prompt("write_botmoon_strategy", {"idea": "RSI mean reversion"})
    text = prompt.messages[0].content.text
    assert "RSI mean reversion" in text and "generate_signals" in text

    # 1. the template
    result, _ = await call(session, "get_strategy_template")
    assert not result.is_error
    template, params = result.structured_content["code"], result.structured_content["strategy_params"]
    assert "def generate_signals" in template
    resource = await session.read_resource("botmoon://strategy/template")
    assert resource.contents[0].text == template

    # 2. broken code: a blocked import on line 3 -> a tool error naming line, column and rule
    lines = template.splitlines()
    broken = "\n".join(["import math", "", "import subprocess", *lines])
    result, text = await call(session, "validate_strategy", code=broken)
    assert result.is_error, text
    assert re.search(r"line 3, column \d+, rule blocked-import: .*subprocess", text), text
    result, text = await call(session, "run_backtest", code=broken, limit=200)
    assert result.is_error and "line 3" in text, text

    # 3. fixed
    fixed = "\n".join(["import math", "", *lines])
    result, text = await call(session, "validate_strategy", code=fixed)
    assert not result.is_error, text
    assert result.structured_content["valid"] is True

    # 4. backtest, then the full result by id
    result, text = await call(session, "run_backtest", code=fixed, symbol="BTC/USDT:USDT", timeframe="1h", limit=300,
                              strategy_params=params)
    assert not result.is_error, text
    summary = result.structured_content
    assert summary["backtest_id"].startswith("bt") and summary["config"]["data_points"] == 300
    assert summary["trades"]["count"] == summary["metrics"]["total_trades"] > 0
    result, text = await call(session, "get_backtest", backtest_id=summary["backtest_id"])
    assert not result.is_error, text
    full = result.structured_content
    assert len(full["trades"]) == summary["trades"]["count"] and "equity_curve" not in full

    # 5. deploy, 6. start
    name = f"mcp-{uuid.uuid4().hex[:8]}"
    result, text = await call(session, "deploy_strategy", code=fixed, name=name)
    assert not result.is_error, text
    strategy_id = result.structured_content["strategy_id"]
    assert strategy_id and f"class {result.structured_content['class_name']}" in fixed
    result, text = await call(session, "start_strategy", strategy_id=strategy_id, symbols=["BTC/USDT:USDT"],
                              timeframe="1h", interval_seconds=60)
    assert not result.is_error, text
    assert result.structured_content["strategy"]["status"] == "running"

    # 7. running, seen by REST and by the console tool
    with httpx.Client(base_url=rest_url, headers=headers or {}) as rest:
        running = rest.get("/api/console/running").json()
        assert strategy_id in [s["id"] for s in running["strategies"]]
        result, text = await call(session, "console_status")
        assert strategy_id in [s["id"] for s in result.structured_content["running"]], text

        # 8. stopped (twice: the tool is idempotent)
        result, text = await call(session, "stop_strategy", strategy_id=strategy_id)
        assert not result.is_error and result.structured_content["strategy"]["status"] == "stopped", text
        result, text = await call(session, "stop_strategy", strategy_id=strategy_id)
        assert not result.is_error and result.structured_content["message"] == "not running", text
        running = rest.get("/api/console/running").json()
        assert strategy_id not in [s["id"] for s in running["strategies"]]

    # the other tools answer too
    result, text = await call(session, "list_markets")
    assert not result.is_error and "BTC/USDT:USDT" in [s["symbol"] for s in result.structured_content["symbols"]]
    result, text = await call(session, "get_candles", symbol="BTC/USDT:USDT", timeframe="1h", limit=50)
    assert not result.is_error and result.structured_content["count"] == 50 == len(result.structured_content["close"])
    result, text = await call(session, "get_candles", symbol="BTC/USDT:USDT", limit=100_000)
    assert result.is_error and "limit" in text
    result, text = await call(session, "execute_code", code="print('hi')\nresult = 6 * 7")
    assert not result.is_error and result.structured_content["result"] == 42, text
    result, text = await call(session, "execute_code", code="x = 1\ny = 1 / 0\n")
    assert result.is_error and "ZeroDivisionError" in text and "line 2" in text, text
    result, text = await call(session, "list_strategies")
    assert strategy_id in [s["id"] for s in result.structured_content["strategies"]]
    result, text = await call(session, "get_backtest", backtest_id="bt_nope")
    assert result.is_error and "404" in text


def test_mcp_over_http_worked_conversation(gateway):
    async def main():
        async with http_session(gateway.url) as session:
            await conversation(session, gateway.url)
    asyncio.run(main())


def test_mcp_over_stdio_worked_conversation(gateway):
    async def main():
        async with stdio_session(gateway.url) as session:
            await conversation(session, gateway.url)
    asyncio.run(main())


def test_mcp_origin_check(gateway):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"accept": "application/json, text/event-stream"}
    with httpx.Client(base_url=gateway.url) as client:
        refused = client.post("/mcp", json=init, headers={**headers, "origin": "https://evil.example"})
        assert refused.status_code == 403
        assert refused.json()["fields"][0]["field"] == "Origin"
        for origin in ("http://localhost:3000", gateway.url, None):
            reply = client.post("/mcp", json=init, headers={**headers, **({"origin": origin} if origin else {})})
            assert reply.status_code == 200, (origin, reply.text)
            assert reply.json()["result"]["serverInfo"]["name"] == "botmoon"
        rebinding = client.post("/mcp", json=init, headers={**headers, "host": "evil.example"})
        assert rebinding.status_code == 400
