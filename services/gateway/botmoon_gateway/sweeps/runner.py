"""The sweep runner: each gateway runs the sweeps it holds a lease on, in chunks over the backtest replicas.

A sweep is a list of runs ("items": a combination on a range of candles), fixed when it is created and kept in
its row (`request["plan"]`). The runner claims unfinished sweeps (store.claim), and for each sends the items not
stored yet in chunks of at most GATEWAY_SWEEP_CHUNK_SIZE to BacktestService.RunChunk over the load-balanced backtest
channel, at most GATEWAY_SWEEP_CONCURRENCY chunks in flight for the whole gateway (and at most
GATEWAY_FAIR_MAX_BACKTESTS for one sweep). Each streamed result is stored as it arrives. A chunk that fails
(a replica stopped, a deadline) is sent again with only its items not stored yet, up to
GATEWAY_SWEEP_CHUNK_RETRIES times; then those items are stored as failed, with the reason.

Walk-forward has two phases: every window's in-sample grid, then each window's best combination on its
out-of-sample range (items appended after the grid's).

The lease is renewed every tick; a sweep whose lease this gateway lost (cancelled through any gateway, or taken
over after a stall) has its work stopped. On start, and whenever a lease runs out, unfinished sweeps are taken
(again) and only their missing items run.
"""

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from botmoon.backtest.v1 import backtest_pb2
from botmoon_gateway.backends import Backends
from botmoon_gateway.backtest_wire import config_message, result_document
from botmoon_gateway.db import Database, Sweep
from botmoon_gateway.schemas.backtest import BacktestConfig
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.sweeps import space, store
from botmoon_gateway.sweeps.ranking import best_of

log = logging.getLogger(__name__)

# Failures that another attempt cannot fix: the request itself is refused, or there are no candles.
FINAL_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION,
               grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.PERMISSION_DENIED}
RETRY_BACKOFF_S = (0.25, 0.5, 1.0, 2.0)  # x4 when the sandboxes are busy (RESOURCE_EXHAUSTED)


@dataclass(frozen=True)
class Item:
    """One run of a sweep: `params` (the combination, without the fixed params) on [start_ms, end_ms) (0: the
    config's whole range)."""

    index: int
    phase: str  # grid | in_sample | out_of_sample
    window: int | None
    params: dict
    start_ms: int = 0
    end_ms: int = 0


def first_phase(plan: dict) -> list[Item]:
    """The grid: every combination once, or on every walk-forward window's in-sample range."""
    combinations, windows = plan["combinations"], plan.get("windows") or []
    if not windows:
        return [Item(i, "grid", None, params) for i, params in enumerate(combinations)]
    return [Item(w * len(combinations) + c, "in_sample", w, params, window["in_sample"][0], window["in_sample"][1])
            for w, window in enumerate(windows) for c, params in enumerate(combinations)]


def out_of_sample_index(plan: dict, window: int) -> int:
    return len(plan["windows"]) * len(plan["combinations"]) + window


