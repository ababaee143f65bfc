"""The embedded candle store: SQLite, one row per (series, chunk) holding the chunk's columns as arrays.

Why chunks of columns and not a row per candle: reading 120,000 rows through Python's sqlite3 takes
~400 ms (a Python object per value); the same candles as 30 chunk rows take ~2 ms (see docs/marketdata.md).
Upserts still key on (exchange, market type, symbol, timeframe, open time): a write merges the new candles
into the chunks they fall in, new values winning, inside one transaction. A range is one SELECT.
"""

import itertools
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from botmoon_marketdata.domain import timeframes
from botmoon_marketdata.domain.candles import Candles, Source, merge, validate
from botmoon_marketdata.domain.symbols import Instrument, MarketType

CHUNK_ROWS = 4096
_ORIGIN_CODE = {Source.EXCHANGE: 1, Source.STORE: 2, Source.BUNDLED: 4}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  exchange TEXT NOT NULL, market_type TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
  UNIQUE (exchange, market_type, symbol, timeframe)
);
CREATE TABLE IF NOT EXISTS chunks (
  series_id INTEGER NOT NULL REFERENCES series(id),
  chunk_start INTEGER NOT NULL,
  n INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  origins INTEGER NOT NULL,  -- bit set of the origins of its candles
  t BLOB NOT NULL, o BLOB NOT NULL, h BLOB NOT NULL, l BLOB NOT NULL, c BLOB NOT NULL, v BLOB NOT NULL,
  origin BLOB NOT NULL,
  PRIMARY KEY (series_id, chunk_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  name TEXT PRIMARY KEY, digest TEXT NOT NULL, rows INTEGER NOT NULL, imported_at_ms INTEGER NOT NULL
);
"""
_COLS = "c.t, c.o, c.h, c.l, c.c, c.v, c.origin"
_FROM_SERIES = ("FROM chunks c JOIN series s ON s.id = c.series_id "
                "WHERE s.exchange = ? AND s.market_type = ? AND s.symbol = ? AND s.timeframe = ?")
_SERIES_ID = "SELECT id FROM series WHERE exchange = ? AND market_type = ? AND symbol = ? AND timeframe = ?"
_CHUNKS_BETWEEN = f"SELECT c.chunk_start, {_COLS} FROM chunks c WHERE c.series_id = ? AND c.chunk_start BETWEEN ? AND ?"  # noqa: S608
_READ_RANGE = f"SELECT {_COLS} {_FROM_SERIES} AND c.first_ms < ? AND c.last_ms >= ? ORDER BY c.chunk_start"
_READ_LAST = f"SELECT {_COLS} {_FROM_SERIES} AND c.first_ms < ? ORDER BY c.chunk_start DESC"
_SUMMARIES = ("SELECT s.exchange, s.market_type, s.symbol, s.timeframe, MIN(c.first_ms), MAX(c.last_ms), SUM(c.n), "
              "MIN(c.origins), MAX(c.origins) FROM series s JOIN chunks c ON c.series_id = s.id "
              "GROUP BY s.id ORDER BY s.exchange, s.symbol, s.timeframe")


@dataclass(frozen=True)
class Stored:
    """Candles read from the store and the origin of each."""

    candles: Candles
    origin: np.ndarray  # uint8 origin code per row

    def source(self) -> Source:
        if len(self.origin) and bool(np.all(self.origin == _ORIGIN_CODE[Source.BUNDLED])):
            return Source.BUNDLED
        return Source.STORE

    def fetched_count(self) -> int:
        return int(np.count_nonzero(self.origin == _ORIGIN_CODE[Source.EXCHANGE]))


@dataclass(frozen=True)
class SeriesSummary:
    instrument: Instrument
    timeframe: str
    first_ms: int
    last_ms: int
    count: int
    source: Source


def _key(instrument: Instrument, timeframe: str) -> tuple[str, str, str, str]:
    return instrument.exchange, instrument.market_type.value, instrument.symbol, timeframe


def _decode(rows) -> Stored:
    parts = [(np.frombuffer(t, np.int64), *(np.frombuffer(x, np.float64) for x in (o, h, lo, c, v)),
              np.frombuffer(origin, np.uint8)) for t, o, h, lo, c, v, origin in rows]
    if not parts:
        return Stored(Candles.empty(), np.empty(0, np.uint8))
    if len(parts) == 1:
        cols = parts[0]
    else:
        cols = [np.concatenate(col) for col in zip(*parts, strict=True)]
    return Stored(Candles(*cols[:6]), cols[6])


class CandleStore:
    """Thread-safe: one SQLite connection per thread, WAL so readers never wait on a writer."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def upsert(self, instrument: Instrument, timeframe: str, candles: Candles, origin: Source) -> int:
        """Validates `candles` and writes them; an existing candle with the same open time is replaced."""
        validate(candles, timeframe)
        if not len(candles):
            return 0
        span = CHUNK_ROWS * timeframes.ms(timeframe)
        code = _ORIGIN_CODE[origin]
        chunk_of = candles.open_time_ms // span * span
        bounds = np.flatnonzero(np.concatenate([[True], chunk_of[1:] != chunk_of[:-1], [True]]))
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR IGNORE INTO series (exchange, market_type, symbol, timeframe) VALUES (?,?,?,?)",
                             _key(instrument, timeframe))
                (series_id,) = conn.execute(_SERIES_ID, _key(instrument, timeframe)).fetchone()
                existing = {row[0]: row[1:] for row in conn.execute(
                    _CHUNKS_BETWEEN, (series_id, int(chunk_of[0]), int(chunk_of[-1])))}
                for lo, hi in itertools.pairwise(bounds):
                    start = int(chunk_of[lo])
                    part = candles.take(slice(lo, hi))
                    part_origin = np.full(len(part), code, np.uint8)
                    if start in existing:
                        old = _decode([existing[start]])
                        part, part_origin = _merge_with_origin(old, part, part_origin)
                    conn.execute(
                        "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (series_id, start, len(part), part.first_ms, part.last_ms,
                         int(np.bitwise_or.reduce(part_origin)), *(col.tobytes() for col in part.columns()),
                         part_origin.tobytes()),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return len(candles)

    def read_range(self, instrument: Instrument, timeframe: str, start_ms: int, end_ms: int) -> Stored:
        """Candles with start_ms <= open time < end_ms, in one query."""
        rows = self._conn().execute(_READ_RANGE, (*_key(instrument, timeframe), end_ms, start_ms)).fetchall()
        stored = _decode(rows)
        lo, hi = np.searchsorted(stored.candles.open_time_ms, [start_ms, end_ms], side="left")
        return Stored(stored.candles.take(slice(lo, hi)), stored.origin[lo:hi])

    def read_last(self, instrument: Instrument, timeframe: str, count: int, end_ms: int) -> Stored:
        """The newest `count` candles with open time < end_ms, in one query read newest chunk first."""
        cursor = self._conn().execute(_READ_LAST, (*_key(instrument, timeframe), end_ms))
        rows, have = [], 0
        for row in cursor:
            rows.append(row)
            times = np.frombuffer(row[0], np.int64)
            have += int(np.searchsorted(times, end_ms, side="left"))
            if have >= count:
                break
        cursor.close()
        stored = _decode(rows[::-1])
        hi = int(np.searchsorted(stored.candles.open_time_ms, end_ms, side="left"))
        lo = max(0, hi - count)
        return Stored(stored.candles.take(slice(lo, hi)), stored.origin[lo:hi])

    def summaries(self) -> list[SeriesSummary]:
        rows = self._conn().execute(_SUMMARIES).fetchall()
        out = []
        bundled = _ORIGIN_CODE[Source.BUNDLED]
        for exchange, market, symbol, tf, first, last, n, least, most in rows:
            base, _, rest = symbol.partition("/")
            quote = rest.split(":")[0]
            source = Source.BUNDLED if least == most == bundled else Source.STORE
            out.append(SeriesSummary(Instrument(exchange, MarketType(market), base, quote), tf, first, last, n, source))
        return out

    def timeframes_of(self, instrument: Instrument) -> list[str]:
        rows = self._conn().execute(
            "SELECT timeframe FROM series WHERE exchange = ? AND market_type = ? AND symbol = ?",
            (instrument.exchange, instrument.market_type.value, instrument.symbol)).fetchall()
        return [tf for (tf,) in rows]

    def imported(self, name: str) -> str | None:
        row = self._conn().execute("SELECT digest FROM imports WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def mark_imported(self, name: str, digest: str, rows: int, at_ms: int) -> None:
        with self._write_lock:
            self._conn().execute("INSERT OR REPLACE INTO imports VALUES (?,?,?,?)", (name, digest, rows, at_ms))


def _merge_with_origin(old: Stored, new: Candles, new_origin: np.ndarray) -> tuple[Candles, np.ndarray]:
    merged = merge(old.candles, new)
    times = np.concatenate([new.open_time_ms, old.candles.open_time_ms])
    origins = np.concatenate([new_origin, old.origin])
    _, first = np.unique(times, return_index=True)
    return merged, origins[first]
