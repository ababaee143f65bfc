"""Pytest plugin: the gateway's database for a test run, SQLite (default) or a real PostgreSQL (`--db postgresql`).

`database_url` is a fresh empty database per test, `gateway_database_url` one for the session's gateway;
`postgres_server` starts one throwaway PostgreSQL cluster for the run, for tests that need it whatever `--db` says.
"""

import pytest

from botmoon_testing.postgres import PostgresServer


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the database the gateway's tests run against (postgresql: a throwaway local cluster)")


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def db_kind(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture
def database_url(request, db_kind, tmp_path) -> str:
    if db_kind == "postgresql":
        return request.getfixturevalue("postgres_server").database()
    return f"sqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture(scope="session")
def gateway_database_url(request, db_kind, tmp_path_factory) -> str:
    if db_kind == "postgresql":
        return request.getfixturevalue("postgres_server").database("gateway")
    return f"sqlite:///{tmp_path_factory.mktemp('gateway') / 'botmoon.db'}"
