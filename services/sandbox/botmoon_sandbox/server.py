"""Wires the sandbox service together and serves it."""

import asyncio
import logging

from botmoon.sandbox.v1 import sandbox_pb2, sandbox_pb2_grpc
from botmoon_common.grpc_server import GrpcService, serve
from botmoon_sandbox import metrics
from botmoon_sandbox.adapters.docker_engine import DockerEngine
from botmoon_sandbox.adapters.pool import ContainerPool
from botmoon_sandbox.executor import Executor
from botmoon_sandbox.probes import sandbox_holds
from botmoon_sandbox.servicer import SandboxServicer
from botmoon_sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)


async def run(settings: SandboxSettings) -> None:
    engine = DockerEngine(settings)
    pool = ContainerPool(engine, settings.pool_bounds(), settings.pool_size, settings.pool_demand_half_life_s,
                         settings.idle_ttl_s, settings.start_timeout_s, settings.reap_interval_s,
                         settings.stream_bytes)
    executor = Executor(settings, engine, pool)
    metrics.POOL_IDLE.set_function(lambda: pool.idle_count)

    async def ready() -> bool:
        if not await asyncio.to_thread(engine.ping):
            log.error("docker engine not reachable")
            return False
        if not await asyncio.to_thread(engine.image_present):
            log.error("runner image missing", extra={"image": settings.runner_image})
            return False
        await pool.reap(everything=True)
        if failed := await sandbox_holds(executor, engine, settings.runtime):
            # Fail closed: NOT_SERVING, and this line (every retry) says why.
            log.error("sandbox not ready: start-up probe failed",
                      extra={"runtime": settings.runtime, "reason": str(failed), **failed.details})
            return False
        await pool.start()
        executor.accepting = True
        return True

    service = GrpcService(
        SandboxServicer(executor),
        sandbox_pb2_grpc.add_SandboxServiceServicer_to_server,
        sandbox_pb2.DESCRIPTOR.services_by_name["SandboxService"].full_name,
    )
    async def engine_alive() -> bool:
        return await asyncio.to_thread(engine.ping) and await asyncio.to_thread(engine.image_present)

    await serve([service], f"{settings.host}:{settings.port}", metrics_port=settings.metrics_port,
                ready=ready, on_stop=pool.close, grace_seconds=settings.shutdown_grace_s,
                recheck=engine_alive, recheck_interval_s=settings.engine_recheck_s,
                max_connection_age_s=settings.max_connection_age_s,
                max_connection_age_grace_s=settings.max_connection_age_grace_s)
