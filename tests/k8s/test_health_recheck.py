"""The periodic health recheck behind the sandbox's readiness and liveness probes (botmoon_common.grpc_server):
once ready, health follows the recheck, NOT_SERVING while it fails and SERVING again when it passes; SIGTERM
still stops the server cleanly. A real server process, probed over gRPC."""

import signal
import subprocess
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from botmoon_testing.processes import free_port

SERVER = """
import asyncio, os, sys
from botmoon_common.grpc_server import serve

async def alive():
    return os.path.exists(sys.argv[2])

asyncio.run(serve([], f"127.0.0.1:{sys.argv[1]}", recheck=alive, recheck_interval_s=0.2, grace_seconds=1))
"""


def status(port: int) -> str:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError as exc:
            return exc.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def wait_for(port: int, wanted: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    seen = status(port)
    while seen != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = status(port)
    return seen


def test_health_follows_the_recheck_and_sigterm_still_stops_cleanly(tmp_path):
    flag = tmp_path / "engine-alive"
    flag.touch()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(flag)])
    try:
        assert wait_for(port, "SERVING") == "SERVING"
        flag.unlink()  # the engine is gone
        assert wait_for(port, "NOT_SERVING") == "NOT_SERVING"
        flag.touch()  # and back
        assert wait_for(port, "SERVING") == "SERVING"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()
        process.wait()
