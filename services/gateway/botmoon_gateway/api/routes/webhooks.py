"""Webhooks: stored endpoints, sending the contract's payload, and the delivery log with every attempt."""

import asyncio
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from botmoon_gateway.api.deps import DbDep, DelivererDep
from botmoon_gateway.db import Database, new_id
from botmoon_gateway.errors import FieldError
from botmoon_gateway.records import WebhookDelivery, WebhookEndpoint
from botmoon_gateway.schemas.webhooks import (
    SAMPLE,
    AttemptOut,
    DeliveryList,
    DeliveryOut,
    EndpointIn,
    EndpointList,
    EndpointOut,
    EndpointResponse,
    EndpointUpdate,
    SendBody,
    SendResponse,
    Target,
)
from botmoon_gateway.webhooks import Deliverer, UrlRefused, generate_secret
from botmoon_gateway.webhooks.delivery import attempts_of

router = APIRouter(tags=["webhooks"])


def endpoint_out(row: WebhookEndpoint, show_secret: bool = False) -> EndpointOut:
    return EndpointOut(id=row.id, url=row.url, name=row.name, has_secret=bool(row.secret),
                       secret=row.secret if show_secret else None, headers=row.headers or {}, enabled=row.enabled,
                       created_at=row.created_at)


def delivery_out(row: WebhookDelivery, db: Database | None = None) -> DeliveryOut:
    attempts = attempts_of(db, row.id) if db is not None else []
    return DeliveryOut(
        delivery_id=row.id, endpoint_id=row.endpoint_id, signal_id=row.signal_id, url=row.url, event=row.event,
        status=row.status, attempts=row.attempts, response_code=row.response_code, error=row.error,
        payload=row.payload, created_at=row.created_at, finished_at=row.finished_at,
        attempt_log=[AttemptOut(number=a.number, status=a.status, response_code=a.response_code,
                                latency_ms=a.latency_ms, error=a.error, at=a.created_at) for a in attempts])


async def check_url(deliverer: Deliverer, url: str, field: str = "url") -> None:
    try:
        await deliverer.guard.check(url)
    except UrlRefused as exc:
        raise FieldError(field, str(exc)) from None


def _get_endpoint(db: Database, endpoint_id: int) -> WebhookEndpoint:
    row = db.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise HTTPException(404, f"webhook endpoint {endpoint_id} not found")
    return row


@router.get("/api/webhooks/endpoints", response_model=EndpointList)
async def list_endpoints(db: DbDep):
    """Every stored webhook endpoint (secrets are never shown again)."""
    def rows():
        with db.session() as s:
            return list(s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    found = await asyncio.to_thread(rows)
    return EndpointList(success=True, count=len(found), endpoints=[endpoint_out(r) for r in found])


@router.post("/api/webhooks/endpoints", response_model=EndpointResponse, status_code=201)
async def create_endpoint(body: EndpointIn, db: DbDep, deliverer: DelivererDep):
    """Store an endpoint. URLs to loopback, private, link-local or metadata addresses are refused."""
    await check_url(deliverer, body.url)
    if body.secret and body.generate_secret:
        raise FieldError("generate_secret", "cannot be combined with secret")
    secret = generate_secret() if body.generate_secret else body.secret
    row = WebhookEndpoint(url=body.url, name=body.name, secret=secret, headers=body.headers, enabled=body.enabled)
    await asyncio.to_thread(db.add, row)
    return EndpointResponse(success=True, endpoint=endpoint_out(row, show_secret=bool(secret)))


@router.get("/api/webhooks/endpoints/{endpoint_id}", response_model=EndpointResponse)
async def get_endpoint(endpoint_id: int, db: DbDep):
    """One endpoint."""
    return EndpointResponse(success=True, endpoint=endpoint_out(await asyncio.to_thread(_get_endpoint, db,
                                                                                        endpoint_id)))


@router.put("/api/webhooks/endpoints/{endpoint_id}", response_model=EndpointResponse)
async def update_endpoint(endpoint_id: int, body: EndpointUpdate, db: DbDep, deliverer: DelivererDep):
    """Change an endpoint's URL, name, secret, headers or enabled flag."""
    if body.url is not None:
        await check_url(deliverer, body.url)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("url", "") is None or changes.get("enabled", False) is None:
        raise FieldError("url" if "url" in changes else "enabled", "must not be null")

    def update():
        with db.session() as s, s.begin():
            row = s.get(WebhookEndpoint, endpoint_id)
            if row is None:
                raise HTTPException(404, f"webhook endpoint {endpoint_id} not found")
            for key, value in changes.items():
                setattr(row, key, value if key != "headers" else (value or {}))
            return row
    row = await asyncio.to_thread(update)
    return EndpointResponse(success=True, endpoint=endpoint_out(row, show_secret="secret" in changes))


@router.delete("/api/webhooks/endpoints/{endpoint_id}")
async def delete_endpoint(endpoint_id: int, db: DbDep):
    """Remove an endpoint; its delivery log stays."""
    def delete():
        with db.session() as s, s.begin():
            row = s.get(WebhookEndpoint, endpoint_id)
            if row is None:
                raise HTTPException(404, f"webhook endpoint {endpoint_id} not found")
            for delivery in s.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)):
                delivery.endpoint_id = None
            s.delete(row)
    await asyncio.to_thread(delete)
    return {"success": True, "deleted": endpoint_id}


