"""ASGI middleware: a request id on every request, a cap on body size, one access log line."""

import json
import logging
import time

from botmoon_common import request_id
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
                await _reply(send_with_id, 413, error_body(
                    "request body too large", [{"field": "body", "reason": f"over {self._max_body} bytes"}]))
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
            request_id.reset(token)


async def _reply(send, status: int, body: dict) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
