"""HTTP middleware: a request id on every request, and a cap on body size."""

import logging
import time

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from botmoon_common import request_id
from botmoon_gateway.errors import error_body

log = logging.getLogger(__name__)
HEADER = "X-Request-ID"


class RequestContext(BaseHTTPMiddleware):
    def __init__(self, app, max_body_bytes: int):
        super().__init__(app)
        self._max_body = max_body_bytes

    async def dispatch(self, request: Request, call_next):
        rid = request.headers.get(HEADER) or request_id.new()
        token = request_id.set(rid[:64])
        started = time.perf_counter()
        try:
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self._max_body):
                response = JSONResponse(
                    error_body("request body too large",
                               [{"field": "body", "reason": f"over {self._max_body} bytes"}]),
                    status_code=413,
                )
            else:
                response = await call_next(request)
            response.headers[HEADER] = request_id.get() or rid
            log.info("request", extra={"method": request.method, "path": request.url.path,
                                       "status": response.status_code,
                                       "ms": round((time.perf_counter() - started) * 1000, 1)})
            return response
        finally:
            request_id.reset(token)
