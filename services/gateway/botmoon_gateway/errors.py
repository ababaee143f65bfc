"""Errors as clear JSON: request problems name the field, backend failures map from gRPC codes.

Input no schema bound catches (an integer past 64 bits, text with a lone surrogate) is a 422 here too,
wherever it surfaces: one home instead of a check in every route."""

import logging
from dataclasses import dataclass

import grpc
import pydantic
import sqlalchemy.exc
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


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
LONE_SURROGATE = "contains a lone surrogate (a \\ud800-\\udfff escape that is no character); send valid Unicode"


def lone_surrogate(value) -> bool:
    """True when text in `value` (through dicts and lists, keys included) cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(lone_surrogate(k) or lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(lone_surrogate(v) for v in value)
    return False


@dataclass(frozen=True)
class Limit:
    """A fair-use limit (fair_use.py): what it limits, the setting that sets it, and its value."""

    name: str
    setting: str
    most: int


class LimitReached(Exception):
    """Over a fair-use limit: a 429 with Retry-After whose message names the limit."""

    def __init__(self, limit: Limit, detail: str, retry_after_s: int):
        super().__init__(f"fair use: {detail} (limit {limit.most}, {limit.setting}); retry after {retry_after_s}s "
                         "or when one finishes")
        self.limit, self.retry_after_s = limit, retry_after_s


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

    @app.exception_handler(LimitReached)
    async def _over_limit(_: Request, exc: LimitReached):
        body = {**error_body(str(exc)), "limit": exc.limit.setting.removeprefix("GATEWAY_").lower()}
        return JSONResponse(body, status_code=429, headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(pydantic.ValidationError)
    async def _invalid_in_route(_: Request, exc: pydantic.ValidationError):
        """A model a route builds from request values refused them: the request's fault, named like any other."""
        fields = [{"field": ".".join(str(p) for p in err.get("loc", ())) or "body", "reason": err.get("msg", "invalid")}
                  for err in exc.errors()]
        return JSONResponse(error_body("invalid request", fields), status_code=422)

    async def _unexpected(request: Request, exc: Exception):
        if fields := _input_fault(request, exc):
            log.info("request refused late", extra={"path": request.url.path, "error": type(exc).__name__})
            return JSONResponse(error_body("invalid request", fields), status_code=422)
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(error_body(f"internal error: {type(exc).__name__}"), status_code=500)

    # Where bad input surfaces late (inside the app's middleware, so the access log has the real status) ...
    for late in (OverflowError, UnicodeError, sqlalchemy.exc.StatementError):
        app.add_exception_handler(late, _unexpected)
    # ... and anything else, wrapped or not.
    app.add_exception_handler(Exception, _unexpected)


def _input_fault(request: Request, exc: BaseException) -> list[dict] | None:
    """Fields for an error that bad input caused deep down (a database or encoder refusing a value)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # Only the two ways a value from outside fails to be stored or sent; any other overflow is our bug (500).
        if isinstance(current, OverflowError):
            named = [{"field": name, "reason": "is out of range: integers must fit in 64 bits"}
                     for name, value in (*request.path_params.items(), *request.query_params.items())
                     if _beyond_int64(value)]
            if named or "too large to convert" in str(current):
                return named or [{"field": "body", "reason": "a number is out of range: integers must fit in 64 bits"}]
        if isinstance(current, UnicodeEncodeError) and "surrogates not allowed" in str(current):
            named = [{"field": name, "reason": LONE_SURROGATE}
                     for name, value in (*request.path_params.items(), *request.query_params.items())
                     if lone_surrogate(value)]
            return named or [{"field": "body", "reason": LONE_SURROGATE}]
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def _beyond_int64(value) -> bool:
    try:
        number = int(str(value))
    except ValueError:
        return False
    return not INT64_MIN <= number <= INT64_MAX


def _field_of(details: str) -> tuple[str, str] | None:
    """`backtest_config.limit: must be ...` → (field, reason), for errors that name a request field."""
    head, sep, reason = details.partition(": ")
    if sep and head and " " not in head and head.replace(".", "").replace("_", "").isalnum():
        return head, reason
    return None
