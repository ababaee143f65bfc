"""A database made by an older version gets the nullable columns a newer one added, keeping its rows."""

import sqlite3

from botmoon_gateway import records  # noqa: F401 - the live tables belong to the metadata
from botmoon_gateway.db import Database
from botmoon_gateway.records import Strategy


def test_a_missing_nullable_column_is_added(tmp_path):
    path = tmp_path / "old.db"
    Database(f"sqlite:///{path}").create_all()
    with sqlite3.connect(path) as old:
        old.execute("INSERT INTO algorithms (id, name, code, code_hash, created_at) "
                    "VALUES ('algo_1', 'A', 'x', 'h', '2026-01-01 00:00:00')")
        old.execute("INSERT INTO strategies (id, algorithm_id, name, class_name, params, status, enabled, symbols, "
                    "price_source, exchange, timeframe, interval_seconds, endpoint_ids, seen, runs, signals_count, "
                    "errors_count, consecutive_failures, created_at) VALUES ('strat_1', 'algo_1', 'A', 'C', '{}', "
                    "'stopped', 1, '[]', 'ccxt', '', '5m', 60, '[]', '{}', 0, 0, 0, 0, '2026-01-01 00:00:00')")
        old.execute("ALTER TABLE strategies DROP COLUMN freshness")
        assert "freshness" not in {r[1] for r in old.execute("PRAGMA table_info(strategies)")}
    db = Database(f"sqlite:///{path}")
    db.create_all()
    row = db.get(Strategy, "strat_1")
    assert row.name == "A" and row.freshness is None
    db.dispose()
