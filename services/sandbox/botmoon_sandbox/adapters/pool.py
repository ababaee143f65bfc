"""Pools of started, idle sandbox containers, one per flavour; each container serves a single execution, then
is destroyed. Each flavour's pool follows its demand between a min and a max (domain.pool_sizing)."""

import asyncio
import logging
import time
from dataclasses import dataclass, field

from botmoon_sandbox import metrics
from botmoon_sandbox.adapters.docker_engine import DockerEngine, EngineError, SandboxContainer
from botmoon_sandbox.domain import pool_sizing
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.pool_sizing import Bounds, DecayedRate

log = logging.getLogger(__name__)

TICK_S = 1.0  # how often targets follow a demand that decays with no event to wake the pool
FIRST_LEAD_S = 1.0  # a flavour's start-to-ready time until one was measured
LEAD_WEIGHT = 0.2  # of each new measurement in the running average of start-to-ready times


@dataclass
class _FlavourPool:
    bounds: Bounds
    demand: DecayedRate
    idle: asyncio.Queue = field(default_factory=asyncio.Queue)
    starting: int = 0
    waiting: int = 0
    lead_s: float = FIRST_LEAD_S
    target: int = 0


class ContainerPool:
    def __init__(self, engine: DockerEngine, bounds: dict[Flavour, Bounds], budget: int, half_life_s: float,
                 idle_ttl_s: float, start_timeout_s: float, reap_interval_s: float, stream_bytes: int):
        self._engine = engine
        self._budget = budget
        self._pools = {f: _FlavourPool(b, DecayedRate(half_life_s)) for f, b in bounds.items()}
        self._idle_ttl_s = idle_ttl_s
        self._start_timeout_s = start_timeout_s
        self._reap_interval_s = reap_interval_s
        self._stream_bytes = stream_bytes
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._removals: set[asyncio.Task] = set()
        self._closed = False
        self._retarget(time.monotonic())
        for flavour, pool in self._pools.items():
            label = flavour.value
            metrics.POOL_WARM.labels(label).set_function(pool.idle.qsize)
            metrics.POOL_STARTING.labels(label).set_function(lambda p=pool: p.starting)
            metrics.POOL_TARGET.labels(label).set_function(lambda p=pool: p.target)
            metrics.POOL_DEMAND.labels(label).set_function(lambda p=pool: p.demand.rate(time.monotonic()))

    @property
    def idle_count(self) -> int:
        return sum(pool.idle.qsize() for pool in self._pools.values())

    def idle(self, flavour: Flavour) -> int:
        return self._pools[flavour].idle.qsize()

    def target(self, flavour: Flavour) -> int:
        return self._pools[flavour].target

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._refill_loop()))
        self._tasks.append(asyncio.create_task(self._reap_loop()))

    async def acquire(self, flavour: Flavour) -> SandboxContainer:
        """A warm container of the flavour; else one already starting; else a cold start.
        Refill is woken when a used container is discarded, after the execution, not during it."""
        pool = self._pools[flavour]
        pool.demand.note(time.monotonic())
        while not pool.idle.empty():
            box = pool.idle.get_nowait()
            if self._fresh(box):
                return self._taken(box, "warm")
            self._expire(box, "stale")
        if pool.starting > pool.waiting:
            pool.waiting += 1
            try:
                box = await self._next_idle(pool)
            finally:
                pool.waiting -= 1
            if box is not None:
                if self._fresh(box):
                    return self._taken(box, "starting")
                self._expire(box, "stale")
        return self._taken(await self._start_ready(flavour), "cold")

    async def _next_idle(self, pool: _FlavourPool) -> SandboxContainer | None:
        """The next container the pool puts back, within the start timeout (None after it). A caller cancelled
        in the meantime loses no container: one already taken goes back to the pool."""
        getter = asyncio.ensure_future(pool.idle.get())
        try:
            await asyncio.wait({getter}, timeout=self._start_timeout_s)
        except asyncio.CancelledError:
            if getter.done() and not getter.cancelled():
                pool.idle.put_nowait(getter.result())
            getter.cancel()
            raise
        if not getter.done():
            getter.cancel()
            return None
        return getter.result()

    def discard(self, box: SandboxContainer) -> None:
        """Removes a used container in the background."""
        box.stream.close()
        task = asyncio.create_task(asyncio.to_thread(self._engine.remove, box.id))
        self._removals.add(task)
        task.add_done_callback(self._removals.discard)
        self._wake.set()

    async def reap(self, everything: bool = False) -> int:
        """Removes this pool's containers that outlived their deadline (or all, at start-up)."""
        ids = await asyncio.to_thread(self._engine.list_ids, not everything)
        for container_id in ids:
            await asyncio.to_thread(self._engine.remove, container_id)
        if ids:
            log.info("reaped sandbox containers", extra={"count": len(ids), "all": everything})
        return len(ids)

    async def close(self) -> None:
        """Stops refilling, lets starts in flight finish, and removes every container of the pool."""
        self._closed = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for pool in self._pools.values():
            while not pool.idle.empty():
                self.discard(pool.idle.get_nowait())
        await asyncio.gather(*self._removals, return_exceptions=True)
        await self.reap(everything=True)

    @staticmethod
    def _taken(box: SandboxContainer, source: str) -> SandboxContainer:
        metrics.POOL_ACQUISITIONS.labels(box.flavour.value, source).inc()
        return box

    def _discard_started(self, start: asyncio.Future) -> None:
        if not start.cancelled() and start.exception() is None:
            self.discard(start.result())

    def _expire(self, box: SandboxContainer, reason: str) -> None:
        metrics.POOL_EXPIRED.labels(box.flavour.value, reason).inc()
        self.discard(box)

    def _fresh(self, box: SandboxContainer) -> bool:
        return time.monotonic() - box.started_at < self._idle_ttl_s

    async def _start_ready(self, flavour: Flavour) -> SandboxContainer:
        """A started container whose runner is ready. A caller cancelled meanwhile (its client gone) leaves no
        container behind: the start goes on in its thread, and what it made is removed once it is done."""
        began = time.monotonic()
        start = asyncio.ensure_future(asyncio.to_thread(self._engine.start, self._stream_bytes, flavour))
        try:
            box = await asyncio.shield(start)
        except asyncio.CancelledError:
            start.add_done_callback(self._discard_started)
            raise
        metrics.CONTAINER_STARTS.inc()
        try:
            ready = await asyncio.to_thread(self._engine.wait_ready, box, self._start_timeout_s)
        except asyncio.CancelledError:
            self.discard(box)
            raise
        if not ready:
            self.discard(box)
            raise EngineError(f"a sandbox container ({flavour.value}) did not become ready")
        pool = self._pools[flavour]
        pool.lead_s += LEAD_WEIGHT * (time.monotonic() - began - pool.lead_s)
        return box

    async def _fill_one(self, flavour: Flavour) -> None:
        pool = self._pools[flavour]
        try:
            box = await self._start_ready(flavour)
        except EngineError as exc:
            log.error("pool refill failed", extra={"flavour": flavour.value, "error": str(exc)})
            await asyncio.sleep(1.0)
            return
        finally:
            pool.starting -= 1
        if self._closed:
            self.discard(box)
        else:
            pool.idle.put_nowait(box)

    def _retarget(self, now: float) -> None:
        targets = pool_sizing.targets({f: p.bounds for f, p in self._pools.items()},
                                      {f: p.demand.rate(now) for f, p in self._pools.items()},
                                      {f: p.lead_s for f, p in self._pools.items()}, self._budget)
        for flavour, pool in self._pools.items():
            pool.target = targets[flavour]

    async def _refill_loop(self) -> None:
        fills: set[asyncio.Task] = set()
        try:
            while not self._closed:
                self._wake.clear()
                self._retarget(time.monotonic())
                for flavour, pool in self._pools.items():
                    self._recycle(pool)
                    while pool.idle.qsize() + pool.starting < pool.target:
                        pool.starting += 1
                        task = asyncio.create_task(self._fill_one(flavour))
                        fills.add(task)
                        task.add_done_callback(fills.discard)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=min(TICK_S, self._idle_ttl_s / 4))
                except TimeoutError:
                    pass
        finally:
            # Starts in flight finish (and are discarded, the pool being closed) rather than leak.
            await asyncio.gather(*fills, return_exceptions=True)

    def _recycle(self, pool: _FlavourPool) -> None:
        """Removes idle containers past their time to live, then the oldest beyond the flavour's target."""
        kept = []
        while not pool.idle.empty():
            box = pool.idle.get_nowait()
            if self._fresh(box):
                kept.append(box)
            else:
                self._expire(box, "stale")
        # None while a request waits: the container just put back may be the one it is about to take.
        surplus = 0 if pool.waiting else max(0, len(kept) + pool.starting - pool.target)
        for box in kept[:surplus]:
            self._expire(box, "surplus")
        for box in kept[surplus:]:
            pool.idle.put_nowait(box)

    async def _reap_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._reap_interval_s)
            try:
                await self.reap()
            except Exception as exc:  # noqa: BLE001 - the reaper must survive engine hiccups
                log.warning("reap failed", extra={"error": str(exc)})
