"""Runs code in the sandbox: admission, validation, a container from the pool, judging, disposal."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from botmoon_runner import protocol
from botmoon_sandbox import metrics
from botmoon_sandbox.adapters.docker_engine import DockerEngine, RawRun
from botmoon_sandbox.adapters.pool import ContainerPool
from botmoon_sandbox.domain import flavour as flavours
from botmoon_sandbox.domain import validation
from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.outcome import SIGKILL_EXIT, Limits, Outcome, Status, judge
from botmoon_sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)


class Overloaded(Exception):
    """The queue in front of the sandbox is full."""


@dataclass
class SessionCall:
    op: str
    args: dict = field(default_factory=dict)
    binary: bytes = b""
    skip_validation: bool = False


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

    @contextlib.asynccontextmanager
    async def _admission(self):
        """A place among running and queued work, or Overloaded at once."""
        if self._admitted >= self.capacity:
            raise Overloaded(f"{self._admitted} executions running or queued; the limit is {self.capacity}")
        self._admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1

    def _checked(self, code: str, skip_validation: bool) -> tuple[Outcome | None, Flavour]:
        """The rejection of invalid code, or None; and the cheapest flavour that has what the code imports
        (code that skipped validation: by its import statements)."""
        if skip_validation:
            return None, flavours.for_code(code)
        report = self.validate(code)
        return (None if report.valid else Outcome(Status.REJECTED, problems=list(report.problems))), report.flavour

    async def execute(self, code: str, skip_validation: bool = False, flavour: Flavour | None = None) -> Outcome:
        """Runs code once in a fresh container, of the given flavour or else the cheapest that serves it."""
        rejected, needed = self._checked(code, skip_validation)
        if rejected:
            return rejected
        async with self._admission():
            box = await self._pool.acquire(flavour or needed)
            try:
                frame = protocol.encode({"op": "exec", "code": code, "max_output": self._s.max_output_bytes})
                raw = await asyncio.to_thread(self._engine.call, box, frame, self._s.wall_time_s,
                                              self._s.max_output_bytes, True)
            finally:
                self._pool.discard(box)
        outcome = self._judge(raw)
        log.info("execution finished", extra={"status": outcome.status.value, "flavour": box.flavour.value,
                                              "elapsed_ms": round(raw.elapsed_s * 1000),
                                              "kill_reason": outcome.kill_reason})
        return outcome

    async def session(self, calls: AsyncIterator[SessionCall]) -> AsyncIterator[Outcome]:
        """One container (of the numeric flavour: strategies get numpy and pandas) for a sequence of calls on a
        strategy; the first call loads its code. Yields one outcome per call; anything but COMPLETED ends the
        session."""
        first = await anext(calls, None)
        if first is None:
            return
        if first.op != "load":
            raise ValueError("a session starts with op 'load'")
        rejected, _ = self._checked(str(first.args.get("code", "")), first.skip_validation)
        if rejected:
            yield rejected
            return
        async with self._admission():
            box = await self._pool.acquire(Flavour.NUMERIC)
            deadline = time.monotonic() + self._s.session_time_s
            try:
                call: SessionCall | None = first
                while call is not None:
                    frame = protocol.encode({**call.args, "op": call.op, "max_output": self._s.max_output_bytes,
                                             "max_value": self._s.max_session_reply_bytes}, binary=call.binary)
                    remaining = max(0.0, deadline - time.monotonic())
                    raw = await asyncio.to_thread(self._engine.call, box, frame, remaining,
                                                  self._s.max_session_reply_bytes)
                    outcome = self._judge(raw, session=True)
                    yield outcome
                    if outcome.status is not Status.COMPLETED:
                        return
                    call = await anext(calls, None)
            finally:
                self._pool.discard(box)

    def _judge(self, raw: RawRun, session: bool = False) -> Outcome:
        diagnostics = raw.diagnostics.decode("utf-8", "replace")[: self._s.max_output_bytes]
        outcome = judge(
            raw.reply, kind="session" if session else "exec", value=raw.value, violation=raw.violation,
            limits=self.limits, elapsed_s=raw.elapsed_s, timed_out=raw.timed_out, flooded=raw.flooded,
            oom_killed=raw.oom_killed, exit_code=raw.exit_code, diagnostics=diagnostics,
        )
        if outcome.error and outcome.error.get("type") == "SandboxProtocolError":
            log.warning("sandbox reply broke the protocol", extra={"reason": outcome.error["message"]})
        metrics.EXECUTIONS.labels(outcome.status.value).inc()
        if reason := _kill_reason(outcome, raw):
            metrics.KILLS.labels(reason).inc()
        return outcome


def _kill_reason(outcome: Outcome, raw: RawRun) -> str | None:
    """The limit that ended a run, as a metric label (in the order `judge` decides)."""
    if outcome.status is Status.TIMEOUT:
        return "timeout"
    if outcome.status is not Status.KILLED:
        return None
    if raw.oom_killed:
        return "memory"
    if raw.flooded:
        return "output"
    return "signal" if raw.exit_code == SIGKILL_EXIT else "pids"
