"""A pool of started, idle sandbox containers; each one serves a single execution, then is destroyed."""

import asyncio
import logging
import time

from botmoon_sandbox.adapters.docker_engine import DockerEngine, EngineError, SandboxContainer

log = logging.getLogger(__name__)


class ContainerPool:
    def __init__(self, engine: DockerEngine, size: int, idle_ttl_s: float, start_timeout_s: float,
                 reap_interval_s: float):
        self._engine = engine
        self._size = size
        self._idle_ttl_s = idle_ttl_s
        self._start_timeout_s = start_timeout_s
        self._reap_interval_s = reap_interval_s
        self._idle: list[SandboxContainer] = []
        self._starting = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._removals: set[asyncio.Task] = set()
        self._closed = False

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    async def start(self) -> None:
        self._spawn(self._refill_loop())
        self._spawn(self._reap_loop())

    async def acquire(self) -> SandboxContainer:
        """An idle warm container if there is one, otherwise a cold start."""
        self._wake.set()
        while self._idle:
            box = self._idle.pop()
            if time.monotonic() - box.started_at < self._idle_ttl_s:
                return box
            self.discard(box)
        return await self._start_one()

    def discard(self, box: SandboxContainer) -> None:
        """Removes a used container in the background."""
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
        """Stops refilling, lets a start in flight finish, and removes every container of the pool."""
        self._closed = True
        self._wake.set()
        if self._tasks:
            refill, *others = self._tasks
            for task in others:
                task.cancel()
            try:
                await asyncio.wait_for(refill, timeout=self._start_timeout_s)
            except (TimeoutError, asyncio.CancelledError):
                pass
            await asyncio.gather(*others, return_exceptions=True)
        idle, self._idle = self._idle, []
        for box in idle:
            self.discard(box)
        await asyncio.gather(*self._removals, return_exceptions=True)
        await self.reap(everything=True)

    async def _start_one(self) -> SandboxContainer:
        box = await asyncio.to_thread(self._engine.start)
        return box

    async def _refill_loop(self) -> None:
        while not self._closed:
            self._wake.clear()
            self._recycle_stale()
            while len(self._idle) + self._starting < self._size and not self._closed:
                self._starting += 1
                try:
                    box = await self._start_one()
                    ready = await asyncio.to_thread(self._engine.wait_ready, box, self._start_timeout_s)
                except EngineError as exc:
                    log.error("pool refill failed", extra={"error": str(exc)})
                    await asyncio.sleep(1.0)
                    continue
                finally:
                    self._starting -= 1
                if ready and not self._closed:
                    self._idle.append(box)
                else:
                    self.discard(box)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._idle_ttl_s / 4)
            except TimeoutError:
                pass

    def _recycle_stale(self) -> None:
        now = time.monotonic()
        fresh = [b for b in self._idle if now - b.started_at < self._idle_ttl_s]
        for box in self._idle:
            if box not in fresh:
                self.discard(box)
        self._idle = fresh

    async def _reap_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._reap_interval_s)
            try:
                await self.reap()
            except Exception as exc:  # noqa: BLE001 - the reaper must survive engine hiccups
                log.warning("reap failed", extra={"error": str(exc)})

    def _spawn(self, coro) -> None:
        self._tasks.append(asyncio.create_task(coro))
