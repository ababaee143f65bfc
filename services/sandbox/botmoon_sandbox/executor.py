"""Runs code in the sandbox: admission, validation, a container from the pool, judging, disposal."""

import asyncio
import logging

from botmoon_sandbox.adapters.docker_engine import DockerEngine
from botmoon_sandbox.adapters.pool import ContainerPool
from botmoon_sandbox.domain import validation
from botmoon_sandbox.domain.outcome import Limits, Outcome, Status, judge
from botmoon_sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)


class Overloaded(Exception):
    """The queue in front of the sandbox is full."""


class Executor:
    def __init__(self, settings: SandboxSettings, engine: DockerEngine, pool: ContainerPool):
        self._s = settings
        self._engine = engine
        self._pool = pool
        self._slots = asyncio.Semaphore(settings.max_concurrent)
        self._admitted = 0
        self.accepting = False  # set once the isolation probes pass: fail closed
        self.limits = Limits(settings.wall_time_s, settings.memory_mb, settings.pids_limit,
                             settings.max_output_bytes)

    @property
    def capacity(self) -> int:
        return self._s.max_concurrent + self._s.queue_size

    def validate(self, code: str) -> validation.Report:
        return validation.validate(code, self._s.max_code_bytes)

    async def execute(self, code: str, skip_validation: bool = False) -> Outcome:
        if not skip_validation:
            report = self.validate(code)
            if not report.valid:
                return Outcome(Status.REJECTED, problems=list(report.problems))
        if self._admitted >= self.capacity:
            raise Overloaded(f"{self._admitted} executions running or queued; the limit is {self.capacity}")
        self._admitted += 1
        try:
            async with self._slots:
                return await self._run(code)
        finally:
            self._admitted -= 1

    async def _run(self, code: str) -> Outcome:
        box = await self._pool.acquire()
        try:
            request = {"op": "exec", "code": code, "max_output": self._s.max_output_bytes}
            raw = await asyncio.to_thread(self._engine.run, box, request, self._s.wall_time_s)
        finally:
            self._pool.discard(box)
        diagnostics = raw.diagnostics.decode("utf-8", "replace")
        outcome = judge(
            raw.reply, limits=self.limits, elapsed_s=raw.elapsed_s, timed_out=raw.timed_out,
            flooded=raw.flooded, oom_killed=raw.oom_killed, exit_code=raw.exit_code,
            diagnostics=diagnostics[: self._s.max_output_bytes],
        )
        log.info("execution finished", extra={"status": outcome.status.value,
                                              "elapsed_ms": round(raw.elapsed_s * 1000),
                                              "kill_reason": outcome.kill_reason})
        return outcome
