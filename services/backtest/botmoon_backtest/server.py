"""Wires the backtest service together and serves it."""

import grpc

from botmoon.backtest.v1 import backtest_pb2, backtest_pb2_grpc
from botmoon.marketdata.v1 import marketdata_pb2_grpc
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_backtest.servicer import BacktestServicer
from botmoon_backtest.settings import BacktestSettings
from botmoon_common.grpc_server import GRPC_OPTIONS, GrpcService, serve


async def run(settings: BacktestSettings) -> None:
    # Round robin over every address the name resolves to (a headless Service of several sandbox pods).
    sandbox = grpc.aio.insecure_channel(settings.sandbox_addr,
                                        options=[*GRPC_OPTIONS, ("grpc.lb_policy_name", "round_robin")])
    marketdata = grpc.aio.insecure_channel(settings.marketdata_addr, options=GRPC_OPTIONS)
    servicer = BacktestServicer(settings, sandbox_pb2_grpc.SandboxServiceStub(sandbox),
                                marketdata_pb2_grpc.MarketDataServiceStub(marketdata))
    service = GrpcService(servicer, backtest_pb2_grpc.add_BacktestServiceServicer_to_server,
                          backtest_pb2.DESCRIPTOR.services_by_name["BacktestService"].full_name)

    async def close() -> None:
        await sandbox.close()
        await marketdata.close()

    await serve([service], f"{settings.host}:{settings.port}", metrics_port=settings.metrics_port, on_stop=close,
                grace_seconds=settings.shutdown_grace_s,
                max_connection_age_s=settings.max_connection_age_s,
                max_connection_age_grace_s=settings.max_connection_age_grace_s)
