"""The aio gRPC server every service runs: health, reflection, request ids, metrics, graceful shutdown."""

import asyncio
import contextlib
import inspect
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from botmoon_common import metrics, request_id

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
GRPC_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
]


def _wrap(handler: grpc.RpcMethodHandler, scope) -> grpc.RpcMethodHandler:
    """The same handler (any of the four kinds) run inside `scope(context)`, an async context manager
    that stays open until the last streamed response is sent."""
    if handler.unary_unary:
        inner, factory = handler.unary_unary, grpc.unary_unary_rpc_method_handler
    elif handler.unary_stream:
        inner, factory = handler.unary_stream, grpc.unary_stream_rpc_method_handler
    elif handler.stream_unary:
        inner, factory = handler.stream_unary, grpc.stream_unary_rpc_method_handler
    else:
        inner, factory = handler.stream_stream, grpc.stream_stream_rpc_method_handler

    if inspect.isasyncgenfunction(inner):
        async def wrapped(request, context):
            async with scope(context):
                async for response in inner(request, context):
                    yield response
    else:
        async def wrapped(request, context):
            async with scope(context):
                return await inner(request, context)

    return factory(wrapped, request_deserializer=handler.request_deserializer,
                   response_serializer=handler.response_serializer)


class RequestIdInterceptor(grpc.aio.ServerInterceptor):
    """Puts the caller's x-request-id (or a new one) in the context of the handler, streams included."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        incoming = dict(handler_call_details.invocation_metadata or ())
        rid = incoming.get(request_id.METADATA_KEY) or request_id.new()

        @contextlib.asynccontextmanager
        async def with_request_id(_context):
            token = request_id.set(rid)
            try:
                yield
            finally:
                # A stream abandoned mid-way is closed by the loop in another context: nothing to reset there.
                with contextlib.suppress(ValueError):
                    request_id.reset(token)

        return _wrap(handler, with_request_id)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Requests, errors and latency of every RPC (botmoon_common.metrics)."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        return _wrap(handler, lambda context: metrics.observe_rpc(method, context))


class GrpcService:
    """One servicer with how to register it and the names reflection should list."""

    def __init__(self, servicer, add_to_server: Callable, full_name: str):
        self.servicer = servicer
        self.add_to_server = add_to_server
        self.full_name = full_name


async def serve(
    services: Iterable[GrpcService],
    address: str,
    ready: Callable[[], Awaitable[bool]] | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    grace_seconds: float = 5.0,
    retry_seconds: float = 5.0,
    metrics_port: int = 0,
    max_connection_age_s: float = 0,
    max_connection_age_grace_s: float = 0,
    recheck: Callable[[], Awaitable[bool]] | None = None,
    recheck_interval_s: float = 10.0,
) -> None:
    """Serves until SIGTERM/SIGINT. Health says NOT_SERVING until `ready()` returns True.
    With a `metrics_port`, Prometheus metrics are served on it (botmoon_common.metrics).
    With a `max_connection_age_s`, clients are asked to reconnect after that long (calls in flight get
    the grace period), so round-robin clients re-resolve DNS and find replicas added since.
    With a `recheck`, health follows it every `recheck_interval_s` once ready (a dead dependency turns the
    service NOT_SERVING, so the orchestrator's probes see it)."""
    services = list(services)
    options = list(GRPC_OPTIONS)
    if max_connection_age_s:
        options += [("grpc.max_connection_age_ms", int(max_connection_age_s * 1000)),
                    ("grpc.max_connection_age_grace_ms", int(max_connection_age_grace_s * 1000))]
    server = grpc.aio.server(interceptors=[RequestIdInterceptor(), MetricsInterceptor()], options=options)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for svc in services:
        svc.add_to_server(svc.servicer, server)
    names = [svc.full_name for svc in services]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"cannot listen on {address}")
    metrics.serve_http(metrics_port, address.rpartition(":")[0] or "0.0.0.0")
    await _set_health(health_servicer, names, health_pb2.HealthCheckResponse.NOT_SERVING)
    await server.start()
    log.info("grpc server listening", extra={"address": address, "services": names})

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async def watch() -> None:
        if ready is not None:
            await _become_ready(ready, stop, health_servicer, names, retry_seconds)
        else:
            await _set_health(health_servicer, names, health_pb2.HealthCheckResponse.SERVING)
        if recheck is not None:
            await _follow(recheck, stop, health_servicer, names, recheck_interval_s)

    watcher = asyncio.create_task(watch())
    await stop.wait()
    log.info("shutting down", extra={"grace_s": grace_seconds})
    watcher.cancel()
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace_seconds)
    if on_stop is not None:
        await on_stop()


async def _become_ready(ready, stop: asyncio.Event, health_servicer, names, retry_seconds: float) -> None:
    """Fail closed: NOT_SERVING until `ready()` passes, retried until it does."""
    while not stop.is_set():
        try:
            ok = await ready()
        except Exception:
            log.exception("readiness check raised")
            ok = False
        if ok:
            await _set_health(health_servicer, names, health_pb2.HealthCheckResponse.SERVING)
            log.info("serving")
            return
        log.error("readiness checks failed; NOT_SERVING, retrying", extra={"retry_s": retry_seconds})
        await asyncio.sleep(retry_seconds)


async def _follow(recheck, stop: asyncio.Event, health_servicer, names, interval_s: float) -> None:
    """Health follows `recheck()`: NOT_SERVING while it fails, SERVING again once it passes."""
    serving = True
    while not stop.is_set():
        await asyncio.sleep(interval_s)
        try:
            ok = await recheck()
        except Exception:
            log.exception("health recheck raised")
            ok = False
        if ok != serving and not stop.is_set():
            serving = ok
            status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
            await _set_health(health_servicer, names, status)
            (log.info if ok else log.error)("health recheck changed the status", extra={"serving": ok})


async def _set_health(servicer, names, status) -> None:
    await servicer.set("", status)
    for name in names:
        await servicer.set(name, status)
