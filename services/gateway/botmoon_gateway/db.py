"""Persistence: algorithms, executions, backtests and sweeps, in SQLite (one host) or PostgreSQL (replicas)."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from botmoon_gateway import migrate


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


class Base(DeclarativeBase):
    pass


class Algorithm(Base):
    __tablename__ = "algorithms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Execution(Base):
    __tablename__ = "executions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    algorithm_id: Mapped[str | None] = mapped_column(ForeignKey("algorithms.id"), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    output: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[object | None] = mapped_column(JSON, nullable=True)
    has_result: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    kill_reason: Mapped[str] = mapped_column(String(200), default="")
    problems: Mapped[list | None] = mapped_column(JSON, nullable=True)
    execution_time_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class Backtest(Base):
    __tablename__ = "backtests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    success: Mapped[bool] = mapped_column(Boolean)
    code_hash: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(40))
    timeframe: Mapped[str] = mapped_column(String(8))
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class Sweep(Base):
    """A parameter sweep (and walk-forward plan): the request as validated, its state, and which gateway runs it."""

    __tablename__ = "sweeps"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # queued|running|completed|failed|cancelled
    request: Mapped[dict] = mapped_column(JSON)  # the body, code included, as the runner needs it
    code_hash: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64), default="", index=True)  # fair use: who asked
    objective: Mapped[str] = mapped_column(String(64))
    maximize: Mapped[bool] = mapped_column(Boolean)
    combinations: Mapped[int] = mapped_column(Integer)
    windows: Mapped[int] = mapped_column(Integer, default=0)  # walk-forward windows; 0: a plain grid
    total: Mapped[int] = mapped_column(Integer)  # backtests to run, out-of-sample ones included
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SweepItem(Base):
    """One backtest of a sweep: a combination on a window; its index is the API's combination_id. Stored once:
    (sweep_id, item_index) is unique, so an item that two chunk attempts (or two gateways) finished counts once."""

    __tablename__ = "sweep_items"
    __table_args__ = (UniqueConstraint("sweep_id", "item_index", name="uq_sweep_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sweep_id: Mapped[str] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"), index=True)
    item_index: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(20))  # grid | in_sample | out_of_sample
    window: Mapped[int | None] = mapped_column("window_index", Integer, nullable=True)
    params: Mapped[dict] = mapped_column(JSON)
    start_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    end_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    success: Mapped[bool] = mapped_column(Boolean)
    objective_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    metrics: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    node: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # the full document, as /api/backtest/run
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)


class Database:
    def __init__(self, url: str, pool_size: int = 5, max_overflow: int = 10):
        url = driver_url(url)
        if url.startswith("sqlite"):
            self.engine = create_engine(url, connect_args={"check_same_thread": False}, pool_pre_ping=True)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True,
                                        pool_recycle=1800)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def prepare(self, upgrade: bool = True) -> str:
        """The schema at the newest revision: upgraded when `upgrade`, else SchemaOutOfDate when it is not."""
        return migrate.prepare(self.engine, upgrade)

    def session(self) -> Session:
        return self.sessions()

    def add(self, *rows: Base) -> None:
        with self.session() as s, s.begin():
            s.add_all(rows)

    def get(self, model: type[Base], key: str):
        with self.session() as s:
            return s.get(model, key)

    def newest(self, model, limit: int) -> list:
        with self.session() as s:
            return list(s.scalars(select(model).order_by(model.created_at.desc()).limit(limit)))

    def count(self, model) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0

    def dispose(self) -> None:
        self.engine.dispose()


def driver_url(url: str) -> str:
    """PostgreSQL URLs as providers give them (postgres://, postgresql://) go through psycopg 3."""
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
