"""The SQLite store: upserts keyed by open time, one-query reads, origins, the bundled data loaded once."""

import sqlite3

import numpy as np
import pytest

from botmoon_marketdata.adapters import bundled
from botmoon_marketdata.adapters.store import CHUNK_ROWS, CandleStore
from botmoon_marketdata.domain.candles import Candles, Source
from botmoon_marketdata.domain.errors import InvalidSeries
from botmoon_marketdata.domain.symbols import normalize

H = 3_600_000
T0 = 1_735_689_600_000
BTC = normalize("BTC/USDT:USDT")
BTC_SPOT = normalize("BTC/USDT")


def series(n, t0=T0, step=H, price=100.0) -> Candles:
    t = t0 + step * np.arange(n)
    p = price + np.arange(n, dtype=float)
    return Candles.from_columns(t, p, p + 1, p - 1, p, np.ones(n))


@pytest.fixture
def store(tmp_path):
    s = CandleStore(tmp_path / "candles.sqlite")
    yield s
    s.close()


def test_write_then_read_a_range_across_chunks(store):
    c = series(3 * CHUNK_ROWS + 17)
    assert store.upsert(BTC, "1h", c, Source.EXCHANGE) == len(c)
    got = store.read_range(BTC, "1h", T0 + 5 * H, T0 + (CHUNK_ROWS * 2 + 3) * H)
    assert got.candles.open_time_ms.tolist() == c.open_time_ms[5:CHUNK_ROWS * 2 + 3].tolist()
    assert np.array_equal(got.candles.close, c.close[5:CHUNK_ROWS * 2 + 3])
    assert got.source() is Source.STORE and got.fetched_count() == len(got.candles)


def test_upsert_replaces_by_open_time_and_keeps_the_rest(store):
    store.upsert(BTC, "1h", series(10), Source.BUNDLED)
    store.upsert(BTC, "1h", series(4, t0=T0 + 8 * H, price=500.0), Source.EXCHANGE)
    got = store.read_range(BTC, "1h", 0, 2**62)
    assert len(got.candles) == 12
    assert got.candles.close[:8].tolist() == list(range(100, 108))
    assert got.candles.close[8:].tolist() == [500.0, 501.0, 502.0, 503.0]
    assert got.origin.tolist() == [4] * 8 + [1] * 4
    assert got.source() is Source.STORE


def test_series_are_keyed_apart(store):
    store.upsert(BTC, "1h", series(3), Source.EXCHANGE)
    store.upsert(BTC_SPOT, "1h", series(3, price=7.0), Source.EXCHANGE)
    store.upsert(BTC, "4h", series(3, step=4 * H), Source.EXCHANGE)
    assert store.read_range(BTC_SPOT, "1h", 0, 2**62).candles.close.tolist() == [7.0, 8.0, 9.0]
    assert store.read_range(BTC, "1h", 0, 2**62).candles.close.tolist() == [100.0, 101.0, 102.0]
    assert sorted(store.timeframes_of(BTC)) == ["1h", "4h"]


def test_read_last_returns_the_newest_before_end(store):
    store.upsert(BTC, "1h", series(2 * CHUNK_ROWS + 100), Source.EXCHANGE)
    last = store.read_last(BTC, "1h", 500, 2**62)
    assert len(last.candles) == 500 and last.candles.last_ms == T0 + (2 * CHUNK_ROWS + 99) * H
    before = store.read_last(BTC, "1h", 5000, T0 + 4200 * H)
    assert len(before.candles) == 4200 and before.candles.last_ms == T0 + 4199 * H
    assert len(store.read_last(BTC_SPOT, "1h", 10, 2**62).candles) == 0


def test_a_broken_series_is_refused_and_nothing_written(store):
    c = series(5)
    bad = Candles(c.open_time_ms, c.open, c.high, c.low, c.close, np.array([1, 1, -1, 1, 1.0]))
    with pytest.raises(InvalidSeries, match="negative volume"):
        store.upsert(BTC, "1h", bad, Source.EXCHANGE)
    assert len(store.read_range(BTC, "1h", 0, 2**62).candles) == 0


def test_a_range_read_is_one_query(store, monkeypatch):
    store.upsert(BTC, "1h", series(3 * CHUNK_ROWS), Source.EXCHANGE)
    statements = []
    store._conn().set_trace_callback(statements.append)
    store.read_range(BTC, "1h", 0, 2**62)
    assert len(statements) == 1 and statements[0].startswith("SELECT")


def test_summaries_and_source(store):
    store.upsert(BTC, "1h", series(10), Source.BUNDLED)
    store.upsert(BTC_SPOT, "1h", series(10), Source.BUNDLED)
    store.upsert(BTC_SPOT, "1h", series(1, t0=T0 + 10 * H), Source.EXCHANGE)
    by_symbol = {s.instrument.symbol: s for s in store.summaries()}
    assert by_symbol["BTC/USDT:USDT"].source is Source.BUNDLED and by_symbol["BTC/USDT:USDT"].count == 10
    assert by_symbol["BTC/USDT"].source is Source.STORE and by_symbol["BTC/USDT"].count == 11
    assert by_symbol["BTC/USDT"].last_ms == T0 + 10 * H


def test_bundled_files_load_once(store, tmp_path):
    some = [b for b in bundled.bundled_files() if b.timeframe in ("1d", "4h")]
    assert len(some) == 9
    assert bundled.load(store, some) == 3 * 414 + 488 + 486 + 486 + 3 * 3080  # the row counts of SOURCES.md
    assert bundled.load(store, some) == 0
    got = store.read_range(normalize("ETH/USDT"), "4h", 0, 2**62)
    assert len(got.candles) == 3080 and got.source() is Source.BUNDLED
    conn = sqlite3.connect(tmp_path / "candles.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 9
    conn.close()


def test_every_bundled_file_is_named_and_valid():
    items = bundled.bundled_files()
    assert len(items) == 22  # 21 of the first set less its spot 1h, the second set's 4 (SOURCES.md)
    assert {b.instrument.base for b in items} == {"BTC", "ETH", "SOL"}
    assert {b.instrument.exchange for b in items} == {"binance"}
