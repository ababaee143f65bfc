"""Schemathesis over the gateway's own /openapi.json against a real gateway process (real sandbox, market data
and backtest behind it): generated valid and invalid requests for every operation, and not one server error.

Bounded so it stays quick: FUZZ_EXAMPLES per operation and mode (positive and negative), derandomized so a
run is repeatable, and at most FUZZ_BUDGET_S of calls per operation and mode once MIN_CALLS were made (the
operations that run code in containers are the slow ones). BOTMOON_FUZZ_EXAMPLES, BOTMOON_FUZZ_BUDGET_S and
BOTMOON_FUZZ_SEED widen or vary it locally."""

import os
import time

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(600)]

FUZZ_EXAMPLES = int(os.environ.get("BOTMOON_FUZZ_EXAMPLES", "10"))
FUZZ_BUDGET_S = float(os.environ.get("BOTMOON_FUZZ_BUDGET_S", "8"))
FUZZ_SEED = os.environ.get("BOTMOON_FUZZ_SEED")
MIN_CALLS = 3
CALL_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def fuzzed_gateway(sandbox, marketdata, backtest_node, tmp_path_factory):
    """A gateway of its own (fresh database), on the session's backends; webhooks fail fast, not retried."""
    db = tmp_path_factory.mktemp("fuzz") / "botmoon.db"
    service = Gateway(sandbox.address, f"sqlite:///{db}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address, GATEWAY_WEBHOOK_MAX_ATTEMPTS="1",
                      GATEWAY_WEBHOOK_TIMEOUT_S="1")
    service.start()
    yield service
    service.stop()


def _fuzz(operation, mode: GenerationMode, base_url: str, session: requests.Session, found: list[str]) -> int:
    """Calls the gateway with generated requests of one operation; server errors go to `found`. Returns the
    number of calls made."""
    started, calls = time.monotonic(), [0]

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=FUZZ_SEED is None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if calls[0] >= MIN_CALLS and time.monotonic() - started > FUZZ_BUDGET_S:
            return
        calls[0] += 1
        try:
            response = case.call(base_url=base_url, session=session, timeout=CALL_TIMEOUT_S)
        except requests.RequestException as exc:
            found.append(f"{operation.label} ({mode.value}): no answer: {type(exc).__name__}: {exc}\n"
                         f"  {case.as_curl_command()}")
            return
        if response.status_code >= 500:
            found.append(f"{operation.label} ({mode.value}): {response.status_code} {response.text[:300]}\n"
                         f"  {case.as_curl_command()}")

    if FUZZ_SEED is not None:
        run = seed(int(FUZZ_SEED))(run)
    try:
        run()
    except Unsatisfiable:  # an operation without inputs has no invalid request
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"
    return calls[0]


def test_no_request_the_openapi_allows_or_breaks_gets_a_server_error(fuzzed_gateway):
    schema = schemathesis.openapi.from_url(f"{fuzzed_gateway.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, "the OpenAPI lists too few operations to be the gateway's"
    found: list[str] = []
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                calls = _fuzz(operation, mode, fuzzed_gateway.url, session, found)
                assert calls >= 1 or mode is GenerationMode.NEGATIVE, f"{operation.label}: nothing was sent"
    fuzzed_gateway.process.assert_alive()
    assert not found, f"{len(found)} server errors:\n" + "\n".join(found[:20])


@pytest.mark.parametrize(("method", "path", "kwargs", "field"), [
    ("GET", "/api/webhooks/deliveries", {"params": {"endpoint_id": "18335095928165557990529120883028525056"}},
     "endpoint_id"),
    ("GET", "/api/webhooks/endpoints/-72735169733742270160568320", {}, "endpoint_id"),
    ("POST", "/api/backtest/quick", {"content": b'{"code": "\\ud800", "symbol": "BTCUSDT_BINANCE", "timeframe": "1h"}'},
     "code"),
    ("POST", "/api/backtest/quick", {"content": b'{"code": "x = 1", "symbol": "\\udfff", "timeframe": "1h"}'},
     "symbol"),
    ("POST", "/api/webhook/send", {"content": b'{"webhook_url": "http://x.example", "symbol": "A", "side": "B", '
                                              b'"price": 1, "note": ["\\ud83d"]}'}, "note"),
])
def test_the_server_errors_fuzzing_found_are_422s_naming_the_field(fuzzed_gateway, method, path, kwargs, field):
    headers = {"content-type": "application/json"} if "content" in kwargs else {}
    reply = httpx.request(method, f"{fuzzed_gateway.url}{path}", headers=headers, timeout=30, **kwargs)
    assert reply.status_code == 422, reply.text
    problems = reply.json()["fields"]
    assert any(p["field"] == field for p in problems), problems
