"""Errors as clear JSON: request problems name the field, backend failures map from gRPC codes."""

import logging

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
}


class FieldError(Exception):
    """A request value that is well-formed JSON but not acceptable."""

    def __init__(self, field: str, reason: str, status_code: int = 422):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.status_code = field, reason, status_code


def error_body(message: str, fields: list[dict] | None = None) -> dict:
    body = {"success": False, "error": message}
    if fields:
        body["fields"] = fields
    return body


def install(app: FastAPI, retry_after_s: int) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError):
        fields = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                reason = err.get("ctx", {}).get("error", "cannot parse")
                fields.append({"field": "body", "reason": f"invalid JSON: {reason}"})
                continue
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
            fields.append({"field": ".".join(loc) or "body", "reason": err.get("msg", "invalid")})
        return JSONResponse(error_body("invalid request", fields), status_code=422)

    @app.exception_handler(FieldError)
    async def _field_error(_: Request, exc: FieldError):
        return JSONResponse(error_body("invalid request", [{"field": exc.field, "reason": exc.reason}]),
                            status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException):
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _backend_error(request: Request, exc: grpc.aio.AioRpcError):
        status = GRPC_TO_HTTP.get(exc.code(), 502)
        details = exc.details() or exc.code().name
        log.warning("backend call failed", extra={"path": request.url.path, "grpc_code": exc.code().name,
                                                  "details": details})
        if field := _field_of(details) if status in (404, 422) else None:
            return JSONResponse(error_body("invalid request", [{"field": field[0], "reason": field[1]}]),
                                status_code=422)
        headers = {"Retry-After": str(retry_after_s)} if status in (429, 503) else None
        message = {
            503: "a backend service is unavailable; try again shortly",
            504: "a backend service did not answer in time",
            429: "the service is busy; retry after the indicated delay",
            404: "not found",
            422: "invalid request",
        }.get(status, "a backend service failed")
        return JSONResponse(error_body(f"{message} ({details})"), status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(error_body(f"internal error: {type(exc).__name__}"), status_code=500)


def _field_of(details: str) -> tuple[str, str] | None:
    """`backtest_config.limit: must be ...` → (field, reason), for errors that name a request field."""
    head, sep, reason = details.partition(": ")
    if sep and head and " " not in head and head.replace(".", "").replace("_", "").isalnum():
        return head, reason
    return None
