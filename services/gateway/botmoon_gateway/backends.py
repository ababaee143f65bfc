"""gRPC channels and stubs of the services behind the gateway, opened and closed with the app."""

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from botmoon.backtest.v1 import backtest_pb2_grpc
from botmoon.marketdata.v1 import marketdata_pb2_grpc
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_common import request_id
from botmoon_common.grpc_server import GRPC_OPTIONS

CHANNEL_OPTIONS = [
    *GRPC_OPTIONS,
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
    ("grpc.lb_policy_name", "round_robin"),
]


class Backends:
    """One channel per service (round robin over every address a name resolves to), and its stub."""

    def __init__(self, addresses: dict[str, str], timeout_s: float, health_timeout_s: float):
        self.timeout_s = timeout_s
        self.health_timeout_s = health_timeout_s
        self._channels = {name: grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
                          for name, address in addresses.items()}
        self.sandbox = sandbox_pb2_grpc.SandboxServiceStub(self._channels["sandbox"])
        self.marketdata = marketdata_pb2_grpc.MarketDataServiceStub(self._channels["marketdata"])
        self.backtest = backtest_pb2_grpc.BacktestServiceStub(self._channels["backtest"])

    def call_options(self, timeout_s: float | None = None) -> dict:
        """Deadline and request id for one outgoing call."""
        return {"timeout": timeout_s or self.timeout_s, "metadata": request_id.outgoing_metadata()}

    async def health(self) -> dict[str, str]:
        """SERVING / NOT_SERVING / UNAVAILABLE of each backend."""
        states = {}
        for name, channel in self._channels.items():
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=self.health_timeout_s
                )
                states[name] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.aio.AioRpcError as exc:
                states[name] = exc.code().name
        return states

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