async def _send(target: Target, payload: dict, event: str, db: Database, deliverer: Deliverer) -> SendResponse:
    if (target.webhook_url is None) == (target.endpoint_id is None):
        raise FieldError("webhook_url", "give either webhook_url or endpoint_id")
    if target.endpoint_id is not None:
        endpoint = await asyncio.to_thread(_get_endpoint, db, target.endpoint_id)
        if not endpoint.enabled and not target.include_disabled:
            return SendResponse(success=False, delivery=None,
                                skipped=f"webhook endpoint {endpoint.id} is disabled: nothing was sent (enable it, "
                                        "or send with include_disabled: true)")
        url = endpoint.url
    else:
        url = target.webhook_url
        await check_url(deliverer, url, "webhook_url")
    delivery = WebhookDelivery(id=new_id("dlv"), endpoint_id=target.endpoint_id, url=url, event=event,
                               payload=payload)
    await asyncio.to_thread(db.add, delivery)
    row = await deliverer.deliver(delivery.id, secret=target.secret)
    return SendResponse(success=row.status == "delivered", delivery=await asyncio.to_thread(delivery_out, row, db))


@router.post("/api/webhook/send", response_model=SendResponse)
async def send(body: SendBody, db: DbDep, deliverer: DelivererDep):
    """Send a signal payload to `webhook_url` (or a stored endpoint), with retries; the reply has every attempt.
    A disabled endpoint is skipped (`skipped` says so) unless `include_disabled` is true."""
    payload = body.model_dump(exclude=set(Target.model_fields), exclude_none=True)
    payload["timeframe"] = str(payload["timeframe"])
    return await _send(body, payload, "signal", db, deliverer)


@router.post("/api/webhook/test", response_model=SendResponse)
async def test(body: Target, db: DbDep, deliverer: DelivererDep):
    """Send the contract's sample payload (marked `test: true`)."""
    return await _send(body, {**SAMPLE, "test": True}, "test", db, deliverer)


@router.get("/api/webhooks/deliveries", response_model=DeliveryList)
async def list_deliveries(db: DbDep, endpoint_id: int | None = None, signal_id: str | None = None,
                          status: Literal["pending", "delivered", "failed"] | None = None,
                          limit: int = Query(50, ge=1, le=500)):
    """The delivery log, newest first, with every attempt."""
    def rows():
        query = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
        if endpoint_id is not None:
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        if signal_id is not None:
            query = query.where(WebhookDelivery.signal_id == signal_id)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        with db.session() as s:
            found = list(s.scalars(query))
        return [delivery_out(r, db) for r in found]
    found = await asyncio.to_thread(rows)
    return DeliveryList(success=True, count=len(found), deliveries=found)


@router.get("/api/webhooks/deliveries/{delivery_id}", response_model=SendResponse)
async def get_delivery(delivery_id: str, db: DbDep):
    """One delivery with its attempts."""
    row = await asyncio.to_thread(db.get, WebhookDelivery, delivery_id)
    if row is None:
        raise HTTPException(404, f"delivery '{delivery_id}' not found")
    return SendResponse(success=row.status == "delivered", delivery=await asyncio.to_thread(delivery_out, row, db))
