"""The client's retry rule and error mapping, on httpx's mock transport (unit tests: no server)."""

import time

import httpx
import pytest

from botmoon_client import AsyncBotmoon, Botmoon
from botmoon_client.errors import APIConnectionError, InvalidRequestError, RateLimitError


def replies(*responses: httpx.Response):
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)
    return httpx.MockTransport(handler), seen


def test_429_then_ok_waits_what_retry_after_says():
    transport, seen = replies(httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "busy"}),
                              httpx.Response(200, json={"status": "ok"}))
    with Botmoon("http://botmoon.test", "k", transport=transport) as client:
        started = time.monotonic()
        assert client.get_health() == {"status": "ok"}
        assert time.monotonic() - started >= 1.0
    assert len(seen) == 2 and seen[0].headers["authorization"] == "Bearer k"


def test_gives_up_after_max_retries_with_the_server_message():
    transport, seen = replies(*[httpx.Response(429, headers={"Retry-After": "0"}, json={"success": False,
                                                                                       "error": "slow down"})] * 3)
    with Botmoon("http://botmoon.test", transport=transport, max_retries=2) as client, \
            pytest.raises(RateLimitError) as caught:
        client.get_health()
    assert len(seen) == 3 and caught.value.status_code == 429 and caught.value.message == "slow down"


def test_field_errors_are_not_retried_and_name_the_field():
    body = {"success": False, "error": "invalid request",
            "fields": [{"field": "backtest_config.limit", "reason": "must be at least 10"}]}
    transport, seen = replies(httpx.Response(422, json=body, headers={"x-request-id": "r1"}))
    with Botmoon("http://botmoon.test", transport=transport) as client, \
            pytest.raises(InvalidRequestError) as caught:
        client.run_backtest("code", {"limit": 5})
    assert len(seen) == 1 and caught.value.field == "backtest_config.limit" and caught.value.request_id == "r1"
    assert "backtest_config.limit: must be at least 10" in str(caught.value)


def test_ready_answers_503_as_a_reply_not_an_error(monkeypatch):
    transport, _ = replies(httpx.Response(503, json={"ready": False, "backends": {"sandbox": "DOWN"}}))
    with Botmoon("http://botmoon.test", transport=transport, max_retries=0) as client:
        assert client.get_readiness()["ready"] is False


def test_url_and_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("BOTMOON_URL", "http://elsewhere.test:1234/")
    monkeypatch.setenv("BOTMOON_API_KEY", "env-key")
    client = Botmoon()
    assert client.base_url == "http://elsewhere.test:1234" and client.api_key == "env-key"
    client.close()


def test_async_client_unreachable():
    import asyncio

    async def main():
        async with AsyncBotmoon("http://127.0.0.1:9", max_retries=1) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.get_health()
            assert "127.0.0.1:9" in str(caught.value)
    asyncio.run(main())


def test_methods_show_the_builders_parameters_and_the_reply_model():
    import inspect

    from botmoon_client import models

    with Botmoon("http://botmoon.test") as client:
        signature = inspect.signature(client.validate_strategy)
        assert list(signature.parameters) == ["code"] and signature.return_annotation is models.ValidateResponse
    assert list(inspect.signature(AsyncBotmoon.run_backtest).parameters) == ["self", "code", "config", "params"]
    assert Botmoon.run_backtest.__doc__.startswith("Backtest strategy code")
