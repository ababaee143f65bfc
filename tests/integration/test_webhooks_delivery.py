"""Webhooks through a real gateway process to real HTTP receivers on loopback."""

import json

import httpx
import pytest

from botmoon_gateway.webhooks import verify
from botmoon_testing.processes import Gateway
from botmoon_testing.receiver import Receiver

pytestmark = [pytest.mark.stack]

SEED = {"market_type": "CRYPTO_FUTURES", "symbol": "BTCUSDT", "side": "BUY_MARKET", "signal_type": "EMA_CROSS",
        "risk_level": "BALANCED", "timeframe": "15", "price": 50000.00, "tp_pct": 2.0, "sl_pct": 1.0}
NOWHERE = "127.0.0.1:9"  # no backend is needed for webhooks
RECEIVER_HOST = "127.0.0.2"


@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    """A gateway whose allow-list admits the receivers' loopback address only (127.0.0.2), with fast retries."""
    db = tmp_path_factory.mktemp("webhooks") / "gw.db"
    service = Gateway(NOWHERE, f"sqlite:///{db}", MARKETDATA_ADDR=NOWHERE, BACKTEST_ADDR=NOWHERE,
                      GATEWAY_WEBHOOK_ALLOW=f"{RECEIVER_HOST}/32", GATEWAY_WEBHOOK_MAX_ATTEMPTS="3",
                      GATEWAY_WEBHOOK_BACKOFF_S="0.05", GATEWAY_WEBHOOK_TIMEOUT_S="2")
    service.start()
    with httpx.Client(base_url=service.url, timeout=30) as client:
        yield client
    service.stop()


@pytest.fixture
def receiver():
    r = Receiver(host=RECEIVER_HOST).start()
    yield r
    r.stop()


def test_send_the_seed_payload_signed_through_an_endpoint(gw, receiver):
    created = gw.post("/api/webhooks/endpoints", json={"url": receiver.url, "name": "desk", "generate_secret": True,
                                                       "headers": {"x-desk": "7"}})
    assert created.status_code == 201, created.text
    endpoint = created.json()["endpoint"]
    secret = endpoint["secret"]
    assert secret.startswith("whsec_") and endpoint["has_secret"]
    assert gw.get(f"/api/webhooks/endpoints/{endpoint['id']}").json()["endpoint"]["secret"] is None

    reply = gw.post("/api/webhook/send", json={"endpoint_id": endpoint["id"], **SEED})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["success"] is True and body["delivery"]["status"] == "delivered"
    [got] = receiver.requests
    assert json.loads(got.body) == SEED
    assert got.headers["x-desk"] == "7" and got.headers["content-type"] == "application/json"
    assert got.headers["webhook-id"] == body["delivery"]["delivery_id"]
    assert verify(secret, got.headers, got.body)
    assert not verify(secret, got.headers, got.body.replace(b"50000", b"50001"))


def test_send_to_a_url_and_the_test_payload(gw, receiver):
    reply = gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED, "note": "extra fields pass"})
    assert reply.json()["success"] is True
    assert json.loads(receiver.requests[0].body) == {**SEED, "note": "extra fields pass"}
    assert "webhook-signature" not in receiver.requests[0].headers
    test = gw.post("/api/webhook/test", json={"webhook_url": receiver.url, "secret": "s3cret-key"}).json()
    assert test["success"] is True and test["delivery"]["event"] == "test"
    payload = json.loads(receiver.requests[1].body)
    assert payload["test"] is True and payload["side"] == "BUY_MARKET"
    assert verify("s3cret-key", receiver.requests[1].headers, receiver.requests[1].body)


def test_500_twice_then_delivered_on_the_third_attempt(gw, receiver):
    receiver.answer(500, 500)
    body = gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED}).json()
    delivery = body["delivery"]
    assert body["success"] is True and delivery["attempts"] == 3
    assert [(a["number"], a["response_code"]) for a in delivery["attempt_log"]] == [(1, 500), (2, 500), (3, 200)]
    assert all(a["latency_ms"] >= 0 for a in delivery["attempt_log"])
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    logged = gw.get(f"/api/webhooks/deliveries/{delivery['delivery_id']}").json()["delivery"]
    assert logged["status"] == "delivered" and len(logged["attempt_log"]) == 3


