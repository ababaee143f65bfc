"""Delivery of one webhook message: one deadline for the whole of each attempt, retries with exponential
backoff and jitter on network errors, 5xx and 429, a bounded number of attempts; every attempt is recorded.

Each attempt connects to an address the SSRF guard vetted (the Host header and TLS name stay the URL's), and
reads at most `max_response_bytes` of a reply, so a receiver can hold neither a delivery nor the memory."""

import asyncio
import datetime as dt
import json
import logging
import os
import random
import secrets
import socket
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import or_, select, update

from botmoon_gateway import metrics
from botmoon_gateway.db import Database, now
from botmoon_gateway.records import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from botmoon_gateway.webhooks import signing
from botmoon_gateway.webhooks.guard import UrlGuard, UrlRefused, UrlUnresolved, Vetted
from botmoon_gateway.webhooks.headers import sendable

log = logging.getLogger(__name__)

USER_AGENT = "Botmoon-Webhooks/0.1"
QUOTE_MARGIN_S = 0.05  # the quote of a failed reply stops this long before the attempt's deadline


@dataclass(frozen=True)
class DeliveryPolicy:
    timeout_s: float = 5.0
    max_attempts: int = 5
    backoff_s: float = 1.0
    backoff_max_s: float = 60.0
    max_response_bytes: int = 1024

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Wait after failed attempt `attempt` (1-based): base·2^(n-1), capped, with jitter in its upper half."""
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), self.backoff_max_s))
        return delay


def body_bytes(payload: dict) -> bytes:
    """The JSON body as UTF-8; text that is no valid Unicode (lone surrogates) is sent as JSON escapes."""
    try:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(payload, separators=(",", ":")).encode("ascii")


class Deliverer:
    """Sends deliveries stored in the database and records each attempt and the outcome."""

    def __init__(self, db: Database, guard: UrlGuard, policy: DeliveryPolicy,
                 transport: httpx.AsyncBaseTransport | None = None, owner: str | None = None):
        self.db, self.guard, self.policy = db, guard, policy
        self.owner = owner or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.lease = dt.timedelta(seconds=policy.timeout_s + policy.backoff_max_s + 5)
        self._active: set[str] = set()
        # No kept-alive connections: each attempt connects to the address vetted for it, with its own TLS name.
        self.client = httpx.AsyncClient(follow_redirects=False, transport=transport, trust_env=False,
                                        limits=httpx.Limits(max_keepalive_connections=0),
                                        headers={"user-agent": USER_AGENT, "accept-encoding": "identity"})
        self._tasks: set[asyncio.Task] = set()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()

    def spawn(self, delivery_id: str) -> None:
        """Deliver in the background (live signals); the outcome is in the database."""
        task = asyncio.create_task(self.deliver(delivery_id), name=f"webhook-{delivery_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def resume_pending(self) -> int:
        """Deliveries left pending by a stopped gateway (no replica holds them) continue where they were."""
        ids = [i for i in await asyncio.to_thread(self._pending_ids) if i not in self._active]
        for delivery_id in ids:
            self.spawn(delivery_id)
        return len(ids)

    def _pending_ids(self) -> list[str]:
        with self.db.session() as s:
            return list(s.scalars(select(WebhookDelivery.id).where(
                WebhookDelivery.status == "pending",
                or_(WebhookDelivery.owner.is_(None), WebhookDelivery.lease_until < now()))))

    def _claim(self, delivery_id: str) -> bool:
        """Holds the delivery for this replica (or renews the hold); False when another replica sends it."""
        moment = now()
        with self.db.session() as s, s.begin():
            result = s.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
                       or_(WebhookDelivery.owner.is_(None), WebhookDelivery.owner == self.owner,
                           WebhookDelivery.lease_until < moment))
                .values(owner=self.owner, lease_until=moment + self.lease))
            return result.rowcount == 1

    async def deliver(self, delivery_id: str, secret: str | None = None,
                      extra_headers: dict | None = None) -> WebhookDelivery:
        """All attempts of one delivery. An endpoint's secret and headers apply when it has an endpoint."""
        if delivery_id in self._active:
            return (await asyncio.to_thread(self._load, delivery_id))[0]
        self._active.add(delivery_id)
        try:
            return await self._deliver(delivery_id, secret, extra_headers)
        finally:
            self._active.discard(delivery_id)

    async def _deliver(self, delivery_id: str, secret: str | None, extra_headers: dict | None) -> WebhookDelivery:
        delivery, endpoint = await asyncio.to_thread(self._load, delivery_id)
        if endpoint is not None:
            secret, extra_headers = endpoint.secret, endpoint.headers
        body = body_bytes(delivery.payload)
        number = delivery.attempts
        try:
            while delivery.status == "pending" and number < self.policy.max_attempts:
                if not await asyncio.to_thread(self._claim, delivery.id):
                    break
                number += 1
                outcome = await self._attempt(delivery, number, body, secret, extra_headers or {})
                final = outcome.status == "delivered" or not outcome.retry or number >= self.policy.max_attempts
                delivery = await asyncio.to_thread(self._record, delivery.id, number, outcome, final)
                metrics.WEBHOOK_ATTEMPTS.labels(outcome.status).inc()
                if final:
                    metrics.WEBHOOK_DELIVERIES.labels(delivery.status).inc()
                if not final:
                    await asyncio.sleep(self.policy.delay(number, outcome.retry_after))
        except asyncio.CancelledError:
            log.info("webhook delivery interrupted; resumes at the next start", extra={"delivery": delivery_id})
            raise
        return delivery

    async def _attempt(self, delivery: WebhookDelivery, number: int, body: bytes, secret: str | None,
                       extra_headers: dict) -> "_Outcome":
        """One attempt, the guard's lookup included, ends within `timeout_s` whatever the receiver does."""
        started = time.monotonic()
        deadline = asyncio.get_running_loop().time() + self.policy.timeout_s
        try:
            headers = {**sendable(extra_headers), "content-type": "application/json",
                       **signing.headers(secret, delivery.id, body)}
        except ValueError as exc:
            return _Outcome("refused", None, f"signing secret is not usable: {exc}", 0, retry=False)
        try:
            async with asyncio.timeout_at(deadline):
                try:
                    vetted = await self.guard.vet(delivery.url)
                except UrlUnresolved as exc:
                    return _Outcome("error", None, f"url {exc}", _ms(started), retry=True)
                except UrlRefused as exc:
                    return _Outcome("refused", None, f"url {exc}", _ms(started), retry=False)
                return await self._post(vetted, body, headers, started, deadline)
        except TimeoutError:
            return _Outcome("timeout", None, f"no complete answer within the {self.policy.timeout_s}s deadline",
                            _ms(started), retry=True)

    async def _post(self, vetted: Vetted, body: bytes, headers: dict, started: float,
                    deadline: float) -> "_Outcome":
        """POST to the vetted addresses in turn (the next only when connecting fails)."""
        headers = {**headers, "host": vetted.url.netloc.decode("ascii")}
        failure: Exception | None = None
        for address in vetted.addresses:
            request = self.client.build_request("POST", vetted.pinned(address), content=body, headers=headers,
                                                timeout=self.policy.timeout_s,
                                                extensions=vetted.request_extensions())
            try:
                response = await self.client.send(request, stream=True)
            except httpx.ConnectError as exc:
                failure = exc
                continue
            except httpx.TimeoutException as exc:
                return _Outcome("timeout", None, f"timed out after {self.policy.timeout_s}s ({type(exc).__name__})",
                                _ms(started), retry=True)
            except httpx.HTTPError as exc:
                return _Outcome("error", None, f"{type(exc).__name__}: {exc}"[:500], _ms(started), retry=True)
            try:
                return await self._judge(response, started, deadline)
            finally:
                await response.aclose()
        return _Outcome("error", None, f"{type(failure).__name__}: {failure}"[:500], _ms(started), retry=True)

    async def _judge(self, response: httpx.Response, started: float, deadline: float) -> "_Outcome":
        """The outcome from the status; a failure quotes the start of the reply (at most max_response_bytes,
        whatever of it arrives before the deadline)."""
        code = response.status_code
        if 200 <= code < 300:
            return _Outcome("delivered", code, None, _ms(started), retry=False)
        retry = code >= 500 or code == 429
        head = bytearray()
        try:
            async with asyncio.timeout_at(deadline - QUOTE_MARGIN_S):
                await _read_at_most(response, self.policy.max_response_bytes, head)
        except (TimeoutError, httpx.HTTPError):
            pass
        return _Outcome("failed", code, f"HTTP {code}: {head.decode('utf-8', 'replace')[:200]}", _ms(started),
                        retry=retry, retry_after=response.headers.get("retry-after") if code == 429 else None)

    def _load(self, delivery_id: str) -> tuple[WebhookDelivery, WebhookEndpoint | None]:
        with self.db.session() as s:
            delivery = s.get(WebhookDelivery, delivery_id)
            if delivery is None:
                raise KeyError(delivery_id)
            endpoint = s.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
            return delivery, endpoint

    def _record(self, delivery_id: str, number: int, outcome: "_Outcome", final: bool) -> WebhookDelivery:
        with self.db.session() as s, s.begin():
            s.add(WebhookAttempt(delivery_id=delivery_id, number=number, status=outcome.status,
                                 response_code=outcome.code, latency_ms=outcome.latency_ms, error=outcome.error))
            delivery = s.get(WebhookDelivery, delivery_id)
            delivery.attempts = number
            delivery.response_code = outcome.code
            delivery.error = outcome.error
            if final:
                delivery.status = "delivered" if outcome.status == "delivered" else "failed"
                delivery.finished_at = now()
        return delivery


@dataclass(frozen=True)
class _Outcome:
    status: str
    code: int | None
    error: str | None
    latency_ms: int
    retry: bool
    retry_after: str | None = None


async def _read_at_most(response: httpx.Response, limit: int, head: bytearray) -> None:
    """Appends the first `limit` bytes of the body as sent (not decompressed) to `head`; the rest is never read."""
    if response.is_stream_consumed:  # a response built in memory (a mock transport)
        head += response.content[:limit]
        return
    async for chunk in response.aiter_raw():
        head += chunk[: limit - len(head)]
        if len(head) >= limit:
            break


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def attempts_of(db: Database, delivery_id: str) -> list[WebhookAttempt]:
    with db.session() as s:
        return list(s.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                              .order_by(WebhookAttempt.number)))
