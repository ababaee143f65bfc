"""A pool of started, idle sandbox containers; each one serves a single execution, then is destroyed."""

import asyncio
import logging
import time

from botmoon_sandbox import metrics
from botmoon_sandbox.adapters.docker_engine import DockerEngine, EngineError, SandboxContainer

log = logging.getLogger(__name__)


class ContainerPool:
    def __init__(self, engine: DockerEngine, size: int, idle_ttl_s: float, start_timeout_s: float,
                 reap_interval_s: float, stream_bytes: int):
        self._engine = engine
        self._size = size
        self._idle_ttl_s = idle_ttl_s
        self._start_timeout_s = start_timeout_s
        self._reap_interval_s = reap_interval_s
        self._stream_bytes = stream_bytes
        self._idle: asyncio.Queue[SandboxContainer] = asyncio.Queue()
        self._starting = 0
        self._waiting = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._removals: set[asyncio.Task] = set()
        self._closed = False

    @property
    def idle_count(self) -> int:
        return self._idle.qsize()

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._refill_loop()))
        self._tasks.append(asyncio.create_task(self._reap_loop()))

    async def acquire(self) -> SandboxContainer:
        """A warm container; else one already starting; else a cold start.
        Refill is woken when a used container is discarded, after the execution, not during it."""
        while not self._idle.empty():
            box = self._idle.get_nowait()
            if self._fresh(box):
                return box
            self.discard(box)
        if self._starting > self._waiting:
            self._waiting += 1
            try:
                box = await asyncio.wait_for(self._idle.get(), timeout=self._start_timeout_s)
                if self._fresh(box):
                    return box
                self.discard(box)
            except TimeoutError:
                pass
            finally:
                self._waiting -= 1
        return await self._start_ready()

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
        while not self._idle.empty():
            self.discard(self._idle.get_nowait())
        await asyncio.gather(*self._removals, return_exceptions=True)
        await self.reap(everything=True)

    def _fresh(self, box: SandboxContainer) -> bool:
        return time.monotonic() - box.started_at < self._idle_ttl_s

    async def _start_ready(self) -> SandboxContainer:
        box = await asyncio.to_thread(self._engine.start, self._stream_bytes)
        metrics.CONTAINER_STARTS.inc()
        if not await asyncio.to_thread(self._engine.wait_ready, box, self._start_timeout_s):
            self.discard(box)
            raise EngineError("a sandbox container did not become ready")
        return box

    async def _fill_one(self) -> None:
        try:
            box = await self._start_ready()
        except EngineError as exc:
            log.error("pool refill failed", extra={"error": str(exc)})
            await asyncio.sleep(1.0)
            return
        finally:
            self._starting -= 1
        if self._closed:
            self.discard(box)
        else:
            self._idle.put_nowait(box)

    async def _refill_loop(self) -> None:
        fills: set[asyncio.Task] = set()
        try:
            while not self._closed:
                self._wake.clear()
                self._recycle_stale()
                while self._idle.qsize() + self._starting < self._size:
                    self._starting += 1
                    task = asyncio.create_task(self._fill_one())
                    fills.add(task)
                    task.add_done_callback(fills.discard)
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._idle_ttl_s / 4)
                except TimeoutError:
                    pass
        finally:
            # Starts in flight finish (and are discarded, the pool being closed) rather than leak.
            await asyncio.gather(*fills, return_exceptions=True)

    def _recycle_stale(self) -> None:
        kept = []
        while not self._idle.empty():
            box = self._idle.get_nowait()
            if self._fresh(box):
                kept.append(box)
            else:
                self.discard(box)
        for box in kept:
            self._idle.put_nowait(box)

    async def _reap_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._reap_interval_s)
            try:
                await self.reap()
            except Exception as exc:  # noqa: BLE001 - the reaper must survive engine hiccups
                log.warning("reap failed", extra={"error": str(exc)})
