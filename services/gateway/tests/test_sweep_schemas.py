"""The sweep request body: every bad input is refused with the field and the reason, as a 422 through the API."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from botmoon_gateway import errors
from botmoon_gateway.schemas.sweeps import BoundsSpec, RangeSpec, SweepBody, duration_ms

START = "2024-01-01T00:00:00Z"


def refused(**body) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        SweepBody(code="x", **body)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_the_three_forms_of_a_space_value_and_the_default_direction():
    body = SweepBody(code="x", space={"fast": [5, 10], "k": {"start": 0.1, "stop": 0.5, "step": 0.1},
                                      "slow": {"min": 20, "max": 60, "integer": True}}, samples=7,
                     objective="max_drawdown")
    assert body.space["fast"] == [5, 10]
    assert isinstance(body.space["k"], RangeSpec) and not body.space["k"].integer
    assert isinstance(body.space["slow"], BoundsSpec) and body.space["slow"].integer
    assert body.maximize is False  # lower drawdown is better
    assert SweepBody(code="x", space={"a": [1]}).maximize is True
    assert SweepBody(code="x", space={"a": [1]}, objective="max_drawdown", maximize=True).maximize is True


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"space": {}}, "space", "at least 1 item"),
    ({"space": {"a": []}}, "space.a", "empty"),
    ({"space": {"a": [1, 1]}}, "space.a", "listed twice"),
    ({"space": {"a": {"min": 1, "max": 2}}}, "space.a", "set samples"),
    ({"space": {"a": {"start": 3, "stop": 1, "step": 1}}}, "space.a.range", "empty: stop 1 is below start 3"),
    ({"space": {"a": {"start": 1, "stop": 3, "step": 0}}}, "space.a.range.step", "greater than 0"),
    ({"space": {"a": {"min": 1.5, "max": 3, "integer": True}}, "samples": 3}, "space.a.bounds", "whole-number"),
    ({"space": {"a": {"colour": 1}}}, "space.a", "a list of values, {start, stop, step} or {min, max, integer}"),
    ({"space": {"a": [1]}, "objective": "luck"}, "objective", "'sharpe_ratio'"),
    ({"space": {"a": [1]}, "constraints": [{"metric": "total_trades"}]}, "constraints.0", "give min, max or both"),
    ({"space": {"a": [1]}, "samples": 0}, "samples", "greater than or equal to 1"),
    ({"space": {"a": [1]}, "walk_forward": {"in_sample": "1y", "out_of_sample": "90d"},
      "backtest_config": {"start": START}}, "walk_forward.in_sample", "not a duration"),
    ({"space": {"a": [1]}, "walk_forward": {"in_sample": "90m", "out_of_sample": "30d"},
      "backtest_config": {"start": START}}, "walk_forward.in_sample", "not a whole number of 1h candles"),
    ({"space": {"a": [1]}, "walk_forward": {"in_sample": "90d", "out_of_sample": "30d"}},
     "backtest_config.start", "fixed data range"),
])
def test_bad_bodies_name_the_field_and_the_reason(body, field, reason):
    problems = refused(**body)
    assert field in problems, problems
    assert reason in problems[field]


def test_durations():
    assert duration_ms("90d") == 90 * 86_400_000
    assert duration_ms("2w") == 14 * 86_400_000
    assert duration_ms("12h") == 12 * 3_600_000
    assert duration_ms("30m") == 30 * 60_000
    for bad in ("0d", "1y", "d", "1.5d", "-1d"):
        with pytest.raises(ValueError, match="not a duration"):
            duration_ms(bad)


def test_walk_forward_step_defaults_to_out_of_sample():
    body = SweepBody(code="x", space={"a": [1]}, backtest_config={"start": START},
                     walk_forward={"in_sample": "365d", "out_of_sample": "90d"})
    assert body.walk_forward.mode == "rolling"
    assert body.walk_forward.step_ms == body.walk_forward.out_of_sample_ms == 90 * 86_400_000


def test_the_api_answers_422_with_field_and_reason():
    app = FastAPI()
    errors.install(app, retry_after_s=1)

    @app.post("/sweeps")
    async def create(body: SweepBody) -> dict:
        return {"maximize": body.maximize}

    client = TestClient(app)
    reply = client.post("/sweeps", json={"code": "x", "space": {"fast": [], "slow": {"min": 1, "max": 2}}})
    assert reply.status_code == 422
    assert {(f["field"], f["reason"].split(":")[0]) for f in reply.json()["fields"]} == {
        ("space.fast", "empty"), ("space.slow", "min/max bounds are drawn at random")}
    assert client.post("/sweeps", json={"code": "x", "space": {"fast": [1, 2]}}).json() == {"maximize": True}
