"""The gateway's wire format: reply times as ISO UTC with Z, unknown request keys refused by name."""

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from botmoon_gateway.schemas.base import Body, Reply, Timeframe


class Inner(Reply):
    at: dt.datetime


class Outer(Reply):
    naive: dt.datetime
    aware: dt.datetime | None = None
    per_key: dict[str, dt.datetime] = {}
    nested: list[Inner] = []
    anything: Any = None
    numbers: list[float] = []


class Request(Body):
    timeframe: Timeframe = "1h"


def test_every_time_shape_becomes_one():
    reply = Outer(naive=dt.datetime(2026, 2, 19, 17), aware=dt.datetime(2026, 2, 19, 19, tzinfo=dt.timezone(
        dt.timedelta(hours=2))), per_key={"1h:BTC": dt.datetime(2026, 1, 1, 0, 0, 1, 250_900, tzinfo=dt.UTC)},
        nested=[Inner(at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))], anything={"t": [dt.datetime(2026, 1, 2)]},
        numbers=[1.5])
    assert reply.model_dump(mode="json") == {
        "naive": "2026-02-19T17:00:00Z", "aware": "2026-02-19T17:00:00Z",
        "per_key": {"1h:BTC": "2026-01-01T00:00:01.250Z"}, "nested": [{"at": "2026-01-01T00:00:00Z"}],
        "anything": {"t": ["2026-01-02T00:00:00Z"]}, "numbers": [1.5]}
    assert reply.model_dump()["naive"] == dt.datetime(2026, 2, 19, 17)  # only the JSON form changes


def test_unknown_keys_and_timeframes_are_refused_by_name():
    with pytest.raises(ValidationError) as caught:
        Request(timeframe="7m", colour="blue")
    assert {(e["loc"][0], e["type"]) for e in caught.value.errors()} == {("timeframe", "literal_error"),
                                                                          ("colour", "extra_forbidden")}
    assert Request(timeframe="6h").timeframe == "6h"
