"""The MCP server (botmoon_client.mcp) at /mcp over streamable HTTP, behind the gateway's API keys and Host check.

Tools call the REST API in-process (httpx's ASGI transport into this same app), with the caller's key, so a
tool call is one REST request with its log line, metrics and limits. The spec asks servers to check Origin
against DNS rebinding: a browser Origin is admitted when it is local, the gateway's own, or listed in
GATEWAY_MCP_ALLOWED_ORIGINS; any other is a 403. Requests without Origin (chat servers, CLIs) pass.
"""

from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route

from botmoon_client import AsyncBotmoon
from botmoon_client.mcp import build_server
from botmoon_gateway.allowed_hosts import LOCAL_NAMES, host_name, is_ip, matches
from botmoon_gateway.errors import error_body
from botmoon_gateway.middleware import reply_json

PATH = "/mcp"
FORWARDED = ("authorization", "x-api-key", "x-request-id")
CALLER = b"x-botmoon-mcp-caller"


def origin_allowed(origin: str, host: str, extra: list[str]) -> bool:
    """Absent, local (localhost, loopback), the request's own host, or on the list (exact origin or `*`)."""
    if not origin:
        return True
    origin = origin.strip().lower().rstrip("/")
    if origin in extra or "*" in extra:
        return True
    name = urlsplit(origin).hostname or ""
    if any(matches(name, p) for p in LOCAL_NAMES) or (is_ip(name) and name.startswith(("127.", "::1"))):
        return True
    return bool(host) and urlsplit(origin).netloc == host.strip().lower() and host_name(host) == name


class OriginCheck:
    def __init__(self, app, extra: list[str]):
        self.app = app
        self._extra = [o.strip().lower().rstrip("/") for o in extra if o.strip()]

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin_allowed(origin, headers.get(b"host", b"").decode("latin-1"), self._extra):
            return await self.app(scope, receive, send)
        await reply_json(send, 403, error_body("invalid request", [{
            "field": "Origin", "reason": f"'{origin[:100]}' is not an allowed origin (GATEWAY_MCP_ALLOWED_ORIGINS)"}]))


class AsCaller:
    """The app as the in-process client reaches it: each call keeps the address of the MCP request it serves
    (fair use counts a client without a key by its address). Only the tools' own client reaches this."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and (caller := dict(scope["headers"]).get(CALLER)):
            scope = {**scope, "client": (caller.decode("latin-1"), 0),
                     "headers": [(k, v) for k, v in scope["headers"] if k != CALLER]}
        await self.app(scope, receive, send)


def _caller(ctx) -> str | None:
    request = getattr(ctx.request_context, "request", None) if ctx is not None else None
    client = getattr(request, "client", None)
    return client.host if client else None


class Sessions:
    """What the app's lifespan runs: the SDK's session manager, and the tools' client closed at the end."""

    def __init__(self, manager, client: AsyncBotmoon):
        self._manager, self._client = manager, client

    @asynccontextmanager
    async def run(self):
        try:
            async with self._manager.run():
                yield
        finally:
            await self._client.close()


def install(app: FastAPI, allowed_origins: list[str], api_keys: list[str]) -> Sessions:
    """Adds the /mcp route; returns its sessions, which the app's lifespan must run."""
    inner = AsyncBotmoon("http://localhost", api_keys[0] if api_keys else None, max_retries=0,
                         timeout=httpx.Timeout(None), transport=httpx.ASGITransport(app=AsCaller(app)))

    def client_for(ctx) -> AsyncBotmoon:
        headers = (ctx.headers if ctx is not None else None) or {}
        forwarded = {k: v for k in FORWARDED if (v := headers.get(k))}
        if caller := _caller(ctx):
            forwarded[CALLER.decode()] = caller
        return inner.with_headers(forwarded) if forwarded else inner

    server = build_server(client_for)
    # Stateless JSON replies: any replica answers any request (no sticky sessions behind a load balancer).
    # Host is checked for the whole gateway (AllowedHosts); Origin here.
    mcp_app = server.streamable_http_app(
        streamable_http_path=PATH, stateless_http=True, json_response=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
    endpoint = next(r.endpoint for r in mcp_app.routes if isinstance(r, Route) and r.path == PATH)
    app.router.routes.append(Route(PATH, endpoint=OriginCheck(endpoint, allowed_origins), include_in_schema=False))
    return Sessions(server.session_manager, inner)
