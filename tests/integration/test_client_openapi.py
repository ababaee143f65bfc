"""The OpenAPI document tools import, and the typed client against it: every operation has a readable id from
the gateway's table, a summary, an example and a resource tag, and a method of the same name on both clients
(a new endpoint without a client method fails here)."""

import re

import pytest

from botmoon_client import AsyncBotmoon, Botmoon
from botmoon_client.endpoints import OPERATIONS, ROUTES
from botmoon_gateway.app import create_app
from botmoon_gateway.openapi import OPERATIONS as TABLE
from botmoon_gateway.settings import GatewaySettings


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(GatewaySettings()).openapi()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield method.upper(), path, op


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def test_every_operation_is_readable_and_documented(document):
    seen = set()
    for method, path, op in operations(document):
        assert (method, path) in TABLE, f"{method} {path}: add it to botmoon_gateway/openapi.py OPERATIONS"
        op_id = op["operationId"]
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", op_id), op_id
        assert op_id not in seen
        seen.add(op_id)
        assert op.get("summary") and op["summary"] == TABLE[(method, path)].summary
        assert op.get("tags"), op_id
        examples = [m for m in op.get("requestBody", {}).get("content", {}).values() if "example" in m]
        examples += [m for r in op["responses"].values() for m in r.get("content", {}).values() if "example" in m]
        assert examples, f"{op_id} has no example"
    assert {"runBacktest", "deployCode", "startStrategy", "getConsoleStatus"} <= seen
    run = document["paths"]["/api/backtest/run"]["post"]
    example = run["requestBody"]["content"]["application/json"]["example"]
    assert example["backtest_config"]["symbol"] == "BTC/USDT:USDT" and example["backtest_config"]["limit"] == 500


def test_every_operation_has_a_client_method(document):
    for method, path, op in operations(document):
        op_id = op["operationId"]
        assert op_id in OPERATIONS, f"{op_id} ({method} {path}) has no builder in botmoon_client/endpoints.py"
        assert ROUTES[op_id] == (method, path)
        name = snake(op_id)
        assert OPERATIONS[op_id].__name__ == name
        for client in (Botmoon, AsyncBotmoon):
            assert callable(getattr(client, name, None)), f"{client.__name__}.{name} is missing"
    assert set(OPERATIONS) == {op["operationId"] for _, _, op in operations(document)}
