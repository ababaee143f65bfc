"""The README's commands for real: `make up` starts the whole stack from the built images, the seed's example
requests succeed against it, and `make down` leaves nothing behind and touches no other stack. Each stack here
has its own project and port (tests/e2e/conftest.py), as `make up PROJECT=… HOST_PORT=…` gives."""

import json

import httpx
import pytest

from botmoon_testing.compose import Stack
from botmoon_testing.receiver import Receiver

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def client(stack):
    with stack.client(timeout=120) as client:
        yield client


def test_seed_examples_against_the_compose_stack(client):
    stack = client
    assert stack.get("/ready").json()["ready"] is True
    deploy = stack.post("/api/ai/deploy", json={"code": "# My algorithm\nprint('Hello from AI!')\nresult = 42",
                                                 "name": "MyAlgorithm", "auto_run": True, "return_result": True}).json()
    assert deploy["success"] is True and deploy["execution"]["output"] == "Hello from AI!\n"
    assert deploy["execution"]["result"] == 42
    execute = stack.post("/api/ai/execute", json={"code": "import numpy as np\nprint(np.mean([1,2,3,4,5]))",
                                                  "name": "NumpyTest"}).json()
    assert execute["output"] == "3.0\n"
    assert stack.post("/api/ai/validate", json={"code": "import os"}).json()["validation"]["valid"] is False
    symbols = stack.get("/api/backtest/symbols").json()
    futures = {s["symbol"] for s in symbols["symbols"] if s["type"] == "CRYPTO_FUTURE"}
    assert {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"} <= futures
    example = stack.get("/api/backtest/example").json()["code"]
    run = stack.post("/api/backtest/run", json={"code": example, "backtest_config": {
        "exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": "CRYPTO_FUTURE",
        "initial_capital": 10000, "commission_rate": 0.0005, "limit": 500,
        "enabled_directions": ["long", "short"]}}).json()
    assert run["success"] is True and run["metrics"]["total_trades"] > 0
    quick = stack.post("/api/backtest/quick", json={"code": example, "symbol": "BTC/USDT:USDT", "timeframe": "1h",
                                                    "exchange": "binance"}).json()
    assert quick["success"] is True
    assert stack.post("/api/backtest/validate", json={"code": example}).json()["validation"]["valid"] is True
    console = stack.get("/api/console/status").json()
    assert console["success"] is True
    assert console["summary"]["ai_executions_count"] >= 2 and console["summary"]["saved_algorithms_count"] >= 1
    assert stack.get("/api/console/summary").json()["summary"] == console["summary"]
    assert stack.get("/api/console/running").json()["success"] is True


def test_webhook_test_reaches_a_receiver_on_this_host(client):
    stack = client
    receiver = Receiver(host="0.0.0.0").start()
    try:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        reply = stack.post("/api/webhook/test", json={"webhook_url": f"http://host.docker.internal:{port}/hook"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["success"] is True
        [received] = receiver.wait_for(1)
        payload = json.loads(received.body)
        assert payload["test"] is True and payload["side"] in ("BUY_MARKET", "SELL_MARKET")
    finally:
        receiver.stop()


def test_make_down_leaves_nothing_and_no_other_stack_is_touched(stack, images):
    other_before = stack.started()
    second = Stack(image_tag=images, MARKETDATA_EXCHANGE_ACCESS="false")
    try:
        second.up()
        assert second.leftovers()["containers"]
        assert httpx.get(f"{second.base}/ready", timeout=10).json()["ready"] is True
    finally:
        second.down()
    assert second.leftovers() == {"containers": [], "networks": [], "volumes": []}
    assert stack.started() == other_before
    assert httpx.get(f"{stack.base}/ready", timeout=10).json()["ready"] is True
