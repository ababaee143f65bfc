"""Delivery with retries against a mock transport: attempts, backoff bounds, final 4xx, logging."""

import asyncio

import httpx

from botmoon_gateway.db import new_id
from botmoon_gateway.records import WebhookDelivery
from botmoon_gateway.webhooks import Deliverer, DeliveryPolicy, UrlGuard, verify
from botmoon_gateway.webhooks.delivery import attempts_of

FAST = DeliveryPolicy(timeout_s=1.0, max_attempts=4, backoff_s=0.01, backoff_max_s=0.05)


def run(db, answers, policy=FAST, secret=None):
    """Delivers one message to a transport that answers `answers` in turn; returns (delivery, requests)."""
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer)

    async def main():
        deliverer = Deliverer(db, UrlGuard(), policy, transport=httpx.MockTransport(handler))
        row = WebhookDelivery(id=new_id("dlv"), url="https://8.8.8.8/hook", event="test", payload={"a": 1})
        db.add(row)
        try:
            return await deliverer.deliver(row.id, secret=secret)
        finally:
            await deliverer.close()
    return asyncio.run(main()), seen


def test_two_5xx_then_success_on_the_third_attempt(db):
    delivery, seen = run(db, [500, 503, 200], secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert [a.response_code for a in attempts_of(db, delivery.id)] == [500, 503, 200]
    assert [a.status for a in attempts_of(db, delivery.id)] == ["failed", "failed", "delivered"]
    assert len({r.headers["webhook-id"] for r in seen}) == 1
    assert all(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", dict(r.headers), r.content) for r in seen)


def test_429_and_network_errors_retry_until_the_last_attempt(db):
    delivery, seen = run(db, [429, httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), 502])
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    statuses = [(a.status, a.response_code) for a in attempts_of(db, delivery.id)]
    assert statuses == [("failed", 429), ("error", None), ("timeout", None), ("failed", 502)]
    assert len(seen) == 4


def test_4xx_is_final(db):
    delivery, seen = run(db, [404, 200])
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 1, 404)
    assert len(seen) == 1


def test_backoff_grows_with_jitter_and_is_capped():
    policy = DeliveryPolicy(backoff_s=1.0, backoff_max_s=8.0)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert policy.delay(1, retry_after="5") >= 5
    assert policy.delay(1, retry_after="500") <= 8.0


def test_a_refused_url_is_not_sent(db):
    async def main():
        deliverer = Deliverer(db, UrlGuard(), FAST, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
        row = WebhookDelivery(id=new_id("dlv"), url="http://10.0.0.1/hook", event="test", payload={})
        db.add(row)
        try:
            return await deliverer.deliver(row.id)
        finally:
            await deliverer.close()
    delivery = asyncio.run(main())
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "private" in delivery.error


def test_a_delivery_held_by_another_replica_is_left_to_it(db):
    async def main():
        transport = httpx.MockTransport(lambda r: httpx.Response(200))
        one = Deliverer(db, UrlGuard(), FAST, transport=transport, owner="one")
        two = Deliverer(db, UrlGuard(), FAST, transport=transport, owner="two")
        row = WebhookDelivery(id=new_id("dlv"), url="https://8.8.8.8/hook", event="test", payload={})
        db.add(row)
        try:
            assert one._claim(row.id)
            assert await two.resume_pending() == 0
            skipped = await two.deliver(row.id)
            assert (skipped.status, skipped.attempts) == ("pending", 0)
            done = await one.deliver(row.id)
            assert (done.status, done.attempts) == ("delivered", 1)
            assert not two._claim(row.id)
        finally:
            await one.close()
            await two.close()
    asyncio.run(main())


def test_a_payload_with_a_lone_surrogate_is_sent_as_json_escapes(db):
    seen = []

    async def main():
        transport = httpx.MockTransport(lambda r: seen.append(r.content) or httpx.Response(200))
        deliverer = Deliverer(db, UrlGuard(), FAST, transport=transport)
        row = WebhookDelivery(id=new_id("dlv"), url="https://8.8.8.8/hook", event="test",
                              payload={"note": "caf\u00e9 \ud800"})
        db.add(row)
        try:
            return await deliverer.deliver(row.id)
        finally:
            await deliverer.close()
    delivery = asyncio.run(main())
    assert delivery.status == "delivered"
    assert seen == [b'{"note":"caf\\u00e9 \\ud800"}']


def test_a_stored_secret_that_cannot_sign_is_refused_not_retried(db):
    delivery, seen = run(db, [200], secret="whsec_not base64!")
    assert (delivery.status, delivery.attempts) == ("failed", 1) and seen == []
    assert "signing secret" in delivery.error
