"""Fixtures shared by the integration and e2e tests: real services on loopback."""

import uuid

import grpc
import pytest

from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_testing.docker_state import remove_pool
from botmoon_testing.processes import BacktestNode, Gateway, MarketData, Sandbox


def unique_pool(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def sandbox():
    """One sandbox service for the session: pool of 1, short wall time for the limit tests."""
    service = Sandbox(unique_pool("test"), pool_size=1, wall_time_s=3, max_output_bytes=65536)
    service.start()
    yield service
    service.stop()
    remove_pool(service.pool_name)


@pytest.fixture(scope="session")
def sandbox_stub(sandbox):
    with grpc.insecure_channel(sandbox.address) as channel:
        yield sandbox_pb2_grpc.SandboxServiceStub(channel)


@pytest.fixture(scope="session")
def marketdata(tmp_path_factory):
    """One offline market data service for the session: the bundled candles."""
    service = MarketData(str(tmp_path_factory.mktemp("marketdata") / "store.sqlite"))
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def backtest_node(sandbox, marketdata):
    service = BacktestNode(sandbox.address, marketdata.address)
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def gateway(sandbox, marketdata, backtest_node, gateway_database_url):
    """The session's gateway, on SQLite or on PostgreSQL (`pytest --db postgresql`)."""
    service = Gateway(sandbox.address, gateway_database_url, MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address)
    service.start()
    yield service
    service.stop()
