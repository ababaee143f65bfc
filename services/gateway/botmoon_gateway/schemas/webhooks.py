"""Bodies of the webhook endpoints: stored endpoints, send/test with the contract's payload, deliveries."""

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictStr

from botmoon_gateway.schemas.base import Body, Reply
from botmoon_gateway.webhooks.headers import check_headers
from botmoon_gateway.webhooks.signing import check_secret

# Checked when configured: a secret that cannot sign, or headers that cannot be sent, are a 422 now, not a
# failed delivery later.
SigningSecret = Annotated[StrictStr, Field(min_length=8, max_length=200), AfterValidator(check_secret)]
ExtraHeaders = Annotated[dict[str, StrictStr], AfterValidator(check_headers)]

SAMPLE = {"market_type": "CRYPTO_FUTURES", "symbol": "BTCUSDT", "side": "BUY_MARKET", "signal_type": "EMA_CROSS",
          "risk_level": "BALANCED", "timeframe": "15", "price": 50000.00, "tp_pct": 2.0, "sl_pct": 1.0}


class EndpointIn(Body):
    url: StrictStr = Field(min_length=1, max_length=2000)
    name: StrictStr = Field("", max_length=200)
    secret: SigningSecret | None = Field(None, description="HMAC key: whsec_<base64> or any string of 8+ characters")
    generate_secret: StrictBool = Field(False, description="create a whsec_ secret (returned once, on creation)")
    headers: ExtraHeaders = Field(default_factory=dict, description="added to every request")
    enabled: StrictBool = True


class EndpointUpdate(Body):
    url: StrictStr | None = Field(None, min_length=1, max_length=2000)
    name: StrictStr | None = Field(None, max_length=200)
    secret: SigningSecret | None = None
    headers: ExtraHeaders | None = None
    enabled: StrictBool | None = None


class EndpointOut(Reply):
    id: int
    url: str
    name: str
    has_secret: bool
    secret: str | None = Field(None, description="only in the reply that created or set it")
    headers: dict[str, str]
    enabled: bool
    created_at: dt.datetime


class EndpointResponse(Reply):
    success: bool
    endpoint: EndpointOut


class EndpointList(Reply):
    success: bool
    count: int
    endpoints: list[EndpointOut]


class Target(Body):
    webhook_url: StrictStr | None = Field(None, max_length=2000, description="send here, or to endpoint_id")
    endpoint_id: int | None = Field(None, description="a stored endpoint (its secret and headers apply)")
    secret: SigningSecret | None = Field(None, description="sign with this (webhook_url)")
    include_disabled: StrictBool = Field(False, description="send to endpoint_id even while it is disabled")


class SendBody(Target):
    """The contract's payload; any further fields are passed on as they are."""

    model_config = ConfigDict(extra="allow")

    market_type: StrictStr = "CRYPTO_FUTURES"
    symbol: StrictStr = Field(min_length=1, max_length=64)
    side: StrictStr = Field(min_length=1, max_length=40, description="e.g. BUY_MARKET, SELL_MARKET")
    signal_type: StrictStr = Field("MANUAL", max_length=64)
    risk_level: StrictStr = Field("BALANCED", max_length=40)
    timeframe: StrictStr | int = "15"
    price: float = Field(gt=0)
    tp_pct: float | None = Field(None, ge=0)
    sl_pct: float | None = Field(None, ge=0)


class AttemptOut(Reply):
    number: int
    status: str
    response_code: int | None
    latency_ms: int
    error: str | None
    at: dt.datetime


class DeliveryOut(Reply):
    delivery_id: str
    endpoint_id: int | None
    signal_id: str | None
    url: str
    event: str
    status: str
    attempts: int
    response_code: int | None
    error: str | None
    payload: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    attempt_log: list[AttemptOut] = []


class SendResponse(Reply):
    success: bool
    delivery: DeliveryOut | None = Field(description="null when nothing was sent (see skipped)")
    skipped: str | None = Field(None, description="why nothing was sent, e.g. the endpoint is disabled")


class DeliveryList(Reply):
    success: bool
    count: int
    deliveries: list[DeliveryOut]
