"""With API keys on, /mcp and the CLI refuse without a key and work with one (the same keys as REST)."""

import asyncio

import httpx
import pytest

from botmoon_testing.clients import as_json, botmoon, call, http_session, stdio_session
from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack]

KEY = "h6-test-key-0123456789"


def messages(exc: BaseException) -> list[str]:
    """Every message in an exception, its causes and its group members."""
    found = [f"{type(exc).__name__}: {exc}"]
    for inner in [*getattr(exc, "exceptions", ()), exc.__cause__, exc.__context__]:
        if inner is not None and inner is not exc:
            found += messages(inner)
    return found


@pytest.fixture(scope="module")
def keyed_gateway(sandbox, marketdata, backtest_node, tmp_path_factory):
    db = tmp_path_factory.mktemp("keyed") / "botmoon.db"
    service = Gateway(sandbox.address, f"sqlite:///{db}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address, GATEWAY_API_KEYS=f"other-key-000000,{KEY}")
    service.start()
    yield service
    service.stop()


def test_cli_needs_the_key(keyed_gateway):
    done = botmoon(keyed_gateway.url, "status", "--json")
    assert done.returncode == 6 and "API key" in done.stderr
    done = botmoon(keyed_gateway.url, "status", "--json", api_key="wrong-key-000000")
    assert done.returncode == 6
    done = botmoon(keyed_gateway.url, "status", "--json", api_key=KEY)
    assert done.returncode == 0 and as_json(done)["success"] is True
    done = botmoon(keyed_gateway.url, "--api-key", KEY, "exec", "-", "--json", stdin="result = 1 + 1\n")
    assert done.returncode == 0 and as_json(done)["result"] == 2


def test_mcp_over_http_needs_the_key(keyed_gateway):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"accept": "application/json, text/event-stream"}
    refused = httpx.post(f"{keyed_gateway.url}/mcp", json=init, headers=headers)
    assert refused.status_code == 401 and "API key" in refused.json()["error"]

    async def without_key():
        async with http_session(keyed_gateway.url) as session:
            await session.list_tools()

    with pytest.raises(Exception) as caught:  # the SDK's client fails the handshake (the 401 is checked above)
        asyncio.run(without_key())
    assert any(m.startswith("MCPError: Server returned an error response") for m in messages(caught.value))

    async def with_key(headers: dict[str, str]):
        async with http_session(keyed_gateway.url, headers) as session:
            assert "run_backtest" in [t.name for t in (await session.list_tools()).tools]
            result, text = await call(session, "execute_code", code="result = 40 + 2")
            assert not result.is_error and result.structured_content["result"] == 42, text
            template = await session.read_resource("botmoon://strategy/template")
            assert "generate_signals" in template.contents[0].text
            result, text = await call(session, "list_strategies")
            assert not result.is_error, text

    asyncio.run(with_key({"authorization": f"Bearer {KEY}"}))
    asyncio.run(with_key({"x-api-key": KEY}))


def test_mcp_over_stdio_uses_the_key(keyed_gateway):
    async def run(api_key):
        async with stdio_session(keyed_gateway.url, api_key) as session:
            return await call(session, "console_status")

    result, text = asyncio.run(run(None))
    assert result.is_error and "401" in text and "API key" in text
    result, text = asyncio.run(run(KEY))
    assert not result.is_error and "summary" in result.structured_content, text
