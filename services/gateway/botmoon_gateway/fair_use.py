"""Fair use: per-client limits on work in flight and a cap on running strategies; over a limit is a 429 with
Retry-After and a message naming the limit and its setting.

A client is its API key when keys are configured, else its address. `ClientLimits` (ASGI middleware) notes
the client of each request; `hold(kind)` takes one of its slots for the work's duration. Counts are per
gateway process.
"""

import contextvars
import hashlib
from collections import Counter
from contextlib import asynccontextmanager

from sqlalchemy import ColumnElement, func, select

from botmoon_gateway.errors import Limit, LimitReached
from botmoon_gateway.middleware import _presented_key
from botmoon_gateway.records import Strategy


class ClientLimits:
    """Counts each client's executions and backtests in flight; `hold` refuses one over the limit."""

    def __init__(self, app, limits: dict[str, Limit], by_key: bool, retry_after_s: int):
        self.app, self.limits, self.by_key, self.retry_after_s = app, limits, by_key, retry_after_s
        self.in_flight: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = _current.set((self, self._client(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)

    def refuse_if_full(self, kind: str, client: str) -> None:
        limit, running = self.limits[kind], self.in_flight[(kind, client)]
        if running >= limit.most:
            raise LimitReached(limit, f"this client already has {running} {limit.name} running", self.retry_after_s)

    def _client(self, scope) -> str:
        if self.by_key and (key := _presented_key(scope)):
            return "key:" + hashlib.sha256(key).hexdigest()[:16]
        return "address:" + ((scope.get("client") or ("unknown",))[0])


_current: contextvars.ContextVar[tuple[ClientLimits, str] | None] = contextvars.ContextVar("fair_use", default=None)


def check_free(kind: str) -> None:
    """Raises LimitReached now if the current client has no `kind` slot free (before work that would be left
    half done by a later refusal, e.g. a deploy that stores the algorithm and then runs it)."""
    current = _current.get()
    if current is not None:
        current[0].refuse_if_full(kind, current[1])


def current_client() -> str:
    """The current request's client as fair use counts it ("" outside a request): sweeps keep it for their limit."""
    current = _current.get()
    return current[1] if current is not None else ""


@asynccontextmanager
async def hold(kind: str):
    """One of the current client's `kind` slots for the block; LimitReached when all are taken. Outside a
    request (the live runner) there is no client and no limit."""
    current = _current.get()
    if current is None:
        yield
        return
    limits, client = current
    limits.refuse_if_full(kind, client)
    slot = (kind, client)
    limits.in_flight[slot] += 1
    try:
        yield
    finally:
        limits.in_flight[slot] -= 1
        if limits.in_flight[slot] <= 0:
            del limits.in_flight[slot]


def below_strategy_cap(most: int) -> ColumnElement[bool]:
    """A condition for the UPDATE that starts a strategy: true while fewer than `most` run (checked atomically
    in that statement)."""
    running = select(func.count()).select_from(Strategy).where(Strategy.status == "running").scalar_subquery()
    return running < most


def strategy_cap_reached(most: int, retry_after_s: int) -> LimitReached:
    limit = Limit("running strategies", "GATEWAY_FAIR_MAX_RUNNING_STRATEGIES", most)
    return LimitReached(limit, f"{most} strategies are running already; stop one first", retry_after_s)


def execution_limits(settings) -> dict[str, Limit]:
    """The per-client limits, from the gateway's settings."""
    return {
        "executions": Limit("code executions", "GATEWAY_FAIR_MAX_EXECUTIONS", settings.fair_max_executions),
        "backtests": Limit("backtests", "GATEWAY_FAIR_MAX_BACKTESTS", settings.fair_max_backtests),
    }
