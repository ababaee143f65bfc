"""The /mcp mount's pure parts: which browser Origins pass, and the in-process calls keeping the caller."""

import asyncio

import pytest

from botmoon_gateway.mcp_mount import CALLER, AsCaller, origin_allowed


@pytest.mark.parametrize(("origin", "host", "extra", "allowed"), [
    ("", "botmoon.lan:37674", [], True),  # no Origin: not a browser
    ("http://localhost:3000", "127.0.0.1:37674", [], True),
    ("http://127.0.0.1:5173", "127.0.0.1:37674", [], True),
    ("http://[::1]:8080", "[::1]:37674", [], True),
    ("http://botmoon.lan:37674", "botmoon.lan:37674", [], True),  # the gateway's own page
    ("https://evil.example", "127.0.0.1:37674", [], False),
    ("http://botmoon.lan:9999", "botmoon.lan:37674", [], False),  # same name, another origin
    ("http://192.168.1.7:8000", "127.0.0.1:37674", [], False),  # a page on another machine
    ("https://claude.ai", "botmoon.lan", ["https://claude.ai"], True),
    ("https://claude.ai/", "botmoon.lan", ["https://claude.ai"], True),
    ("https://claude.ai.evil.example", "botmoon.lan", ["https://claude.ai"], False),
    ("https://anything.example", "botmoon.lan", ["*"], True),
])
def test_origins(origin, host, extra, allowed):
    assert origin_allowed(origin, host, extra) is allowed


def test_in_process_calls_keep_the_callers_address():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope)

    scope = {"type": "http", "client": ("127.0.0.1", 123), "headers": [(CALLER, b"203.0.113.9"), (b"x", b"1")]}
    asyncio.run(AsCaller(app)(scope, None, None))
    assert seen[0]["client"] == ("203.0.113.9", 0) and seen[0]["headers"] == [(b"x", b"1")]
    asyncio.run(AsCaller(app)({"type": "http", "client": ("127.0.0.1", 1), "headers": []}, None, None))
    assert seen[1]["client"] == ("127.0.0.1", 1)
