"""The gateway's database for unit tests: a fresh one per test, SQLite or PostgreSQL (`pytest --db postgresql`)."""

import pytest

from botmoon_gateway.db import Database


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    database.prepare()
    yield database
    database.dispose()
