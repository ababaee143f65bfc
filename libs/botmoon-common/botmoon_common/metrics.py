"""Prometheus metrics every gRPC service exposes: requests, latency and errors per RPC, on a metrics port."""

import asyncio
import logging
import time
from contextlib import asynccontextmanager

import grpc
from prometheus_client import Counter, Histogram, start_http_server

log = logging.getLogger(__name__)

# The names of go-grpc-prometheus, so existing dashboards and alerts apply. Errors: grpc_code != "OK".
STARTED = Counter("grpc_server_started_total", "RPCs started on the server.", ["grpc_service", "grpc_method"])
HANDLED = Counter("grpc_server_handled_total", "RPCs completed on the server, whatever their status.",
                  ["grpc_service", "grpc_method", "grpc_code"])
HANDLING = Histogram("grpc_server_handling_seconds", "Time from the start of an RPC to its end.",
                     ["grpc_service", "grpc_method"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))

_CODES = {code.value[0]: code for code in grpc.StatusCode}
_HEALTH = "grpc.health.v1.Health"


def serve_http(port: int, host: str = "0.0.0.0") -> None:
    """Serves /metrics on its own port in a thread; port 0 disables it."""
    if port:
        start_http_server(port, addr=host)
        log.info("metrics listening", extra={"port": port})


def split_method(full_method: str) -> tuple[str, str]:
    """`/botmoon.sandbox.v1.SandboxService/Execute` → (`botmoon.sandbox.v1.SandboxService`, `Execute`)."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service, method


@asynccontextmanager
async def observe_rpc(full_method: str, context: grpc.aio.ServicerContext):
    """Counts, times and logs one RPC (one line, with the request id; health checks at DEBUG only).
    Its code is the one the handler set or aborted with."""
    service, method = split_method(full_method)
    STARTED.labels(service, method).inc()
    started = time.perf_counter()
    code = "UNKNOWN"
    try:
        yield
        code = _code_name(context.code()) or "OK"
    except asyncio.CancelledError:
        code = "CANCELLED"
        raise
    except BaseException:
        code = _code_name(context.code()) or "UNKNOWN"
        raise
    finally:
        elapsed = time.perf_counter() - started
        HANDLED.labels(service, method, code).inc()
        HANDLING.labels(service, method).observe(elapsed)
        log.log(logging.DEBUG if service == _HEALTH else logging.INFO, "rpc",
                extra={"rpc": full_method, "grpc_code": code, "ms": round(elapsed * 1000, 1)})


def _code_name(code) -> str | None:
    if code is None:
        return None
    if isinstance(code, grpc.StatusCode):
        return code.name
    found = _CODES.get(code)
    return found.name if found else str(code)
