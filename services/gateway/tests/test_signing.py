"""Standard Webhooks signatures: the specification's example and round trips."""

import time

from botmoon_gateway.webhooks import generate_secret, sign, verify
from botmoon_gateway.webhooks.signing import headers


def test_signature_of_the_specification_example():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_headers_verify_and_tampering_fails():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    body = b'{"symbol":"BTCUSDT"}'
    sent = headers(secret, "dlv_1", body)
    assert set(sent) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert verify(secret, sent, body)
    assert not verify(secret, sent, body + b" ")
    assert not verify(generate_secret(), sent, body)
    assert not verify(secret, {**sent, "webhook-id": "dlv_2"}, body)


def test_old_timestamps_are_replays():
    secret = "a plain secret string"
    body = b"{}"
    old = headers(secret, "dlv_1", body, timestamp=int(time.time()) - 3600)
    assert not verify(secret, old, body)
    assert verify(secret, old, body, at=time.time() - 3600)


def test_no_secret_no_signature():
    assert "webhook-signature" not in headers(None, "dlv_1", b"{}")
