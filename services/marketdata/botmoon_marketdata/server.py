"""Wires the market data service together and serves it."""

import logging

from botmoon.marketdata.v1 import marketdata_pb2, marketdata_pb2_grpc
from botmoon_common.grpc_server import GrpcService, serve
from botmoon_marketdata.adapters.exchange import CcxtExchange, Exchanges, RetryPolicy
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.clock import Clock
from botmoon_marketdata.service import MarketData
from botmoon_marketdata.servicer import MarketDataServicer
from botmoon_marketdata.settings import MarketDataSettings

log = logging.getLogger(__name__)


def build(settings: MarketDataSettings, clock: Clock | None = None) -> MarketData:
    retry = RetryPolicy(settings.retry_attempts, settings.retry_base_delay_s, settings.retry_max_delay_s)
    ports = {
        "binance": CcxtExchange("binance", retry, settings.exchange_timeout_s, settings.binance_url),
        "okx": CcxtExchange("okx", retry, settings.exchange_timeout_s, settings.okx_url),
    }
    return MarketData(
        CandleStore(settings.store_path), Exchanges(ports, settings.down_for_s), clock=clock,
        exchange_access=settings.exchange_access, max_candles=settings.max_candles,
        default_limit=settings.default_limit, default_exchange=settings.default_exchange,
        stream_poll_s=settings.stream_poll_s,
    )


def grpc_service(service: MarketData) -> GrpcService:
    return GrpcService(
        MarketDataServicer(service),
        marketdata_pb2_grpc.add_MarketDataServiceServicer_to_server,
        marketdata_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name,
    )


async def run(settings: MarketDataSettings) -> None:
    service = build(settings)

    async def ready() -> bool:
        if settings.load_bundled:
            rows = await service.load_bundled()
            log.info("bundled candles in the store", extra={"rows_loaded_now": rows})
        return True

    async def stop() -> None:
        await service.exchanges.close()
        service.store.close()

    await serve([grpc_service(service)], f"{settings.host}:{settings.port}", metrics_port=settings.metrics_port,
                ready=ready, on_stop=stop, grace_seconds=settings.shutdown_grace_s)
