"""gRPC channels and stubs of the services behind the gateway, opened and closed with the app."""

import asyncio
import json

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
    # Our service config only: a DNS TXT record must not change balancing or retries.
    ("grpc.service_config_disable_resolution", 1),
    ("grpc.enable_retries", 1),
    # A request is retried only while it fits this buffer: the largest code plus its config.
    ("grpc.per_rpc_retry_buffer_size", 4 * 1024 * 1024),
]
# Every backtest RPC is idempotent (Run computes and returns; the gateway stores the result), so a call
# a replica could not take or dropped as it stopped (UNAVAILABLE) is sent again, to another replica.
RETRIED_SERVICES = {"backtest": "botmoon.backtest.v1.BacktestService"}
RETRY_POLICY = {"maxAttempts": 4, "initialBackoff": "0.2s", "maxBackoff": "2s", "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"]}


def service_config(service: str | None) -> str:
    """Round robin over every address the name resolves to. For a scaled `service`: calls only to replicas whose
    health says SERVING (client-side health checking: not one starting or shutting down), and retries of
    UNAVAILABLE."""
    config: dict = {"loadBalancingConfig": [{"round_robin": {}}]}
    if service:
        config["healthCheckConfig"] = {"serviceName": service}
        config["methodConfig"] = [{"name": [{"service": service}], "retryPolicy": RETRY_POLICY}]
    return json.dumps(config)


def channel_options(name: str, dns_min_interval_s: float) -> list[tuple]:
    """Options of the channel to one backend. A `dns:///` name is re-resolved when a connection closes
    (a replica stopped, or a server's max connection age asked clients to reconnect, gRFC A9), at most
    once every `dns_min_interval_s`: replicas added behind the name are found that way."""
    return [*CHANNEL_OPTIONS, ("grpc.service_config", service_config(RETRIED_SERVICES.get(name))),
            ("grpc.dns_min_time_between_resolutions_ms", int(dns_min_interval_s * 1000))]


class Backends:
    """One channel per service (round robin over every address a name resolves to), and its stub."""

    def __init__(self, addresses: dict[str, str], timeout_s: float, health_timeout_s: float,
                 dns_min_interval_s: float = 2.0):
        self.timeout_s = timeout_s
        self.health_timeout_s = health_timeout_s
        self._channels = {name: grpc.aio.insecure_channel(address, options=channel_options(name, dns_min_interval_s))
                          for name, address in addresses.items()}
        self.sandbox = sandbox_pb2_grpc.SandboxServiceStub(self._channels["sandbox"])
        self.marketdata = marketdata_pb2_grpc.MarketDataServiceStub(self._channels["marketdata"])
        self.backtest = backtest_pb2_grpc.BacktestServiceStub(self._channels["backtest"])

    def call_options(self, timeout_s: float | None = None) -> dict:
        """Deadline and request id for one outgoing call."""
        return {"timeout": timeout_s or self.timeout_s, "metadata": request_id.outgoing_metadata()}

    async def health(self) -> dict[str, str]:
        """SERVING / NOT_SERVING / UNAVAILABLE / DEADLINE_EXCEEDED of each backend, checked concurrently: the
        answer comes within one `health_timeout_s` however many backends are down."""

        async def check(channel) -> str:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=self.health_timeout_s
                )
                return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.aio.AioRpcError as exc:
                return exc.code().name

        names = list(self._channels)
        states = await asyncio.gather(*(check(self._channels[name]) for name in names))
        return dict(zip(names, states, strict=True))

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()
