"""Persistence of live trading: strategies, their signals, webhook endpoints, deliveries and attempts."""

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botmoon_gateway.db import Base, now


class Strategy(Base):
    """A deployed algorithm whose code defines a strategy class; its live configuration and state."""

    __tablename__ = "strategies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    algorithm_id: Mapped[str] = mapped_column(ForeignKey("algorithms.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    class_name: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="stopped", index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    symbols: Mapped[list] = mapped_column(JSON, default=list)
    price_source: Mapped[str] = mapped_column(String(20), default="ccxt")
    exchange: Mapped[str] = mapped_column(String(16), default="")
    timeframe: Mapped[str] = mapped_column(String(8), default="15m")
    interval_seconds: Mapped[float] = mapped_column(Float, default=60.0)
    endpoint_ids: Mapped[list] = mapped_column(JSON, default=list)
    # newest candle open time (ms) evaluated, per symbol
    seen: Mapped[dict] = mapped_column(JSON, default=dict)
    # the newest closed candle per symbol as last checked (live.freshness.Check), evaluated or too old
    freshness: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # the series market data resolved each symbol to when it was last confirmed: [{symbol, type, exchange}]
    series: Mapped[list | None] = mapped_column(JSON, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    signals_count: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_signal: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class GatewayReplica(Base):
    """A gateway process sharing the database, while it runs: live strategies are spread evenly over these."""

    __tablename__ = "gateways"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
    alive_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LiveSignal(Base):
    """A signal of a running strategy, recorded once per strategy, symbol and candle (also across restarts)."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("strategy_id", "symbol", "timeframe", "candle_ms", name="uq_signal_candle"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    strategy_id: Mapped[str] = mapped_column(ForeignKey("strategies.id"), index=True)
    symbol: Mapped[str] = mapped_column(String(40))
    timeframe: Mapped[str] = mapped_column(String(8))
    candle_ms: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)


class WebhookDelivery(Base):
    """One message to one URL; a live signal is delivered once per endpoint."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("signal_id", "endpoint_id", name="uq_delivery_signal_endpoint"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    signal_id: Mapped[str | None] = mapped_column(ForeignKey("signals.id"), nullable=True, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the gateway replica sending it, so a pending delivery is resumed by one replica only
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    response_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now)