def test_a_receiver_down_past_the_last_attempt_is_a_logged_failure(gw, receiver):
    url = receiver.url
    receiver.stop()
    body = gw.post("/api/webhook/send", json={"webhook_url": url, **SEED}).json()
    assert body["success"] is False
    delivery = body["delivery"]
    assert (delivery["status"], delivery["attempts"]) == ("failed", 3)
    assert all(a["status"] == "error" and "ConnectError" in a["error"] for a in delivery["attempt_log"])
    failed = gw.get("/api/webhooks/deliveries", params={"status": "failed"}).json()["deliveries"]
    assert delivery["delivery_id"] in [d["delivery_id"] for d in failed]
    assert gw.get("/health").status_code == 200


def test_a_4xx_is_not_retried(gw, receiver):
    receiver.answer(410)
    delivery = gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED}).json()["delivery"]
    assert (delivery["status"], delivery["attempts"], delivery["response_code"]) == ("failed", 1, 410)
    assert len(receiver.requests) == 1


def test_endpoint_crud_and_field_errors(gw, receiver):
    created = gw.post("/api/webhooks/endpoints", json={"url": receiver.url, "secret": "whsec_" + "A" * 32}).json()
    endpoint_id = created["endpoint"]["id"]
    assert created["endpoint"]["secret"] == "whsec_" + "A" * 32
    updated = gw.put(f"/api/webhooks/endpoints/{endpoint_id}", json={"enabled": False, "name": "off"}).json()
    assert updated["endpoint"]["enabled"] is False and updated["endpoint"]["name"] == "off"
    assert endpoint_id in [e["id"] for e in gw.get("/api/webhooks/endpoints").json()["endpoints"]]
    assert gw.delete(f"/api/webhooks/endpoints/{endpoint_id}").json()["success"] is True
    assert gw.get(f"/api/webhooks/endpoints/{endpoint_id}").status_code == 404
    assert gw.delete(f"/api/webhooks/endpoints/{endpoint_id}").status_code == 404
    bad = gw.post("/api/webhooks/endpoints", json={"url": "ftp://x.example/hook"})
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "url"
    missing = gw.post("/api/webhook/send", json={**SEED})
    assert missing.status_code == 422 and missing.json()["fields"][0]["field"] == "webhook_url"
    price = gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED, "price": -1})
    assert price.status_code == 422 and price.json()["fields"][0]["field"] == "price"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.0.0.1/hook",
                                 "http://169.254.169.254/latest/meta-data/", "http://localhost:8080/hook",
                                 "http://[::1]:8080/hook"])
def test_ssrf_refused_unless_allow_listed(gw, url):
    for path, body, field in [("/api/webhooks/endpoints", {"url": url}, "url"),
                              ("/api/webhook/send", {"webhook_url": url, **SEED}, "webhook_url"),
                              ("/api/webhook/test", {"webhook_url": url}, "webhook_url")]:
        reply = gw.post(path, json=body)
        assert reply.status_code == 422, reply.text
        [problem] = reply.json()["fields"]
        assert problem["field"] == field and "not allowed" in problem["reason"]
    logged = gw.get("/api/webhooks/deliveries", params={"limit": 500}).json()["deliveries"]
    assert url not in {d["url"] for d in logged}


def test_deliveries_by_outcome_are_in_the_metrics(gw, receiver):
    def count(outcome: str) -> float:
        for line in gw.get("/metrics").text.splitlines():
            if line.startswith(f'botmoon_webhook_deliveries_total{{outcome="{outcome}"}}'):
                return float(line.split()[-1])
        return 0.0

    delivered, failed = count("delivered"), count("failed")
    assert gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED}).json()["success"] is True
    receiver.answer(410)
    assert gw.post("/api/webhook/send", json={"webhook_url": receiver.url, **SEED}).json()["success"] is False
    assert (count("delivered"), count("failed")) == (delivered + 1, failed + 1)