class SweepRunner:
    def __init__(self, db: Database, backends: Backends, settings: GatewaySettings):
        self.db, self.backends, self.settings = db, backends, settings
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.tasks: dict[str, asyncio.Task] = {}
        self._slots = asyncio.Semaphore(settings.sweep_concurrency)
        self._wake = asyncio.Event()
        self._main: asyncio.Task | None = None

    # --- lifecycle --------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._main = asyncio.create_task(self._loop(), name="sweep-runner")

    async def close(self) -> None:
        tasks = [t for t in (self._main, *self.tasks.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(store.release, self.db, self.owner)

    def wake(self) -> None:
        """Looks for sweeps now (a sweep was just created) instead of at the next tick."""
        self._wake.set()

    def stop(self, sweep_id: str) -> None:
        """Stops this gateway's work on a sweep at once (it was cancelled here; other gateways notice at their next
        lease renewal)."""
        task = self.tasks.pop(sweep_id, None)
        if task is not None:
            task.cancel()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep runner tick failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.sweep_tick_s)
            except TimeoutError:
                pass
            self._wake.clear()

    async def tick(self) -> None:
        """Renews the leases held (stopping work on sweeps no longer held), then claims sweeps up to the limit."""
        for sweep_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[sweep_id]
        held = await asyncio.to_thread(store.renew, self.db, list(self.tasks), self.owner, self.settings.sweep_lease_s)
        for sweep_id in set(self.tasks) - held:
            log.info("sweep no longer held here: stopping its work", extra={"sweep": sweep_id})
            self.stop(sweep_id)
        free = self.settings.sweep_concurrency - len(self.tasks)
        if free <= 0:
            return
        for sweep_id in await asyncio.to_thread(store.claimable, self.db, self.owner, free + len(self.tasks)):
            if sweep_id in self.tasks or len(self.tasks) >= self.settings.sweep_concurrency:
                continue
            if await asyncio.to_thread(store.claim, self.db, sweep_id, self.owner, self.settings.sweep_lease_s):
                self.tasks[sweep_id] = asyncio.create_task(self._run(sweep_id), name=f"sweep-{sweep_id}")

    # --- one sweep --------------------------------------------------------------------------------------------

    async def _run(self, sweep_id: str) -> None:
        try:
            sweep = await asyncio.to_thread(store.get, self.db, sweep_id)
            log.info("sweep running", extra={"sweep": sweep_id, "total": sweep.total})
            plan = sweep.request["plan"]
            await self._run_items(sweep, first_phase(plan))
            if plan.get("windows"):
                tests, untestable = await asyncio.to_thread(self._second_phase, sweep)
                await asyncio.to_thread(store.save_items, self.db, sweep.id, [
                    self._row(sweep, item, False, None, "no in-sample run of this window has a value of the objective "
                                                        "to choose by") for item in untestable])
                await self._run_items(sweep, tests)
            status, error = await asyncio.to_thread(self._outcome, sweep_id)
            if await asyncio.to_thread(store.finish, self.db, sweep_id, self.owner, status, error):
                log.info("sweep finished", extra={"sweep": sweep_id, "status": status})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("sweep failed", extra={"sweep": sweep_id})
            await asyncio.to_thread(store.finish, self.db, sweep_id, self.owner, "failed",
                                    f"internal error: {type(exc).__name__}: {exc}")

    def _second_phase(self, sweep: Sweep) -> tuple[list[Item], list[Item]]:
        """Walk-forward: each window's best in-sample combination on that window's out-of-sample range; and the
        windows where no run could be chosen (no objective value), whose out-of-sample run is recorded failed."""
        plan = sweep.request["plan"]
        rows = store.summaries(self.db, sweep.id, "in_sample")
        tests, untestable = [], []
        for w, window in enumerate(plan["windows"]):
            best = best_of([r for r in rows if r.window == w], sweep.objective, sweep.maximize,
                           sweep.request.get("constraints") or [])
            item = Item(out_of_sample_index(plan, w), "out_of_sample", w, best.params if best is not None else {},
                        window["out_of_sample"][0], window["out_of_sample"][1])
            (tests if best is not None else untestable).append(item)
        return tests, untestable

    def _outcome(self, sweep_id: str) -> tuple[str, str | None]:
        """completed when a run succeeded; failed (with the first run's error) when none did."""
        rows = store.summaries(self.db, sweep_id)
        if any(r.success for r in rows):
            return "completed", None
        reason = next((r.error for r in rows if r.error), None) or "no run succeeded"
        return "failed", f"every run failed; the first: {reason}"

    async def _run_items(self, sweep: Sweep, items: list[Item]) -> None:
        stored = await asyncio.to_thread(store.stored_indexes, self.db, sweep.id)
        pending = [item for item in items if item.index not in stored]
        if not pending:
            return
        in_flight = min(self.settings.sweep_concurrency, self.settings.fair_max_backtests)
        # Chunks of GATEWAY_SWEEP_CHUNK_SIZE, smaller when that would leave slots idle (a small sweep is spread)
        size = max(1, min(self.settings.sweep_chunk_size, math.ceil(len(pending) / in_flight)))
        chunks = [[pending[i] for i in part] for part in space.chunks(range(len(pending)), size)]
        per_sweep = asyncio.Semaphore(in_flight)

        async def one(chunk: list[Item]) -> None:
            async with per_sweep, self._slots:
                await self._run_chunk(sweep, chunk)

        await asyncio.gather(*(one(chunk) for chunk in chunks))

    async def _run_chunk(self, sweep: Sweep, chunk: list[Item]) -> None:
        """Sends the chunk until every item is stored: again with the missing ones after a failure, up to the
        retry bound; then the missing ones are stored as failed with the last failure's reason."""
        missing = {item.index: item for item in chunk}
        attempt = 0
        while missing:
            try:
                # aclosing: a cancel while a result is being stored also ends the call on the replica at once
                async with contextlib.aclosing(self._stream(sweep, list(missing.values()))) as stream:
                    async for index, success, document in stream:
                        item = missing.pop(index, None)
                        if item is not None:
                            await asyncio.to_thread(store.save_items, self.db, sweep.id,
                                                    [self._row(sweep, item, success, document)])
                if missing:
                    raise ChunkIncomplete(f"the chunk's stream ended with {len(missing)} run(s) missing")
            except (grpc.aio.AioRpcError, ChunkIncomplete) as exc:
                reason = _describe(exc)
                final = isinstance(exc, grpc.aio.AioRpcError) and exc.code() in FINAL_CODES
                attempt += 1
                if final or attempt > self.settings.sweep_chunk_retries:
                    log.warning("sweep chunk failed", extra={"sweep": sweep.id, "items": len(missing),
                                                             "attempts": attempt, "reason": reason})
                    rows = [self._row(sweep, item, False, None, reason) for item in missing.values()]
                    await asyncio.to_thread(store.save_items, self.db, sweep.id, rows)
                    return
                log.info("sweep chunk retried", extra={"sweep": sweep.id, "items": len(missing), "attempt": attempt,
                                                       "reason": reason})
                busy = isinstance(exc, grpc.aio.AioRpcError) and exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                await asyncio.sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S)) - 1] * (4 if busy else 1))

    def _stream(self, sweep: Sweep, items: list[Item]) -> AsyncIterator[tuple[int, bool, dict]]:
        request = sweep.request
        return run_chunk(self.backends, request["code"], request["backtest_config"],
                         request.get("strategy_params") or {}, items, self.settings.sweep_chunk_timeout_s)

    @staticmethod
    def _row(sweep: Sweep, item: Item, success: bool, document: dict | None, error: str | None = None) -> dict:
        metrics = (document or {}).get("metrics") or {}
        if document is not None and not success:
            failure = document.get("error") or {}
            error = ": ".join(str(p) for p in (failure.get("type"), failure.get("message")) if p) or "the run failed"
        value = metrics.get(sweep.objective)
        return {"item_index": item.index, "phase": item.phase, "window": item.window,
                "params": item.params, "start_ms": item.start_ms, "end_ms": item.end_ms, "success": success,
                "objective_value": value if isinstance(value, int | float) else None,
                "metrics": metrics or None, "error": error[:2000] if error else None,
                "node": str((document or {}).get("node") or "")[:200], "result": document}


async def run_chunk(backends: Backends, code: str, config: dict, fixed: dict, items: list[Item],
                    timeout_s: float) -> AsyncIterator[tuple[int, bool, dict]]:
    """(index, success, result document) of each item, as the backtest replica streams them: one RunChunk call,
    one candle fetch and one sandbox session for the chunk. Cancelled with the task that reads it."""
    request = backtest_pb2.ChunkRequest(
        code=code, config=config_message(BacktestConfig(**config)),
        items=[backtest_pb2.ChunkItem(index=item.index, params_json=json.dumps({**fixed, **item.params}),
                                      start_ms=item.start_ms, end_ms=item.end_ms) for item in items])
    call = backends.backtest.RunChunk(request, **backends.call_options(timeout_s))
    try:
        async for reply in call:
            yield reply.index, reply.result.success, result_document(reply.result)
    finally:
        call.cancel()


class ChunkIncomplete(Exception):
    """A chunk's stream ended cleanly without every item's result."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return str(exc)

