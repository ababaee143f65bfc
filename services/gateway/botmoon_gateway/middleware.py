"""ASGI middleware: a request id on every request, a cap on body size, one access log line and its metrics,
and optional API keys."""

import hmac
import json
import logging
import time

from botmoon_common import request_id
from botmoon_gateway import metrics
from botmoon_gateway.errors import error_body

log = logging.getLogger(__name__)
HEADER = b"x-request-id"


class RequestContext:
    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self._max_body = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        rid = (headers.get(HEADER, b"").decode("latin-1")[:64]) or request_id.new()
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((HEADER, rid.encode("latin-1")))
            await send(message)

        try:
            length = headers.get(b"content-length", b"0")
            if not length.isdigit() or int(length) > self._max_body:
                await reply_json(send_with_id, 413, error_body(
                    "request body too large", [{"field": "body", "reason": f"over {self._max_body} bytes"}]))
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round(elapsed * 1000, 1)})
            metrics.observe(scope, status, elapsed)
            request_id.reset(token)


class ApiKeys:
    """With keys configured, every path but the health checks needs `Authorization: Bearer <key>` or
    `X-API-Key: <key>`; without keys, everything is open."""

    OPEN_PATHS = frozenset({"/health", "/ready", "/"})
    OPEN_PREFIXES = ("/console/",)  # the console's page and files: no data; the page then asks for a key

    def __init__(self, app, keys: list[str]):
        self.app = app
        self._keys = [k.encode() for k in keys]

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or not self._keys or scope["path"] in self.OPEN_PATHS
                or scope["path"].startswith(self.OPEN_PREFIXES)):
            return await self.app(scope, receive, send)
        if self._valid(_presented_key(scope)):
            return await self.app(scope, receive, send)
        await reply_json(send, 401, error_body(
            "missing or invalid API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"),
            [(b"www-authenticate", b'Bearer realm="botmoon"')])

    def _valid(self, presented: bytes) -> bool:
        # Compare against every key, each in constant time, so timing reveals neither a key nor which one.
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(presented, key)
        return matched and bool(presented)


def _presented_key(scope) -> bytes:
    headers = dict(scope["headers"])
    if key := headers.get(b"x-api-key", b"").strip():
        return key
    scheme, _, credentials = headers.get(b"authorization", b"").partition(b" ")
    return credentials.strip() if scheme.lower() == b"bearer" else b""


async def reply_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})
