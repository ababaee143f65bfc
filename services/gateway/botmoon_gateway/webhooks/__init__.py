"""Webhook delivery: Standard Webhooks signing, the SSRF guard, and delivery with retries."""

from botmoon_gateway.webhooks.delivery import Deliverer, DeliveryPolicy
from botmoon_gateway.webhooks.guard import UrlGuard, UrlRefused
from botmoon_gateway.webhooks.signing import generate_secret, sign, verify

__all__ = ["Deliverer", "DeliveryPolicy", "UrlGuard", "UrlRefused", "generate_secret", "sign", "verify"]
