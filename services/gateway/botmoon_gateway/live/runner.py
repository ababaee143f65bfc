"""The live runner: one asyncio task per running strategy, holding a lease on it in the database.

Each round it asks market data for the newest closed candles of every symbol; for each symbol with a
fresh candle (`live.freshness`) not evaluated before, the strategy's `generate_signals` runs in a sandbox
session on the recent window. A candle that closed too long ago is never evaluated: the strategy shows
`stale_data` until a fresh one arrives. A signal on that newest candle is recorded once (strategy, symbol,
timeframe, candle) and delivered to each endpoint once (signal, endpoint). The newest evaluated candle of
each symbol is persisted, so a restarted gateway evaluates only the newest candle it missed, and never one
twice.

Gateway replicas sharing one database (PostgreSQL) spread the running strategies evenly: each claims free
strategies up to its share (running strategies / live gateways) with `SELECT ... FOR UPDATE SKIP LOCKED`, and
hands one back at the end of a round while it holds more than its share. A dead gateway's strategies are taken
over once its lease (`live_lease_s`) runs out. A signal is recorded under a lock on the strategy's row, only
while this runner still holds the lease, so two replicas never record (nor deliver) one candle twice.
"""

import asyncio
import datetime as dt
import logging
import math
import os
import secrets
import socket
import time
from dataclasses import dataclass

import grpc
from sqlalchemy import delete, func, or_, select, update

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_common.strategy_session import StrategyFailed, StrategySession
from botmoon_gateway.backends import Backends
from botmoon_gateway.db import Algorithm, Database, new_id, now
from botmoon_gateway.live import freshness
from botmoon_gateway.live.registry import NoStrategy, find_strategy, webhook_timeframe
from botmoon_gateway.live.signals import SignalFormatError, signal_on
from botmoon_gateway.records import GatewayReplica, LiveSignal, Strategy, WebhookDelivery, WebhookEndpoint
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.webhooks import Deliverer

log = logging.getLogger(__name__)

MARKET_TYPES = {candles_pb2.MARKET_TYPE_CRYPTO_SPOT: "CRYPTO_SPOT",
                candles_pb2.MARKET_TYPE_CRYPTO_FUTURE: "CRYPTO_FUTURES"}


@dataclass
class Feed:
    """A series the runner reads: active while it answered recently."""

    exchange: str
    symbol: str
    timeframe: str
    strategy_id: str
    last_candle_ms: int
    updated: float
    interval_s: float
    check: freshness.Check


