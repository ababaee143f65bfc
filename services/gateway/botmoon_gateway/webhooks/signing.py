"""Standard Webhooks signatures: HMAC-SHA256 over `id.timestamp.body`, sent as `v1,<base64>`.

Secrets follow the `whsec_<base64 key>` convention; any other string is used as the key's UTF-8 bytes.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
MIN_KEY_BYTES = 8
MAX_KEY_BYTES = 128


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret; ValueError (saying why) when it is not a usable one."""
    if secret.startswith(PREFIX):
        try:
            key = base64.b64decode(secret[len(PREFIX):], validate=True)
        except binascii.Error:
            raise ValueError(f"a {PREFIX} secret must be followed by standard base64 (A-Z a-z 0-9 + / =)") from None
    else:
        try:
            key = secret.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("must be valid Unicode text") from None
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValueError(f"the key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes; this one is {len(key)}")
    return key


def check_secret(secret: str | None) -> str | None:
    """A validator for configuration: the secret unchanged when it can sign, else ValueError."""
    if secret is not None:
        secret_key(secret)
    return secret


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str | None, message_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """`webhook-id` and `webhook-timestamp` always; `webhook-signature` when there is a secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    out = {"webhook-id": message_id, "webhook-timestamp": str(timestamp)}
    if secret:
        out["webhook-signature"] = sign(secret, message_id, timestamp, body)
    return out


def verify(secret: str, request_headers: dict[str, str], body: bytes, tolerance_s: int = 300,
           at: float | None = None) -> bool:
    """What a receiver does: the signature matches one of the listed ones and the timestamp is recent."""
    lowered = {k.lower(): v for k, v in request_headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        listed = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        return False
    if abs((time.time() if at is None else at) - timestamp) > tolerance_s:
        return False
    expected = sign(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in listed)
