"""The server interceptors on a real aio server on loopback: the request id reaches handlers of all four
kinds (streams included), and each RPC is counted with its status code and timed."""

import asyncio

import grpc
from prometheus_client import REGISTRY

from botmoon_common import request_id
from botmoon_common.grpc_server import MetricsInterceptor, RequestIdInterceptor

SERVICE = "test.Interceptors"


async def unary(request: bytes, context) -> bytes:
    return (request_id.get() or "").encode()


async def stream_out(request: bytes, context):
    for _ in range(2):
        await asyncio.sleep(0)
        yield (request_id.get() or "").encode()


async def written_stream(request: bytes, context) -> None:
    await context.write((request_id.get() or "").encode())


async def stream_in(requests, context) -> bytes:
    count = 0
    async for _ in requests:
        count += 1
    return f"{request_id.get()}:{count}".encode()


async def bidi(requests, context):
    async for _ in requests:
        yield (request_id.get() or "").encode()


async def refuse(request: bytes, context) -> bytes:
    await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")


HANDLERS = {
    "Unary": grpc.unary_unary_rpc_method_handler(unary),
    "StreamOut": grpc.unary_stream_rpc_method_handler(stream_out),
    "WrittenStream": grpc.unary_stream_rpc_method_handler(written_stream),
    "StreamIn": grpc.stream_unary_rpc_method_handler(stream_in),
    "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
    "Refuse": grpc.unary_unary_rpc_method_handler(refuse),
}


def handled(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("grpc_server_handled_total",
                                      {"grpc_service": SERVICE, "grpc_method": method, "grpc_code": code})
    return value or 0.0


async def exercise() -> dict:
    server = grpc.aio.server(interceptors=[RequestIdInterceptor(), MetricsInterceptor()])
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, HANDLERS)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    md = (("x-request-id", "rid-42"),)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            def path(name):
                return f"/{SERVICE}/{name}"
            out = {
                "unary": await channel.unary_unary(path("Unary"))(b"x", metadata=md),
                "unary_no_id": await channel.unary_unary(path("Unary"))(b"x"),
                "stream_out": [r async for r in channel.unary_stream(path("StreamOut"))(b"x", metadata=md)],
                "written": [r async for r in channel.unary_stream(path("WrittenStream"))(b"x", metadata=md)],
                "stream_in": await channel.stream_unary(path("StreamIn"))(iter([b"a", b"b", b"c"]), metadata=md),
                "bidi": [r async for r in channel.stream_stream(path("Bidi"))(iter([b"a", b"b"]), metadata=md)],
            }
            try:
                await channel.unary_unary(path("Refuse"))(b"x", metadata=md)
            except grpc.aio.AioRpcError as exc:
                out["refused"] = exc.code()
            return out
    finally:
        await server.stop(None)


def test_request_id_and_metrics_on_every_kind_of_rpc():
    before = {m: handled(m, "OK") for m in HANDLERS}
    refused_before = handled("Refuse", "NOT_FOUND")
    out = asyncio.run(exercise())
    assert out["unary"] == b"rid-42"
    assert len(out["unary_no_id"]) == 32  # a fresh id when the caller sends none
    assert out["stream_out"] == [b"rid-42", b"rid-42"]
    assert out["written"] == [b"rid-42"]
    assert out["stream_in"] == b"rid-42:3"
    assert out["bidi"] == [b"rid-42", b"rid-42"]
    assert out["refused"] == grpc.StatusCode.NOT_FOUND
    expected_ok = {"Unary": 2, "StreamOut": 1, "WrittenStream": 1, "StreamIn": 1, "Bidi": 1, "Refuse": 0}
    for method, count in expected_ok.items():
        assert handled(method, "OK") - before[method] == count, method
    assert handled("Refuse", "NOT_FOUND") - refused_before == 1
    seconds = REGISTRY.get_sample_value("grpc_server_handling_seconds_count",
                                        {"grpc_service": SERVICE, "grpc_method": "Bidi"})
    assert seconds and seconds >= 1