class LiveRunner:
    def __init__(self, db: Database, backends: Backends, deliverer: Deliverer, settings: GatewaySettings):
        self.db, self.backends, self.deliverer, self.settings = db, backends, deliverer, settings
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.tasks: dict[str, asyncio.Task] = {}
        self.feeds: dict[tuple[str, str], Feed] = {}
        self._checked: set[str] = set()
        self._shed: set[str] = set()  # strategies to hand back at the end of their round (above this one's share)
        self._main: asyncio.Task | None = None
        self._resumed = time.monotonic()

    # --- lifecycle --------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.deliverer.resume_pending()
        self._main = asyncio.create_task(self._loop(), name="live-runner")

    async def close(self) -> None:
        tasks = [t for t in (self._main, *self.tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(self._release_all)
        await asyncio.to_thread(self._leave)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live runner tick failed")
            await asyncio.sleep(self.settings.live_tick_s)

    async def tick(self) -> None:
        """Registers new strategies, and starts a task for each running strategy this runner leases."""
        await asyncio.to_thread(self.sync)
        if time.monotonic() - self._resumed > self.deliverer.lease.total_seconds() / 2:
            self._resumed = time.monotonic()
            await self.deliverer.resume_pending()
        for strategy_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[strategy_id]
        for strategy_id in await asyncio.to_thread(self._claim):
            if strategy_id not in self.tasks:
                self.tasks[strategy_id] = asyncio.create_task(self._run(strategy_id), name=f"live-{strategy_id}")

    def wake(self, strategy_id: str) -> None:
        """Stops the local task of a strategy that was stopped through this gateway, without waiting."""
        task = self.tasks.pop(strategy_id, None)
        if task is not None:
            task.cancel()
        for key in [k for k in self.feeds if k[0] == strategy_id]:
            del self.feeds[key]

    # --- registration -----------------------------------------------------------------------------------------

    def sync(self) -> int:
        """Registers every deployed algorithm that defines a strategy class, stopped; returns how many were new."""
        with self.db.session() as s, s.begin():
            known = set(s.scalars(select(Strategy.algorithm_id)))
            rows = s.execute(select(Algorithm.id, Algorithm.name, Algorithm.code)
                             .where(Algorithm.id.not_in(known | self._checked))).all()
            added = 0
            for algorithm_id, name, code in rows:
                self._checked.add(algorithm_id)
                try:
                    s.add(new_strategy(algorithm_id, name, *find_strategy(code)))
                except NoStrategy:
                    continue
                added += 1
            return added

    # --- leases -----------------------------------------------------------------------------------------------

    def _claim(self) -> list[str]:
        """Running strategies this runner holds, with free ones added up to its share (excess ones marked to
        hand back); returns the held ones. Rows another replica is claiming are skipped, not waited for."""
        moment = now()
        until = moment + dt.timedelta(seconds=self.settings.live_lease_s)
        with self.db.session() as s, s.begin():
            replicas = self._heartbeat(s, moment, until)
            running = s.scalar(select(func.count()).select_from(Strategy).where(Strategy.status == "running")) or 0
            share = math.ceil(running / replicas)
            held = list(s.scalars(select(Strategy.id).where(Strategy.status == "running",
                                                            Strategy.lease_owner == self.owner,
                                                            Strategy.lease_until >= moment).order_by(Strategy.id)))
            self._shed = set(held[share:])
            if len(held) < share:
                free = list(s.scalars(select(Strategy.id)
                                      .where(Strategy.status == "running",
                                             or_(Strategy.lease_owner.is_(None), Strategy.lease_until < moment))
                                      .order_by(Strategy.id).limit(share - len(held))
                                      .with_for_update(skip_locked=True)))
                if free:
                    held += s.scalars(update(Strategy)
                                      .where(Strategy.id.in_(free), Strategy.status == "running",
                                             or_(Strategy.lease_owner.is_(None), Strategy.lease_until < moment))
                                      .values(lease_owner=self.owner, lease_until=until)
                                      .returning(Strategy.id)).all()
            return sorted(held)

    def _heartbeat(self, s, moment: dt.datetime, until: dt.datetime) -> int:
        """Marks this runner alive until `until`; returns how many replicas are alive (itself included)."""
        if s.execute(update(GatewayReplica).where(GatewayReplica.id == self.owner)
                     .values(alive_until=until)).rowcount == 0:
            s.add(GatewayReplica(id=self.owner, started_at=moment, alive_until=until))
            s.flush()
        s.execute(delete(GatewayReplica).where(GatewayReplica.alive_until < moment - dt.timedelta(days=1)))
        alive = s.scalar(select(func.count()).select_from(GatewayReplica)
                         .where(GatewayReplica.alive_until >= moment)) or 0
        return max(1, alive)

    def _leave(self) -> None:
        with self.db.session() as s, s.begin():
            s.execute(delete(GatewayReplica).where(GatewayReplica.id == self.owner))

    def _renew(self, strategy_id: str) -> Strategy | None:
        """The strategy, with the lease extended, while it is running and leased to this runner."""
        moment = now()
        with self.db.session() as s, s.begin():
            result = s.execute(
                update(Strategy)
                .where(Strategy.id == strategy_id, Strategy.status == "running", Strategy.lease_owner == self.owner)
                .values(lease_until=moment + dt.timedelta(seconds=self.settings.live_lease_s)))
            if result.rowcount != 1:
                return None
            return s.get(Strategy, strategy_id)

    def _release(self, strategy_id: str) -> None:
        with self.db.session() as s, s.begin():
            s.execute(update(Strategy).where(Strategy.id == strategy_id, Strategy.lease_owner == self.owner)
                      .values(lease_owner=None, lease_until=None))

    def _release_all(self) -> None:
        with self.db.session() as s, s.begin():
            s.execute(update(Strategy).where(Strategy.lease_owner == self.owner)
                      .values(lease_owner=None, lease_until=None))

    # --- one strategy -----------------------------------------------------------------------------------------

    async def _run(self, strategy_id: str) -> None:
        try:
            while strategy_id not in self._shed and (strategy := await asyncio.to_thread(self._renew,
                                                                                          strategy_id)) is not None:
                started = time.monotonic()
                try:
                    await self.evaluate(strategy)
                except (grpc.aio.AioRpcError, OSError) as exc:
                    await asyncio.to_thread(self._note_error, strategy_id, _describe(exc), False)
                await self._wait(strategy_id, strategy.interval_seconds - (time.monotonic() - started))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("live strategy task failed", extra={"strategy": strategy_id})
            await asyncio.to_thread(self._note_error, strategy_id, f"internal error: {_describe(exc)}", False)
        finally:
            self._shed.discard(strategy_id)
            await asyncio.shield(asyncio.to_thread(self._release, strategy_id))
            for key in [k for k in self.feeds if k[0] == strategy_id]:
                del self.feeds[key]

    async def _wait(self, strategy_id: str, seconds: float) -> None:
        """Sleeps until the next round, renewing the lease meanwhile and returning early when stopped."""
        deadline = time.monotonic() + max(0.0, seconds)
        step = min(1.0, self.settings.live_lease_s / 3)
        while (left := deadline - time.monotonic()) > 0 and strategy_id not in self._shed:
            await asyncio.sleep(min(left, step))
            if left > step and await asyncio.to_thread(self._renew, strategy_id) is None:
                return

    async def evaluate(self, strategy: Strategy) -> int:
        """One round over the strategy's symbols; returns the number of new signals."""
        code = await asyncio.to_thread(self._code, strategy.algorithm_id)
        fresh, checks = [], {}
        for symbol in strategy.symbols:
            reply = await self.backends.marketdata.GetCandles(
                marketdata_pb2.GetCandlesRequest(symbol=symbol, exchange=strategy.exchange or "",
                                                 timeframe=strategy.timeframe, limit=self.settings.live_window),
                **self.backends.call_options())
            times = reply.candles.open_time_ms
            if not times:
                continue
            key = f"{strategy.timeframe}:{symbol}"
            checks[symbol] = check = freshness.check(strategy.timeframe, times[-1], self.settings.live_max_candle_age)
            self.feeds[(strategy.id, symbol)] = Feed(reply.exchange, reply.symbol, strategy.timeframe, strategy.id,
                                                     times[-1], time.monotonic(), strategy.interval_seconds, check)
            if check.fresh and times[-1] > int((strategy.seen or {}).get(key, 0)):
                fresh.append((symbol, key, reply))
        await asyncio.to_thread(self._note_freshness, strategy.id, checks)
        if not fresh:
            return 0
        found = 0
        session = StrategySession(self.backends.sandbox, self.settings.grpc_timeout_s)
        try:
            meta = await session.load(code, strategy.params or {})
            for symbol, key, reply in fresh:
                c = reply.candles
                await session.send_candles(list(c.open_time_ms), [list(c.open), list(c.high), list(c.low),
                                                                  list(c.close), list(c.volume)])
                signal = signal_on(await session.signals(), c.open_time_ms[-1], c.low[-1], c.high[-1])
                levels = (None, None)
                if signal is not None and meta.get("has_levels"):
                    answer = (await session.levels([(signal[1], signal[0])]))[0]
                    levels = tuple(answer) if answer else (None, None)
                new = await asyncio.to_thread(self._record, strategy.id, symbol, key, reply, signal, levels)
                if new is None:  # another replica holds the strategy now: it evaluates this candle
                    return found
                for delivery_id in new:
                    self.deliverer.spawn(delivery_id)
                found += signal is not None
        except (StrategyFailed, SignalFormatError) as exc:
            await asyncio.to_thread(self._note_error, strategy.id, str(exc), True)
            return found
        finally:
            await session.close()
            self._touch_feeds(strategy.id)  # a round in the sandbox can outlast the feeds' activity window
        await asyncio.to_thread(self._note_success, strategy.id)
        return found

    def _touch_feeds(self, strategy_id: str) -> None:
        moment = time.monotonic()
        for (owner, _), feed in self.feeds.items():
            if owner == strategy_id:
                feed.updated = moment

    def _code(self, algorithm_id: str) -> str:
        return self.db.get(Algorithm, algorithm_id).code

    def _record(self, strategy_id: str, symbol: str, key: str, reply, signal, levels) -> list[str] | None:
        """Marks the candle evaluated; records its signal and deliveries once. Returns deliveries to send, or None
        when this runner no longer holds the strategy (nothing is recorded then)."""
        candle_ms = int(reply.candles.open_time_ms[-1])
        with self.db.session() as s, s.begin():
            strategy = s.get(Strategy, strategy_id, with_for_update=True)
            if strategy.lease_owner != self.owner:
                return None
            strategy.seen = {**(strategy.seen or {}), key: candle_ms}
            if signal is None:
                return []
            row = s.scalar(select(LiveSignal).where(LiveSignal.strategy_id == strategy_id, LiveSignal.symbol == symbol,
                                                    LiveSignal.timeframe == strategy.timeframe,
                                                    LiveSignal.candle_ms == candle_ms))
            if row is None:
                signal_id = new_id("sig")
                payload = _payload(strategy, reply, signal, levels, signal_id)
                row = LiveSignal(id=signal_id, strategy_id=strategy_id, symbol=symbol, timeframe=strategy.timeframe,
                                 candle_ms=candle_ms, payload=payload)
                s.add(row)
                strategy.signals_count += 1
                strategy.last_signal = payload
            endpoints = s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(strategy.endpoint_ids or []),
                                                                WebhookEndpoint.enabled.is_(True))).all()
            done = set(s.scalars(select(WebhookDelivery.endpoint_id).where(WebhookDelivery.signal_id == row.id)))
            created = []
            for endpoint in endpoints:
                if endpoint.id in done:
                    continue
                delivery = WebhookDelivery(id=new_id("dlv"), endpoint_id=endpoint.id, signal_id=row.id,
                                           url=endpoint.url, event="signal", payload=row.payload)
                s.add(delivery)
                created.append(delivery.id)
        return created

    def _note_freshness(self, strategy_id: str, checks: dict[str, freshness.Check]) -> None:
        """Stores what this round saw of each symbol; a series turning stale or fresh again is logged once."""
        with self.db.session() as s, s.begin():
            strategy = s.get(Strategy, strategy_id)
            before = {symbol: freshness.Check.from_json(v) for symbol, v in (strategy.freshness or {}).items()}
            for symbol, check in checks.items():
                was = before.get(symbol)
                if check.fresh != (was.fresh if was is not None else True):
                    log.log(logging.INFO if check.fresh else logging.WARNING,
                            "live candles fresh again" if check.fresh else "live candles stale",
                            extra={"strategy": strategy_id, "symbol": symbol, "timeframe": check.timeframe,
                                       "candle_ms": check.candle_ms, "age_s": check.age_ms // 1000})
            strategy.freshness = {symbol: check.to_json() for symbol, check in checks.items()}

    def _note_success(self, strategy_id: str) -> None:
        with self.db.session() as s, s.begin():
            strategy = s.get(Strategy, strategy_id)
            strategy.runs += 1
            strategy.consecutive_failures = 0
            strategy.last_run_at = now()

    def _note_error(self, strategy_id: str, message: str, counts: bool) -> None:
        """A failed round; the strategy's own failures count towards status `error`."""
        with self.db.session() as s, s.begin():
            strategy = s.get(Strategy, strategy_id)
            strategy.last_error = message[:2000]
            strategy.last_run_at = now()
            if not counts:
                return
            strategy.runs += 1
            strategy.errors_count += 1
            strategy.consecutive_failures += 1
            if strategy.consecutive_failures >= self.settings.live_max_failures:
                strategy.status = "error"
                strategy.stopped_at = now()
                log.warning("strategy stopped after consecutive failures",
                            extra={"strategy": strategy_id, "failures": strategy.consecutive_failures})

    # --- what the console shows ---------------------------------------------------------------------------------

    def active_feeds(self) -> list[Feed]:
        moment = time.monotonic()
        return [f for f in self.feeds.values() if moment - f.updated <= max(3 * f.interval_s, 10.0)]


def new_strategy(algorithm_id: str, name: str, class_name: str, params: dict) -> Strategy:
    """The stopped strategy of a deployed algorithm."""
    return Strategy(id=new_id("strat"), algorithm_id=algorithm_id, name=name, class_name=class_name, params=params,
                    symbols=[], endpoint_ids=[], seen={})


def _payload(strategy: Strategy, reply, signal: tuple[str, float], levels, signal_id: str) -> dict:
    side, price = signal
    tp, sl = levels
    candle_ms = int(reply.candles.open_time_ms[-1])
    base_quote = reply.symbol.split(":")[0].replace("/", "")
    return {
        "market_type": MARKET_TYPES.get(reply.market_type, "CRYPTO_FUTURES"),
        "symbol": base_quote,
        "side": "BUY_MARKET" if side == "long" else "SELL_MARKET",
        "signal_type": str((strategy.params or {}).get("signal_type") or strategy.class_name),
        "risk_level": str((strategy.params or {}).get("risk_level") or "BALANCED"),
        "timeframe": webhook_timeframe(strategy.timeframe),
        "price": price,
        "tp_pct": _pct(tp, price),
        "sl_pct": _pct(sl, price),
        "tp_price": tp,
        "sl_price": sl,
        "strategy": strategy.name,
        "strategy_id": strategy.id,
        "signal_id": signal_id,
        "signal": side,
        "exchange": reply.exchange,
        "ccxt_symbol": reply.symbol,
        "candle_time": dt.datetime.fromtimestamp(candle_ms / 1000, dt.UTC).isoformat(),
        "candle_time_ms": candle_ms,
    }


def _pct(level: float | None, price: float) -> float | None:
    return None if level is None or not price else round(abs(level - price) / price * 100, 6)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return f"{type(exc).__name__}: {exc}"
