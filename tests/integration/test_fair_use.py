"""Fair use against a real gateway (real sandbox, market data and backtest behind it): per-key limits on
executions and backtests in flight, the cap on running strategies, retention of stored executions by count
and age, and the cap on what is stored of one execution."""

import threading
import time

import httpx
import pytest

from botmoon_testing.processes import Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack]

KEYS = ("fair-key-one", "fair-key-two")
KEEP = 3
MAX_AGE_S = 30.0
STORED_BYTES = 1024
SLOW = "import time\ntime.sleep(2.5)\nresult = 'slow'"
STRATEGY = '''
class Flat:
    def __init__(self, params):
        self.params = params

    def generate_signals(self, data):
        return {"signals": []}
'''


@pytest.fixture(scope="module")
def fair_gateway(sandbox, marketdata, backtest_node, tmp_path_factory):
    db = tmp_path_factory.mktemp("fair") / "botmoon.db"
    service = Gateway(sandbox.address, f"sqlite:///{db}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address, GATEWAY_API_KEYS=",".join(KEYS),
                      GATEWAY_FAIR_MAX_EXECUTIONS="1", GATEWAY_FAIR_MAX_BACKTESTS="1",
                      GATEWAY_FAIR_MAX_RUNNING_STRATEGIES="1", GATEWAY_EXECUTIONS_KEEP=str(KEEP),
                      GATEWAY_EXECUTIONS_MAX_AGE_DAYS=str(MAX_AGE_S / 86400), GATEWAY_EXECUTIONS_PRUNE_INTERVAL_S="0.5",
                      GATEWAY_EXECUTION_MAX_STORED_BYTES=str(STORED_BYTES), GATEWAY_RETRY_AFTER_S="3")
    service.start()
    yield service
    service.stop()


def api(gateway: Gateway, key: str) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=120, headers={"X-API-Key": key})


def in_background(call) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(call()), daemon=True)
    thread.start()
    return thread, out


def assert_over_limit(reply: httpx.Response, setting: str) -> None:
    assert reply.status_code == 429, reply.text
    assert reply.headers["retry-after"] == "3"
    body = reply.json()
    assert body["success"] is False and body["limit"] == setting.removeprefix("GATEWAY_").lower()
    assert body["error"].startswith("fair use:") and setting in body["error"]


def test_a_key_runs_one_execution_at_a_time_and_another_key_is_not_held_up(fair_gateway):
    with api(fair_gateway, KEYS[0]) as one, api(fair_gateway, KEYS[1]) as two:
        thread, out = in_background(lambda: one.post("/api/ai/execute", json={"code": SLOW}))
        time.sleep(1.0)  # the slow one is running
        assert_over_limit(one.post("/api/ai/execute", json={"code": "result = 1"}), "GATEWAY_FAIR_MAX_EXECUTIONS")
        assert_over_limit(one.post("/api/ai/deploy", json={"code": STRATEGY, "name": "Refused", "auto_run": True}),
                          "GATEWAY_FAIR_MAX_EXECUTIONS")
        assert "Refused" not in [s["name"] for s in one.get("/api/strategies").json()["strategies"]]
        other = two.post("/api/ai/execute", json={"code": "result = 2"})
        assert other.status_code == 200 and other.json()["result"] == 2
        thread.join(30)
        assert out[0].status_code == 200 and out[0].json()["result"] == "slow"
        again = one.post("/api/ai/execute", json={"code": "result = 3"})
        assert again.status_code == 200 and again.json()["result"] == 3


def test_a_key_runs_one_backtest_at_a_time(fair_gateway):
    with api(fair_gateway, KEYS[0]) as one, api(fair_gateway, KEYS[1]) as two:
        example = one.get("/api/backtest/example").json()
        slow = example["code"].replace("def generate_signals(self, data):",
                                       "def generate_signals(self, data):\n        import time\n"
                                       "        time.sleep(3)", 1)
        assert slow != example["code"]
        body = {"code": slow, "backtest_config": {"symbol": "BTCUSDT_BINANCE", "timeframe": "1h", "limit": 200}}
        thread, out = in_background(lambda: one.post("/api/backtest/run", json=body))
        time.sleep(1.5)
        assert_over_limit(one.post("/api/backtest/quick", json={"code": example["code"], "symbol": "BTCUSDT_BINANCE",
                                                                "timeframe": "1h"}), "GATEWAY_FAIR_MAX_BACKTESTS")
        assert two.post("/api/backtest/quick", json={"code": example["code"], "symbol": "BTCUSDT_BINANCE",
                                                     "timeframe": "1h"}).status_code == 200
        thread.join(120)
        assert out[0].status_code == 200, out[0].text


def test_running_strategies_are_capped(fair_gateway):
    with api(fair_gateway, KEYS[0]) as one:
        ids = []
        for name in ("First", "Second"):
            algorithm = one.post("/api/ai/deploy", json={"code": STRATEGY, "name": name}).json()["algorithm_id"]
            [found] = [s for s in one.get("/api/strategies").json()["strategies"] if s["algorithm_id"] == algorithm]
            ids.append(found["id"])
        start = {"symbols": ["BTC/USDT:USDT"], "timeframe": "1h", "interval_seconds": 60}
        assert one.post(f"/api/strategies/{ids[0]}/start", json=start).status_code == 200
        assert_over_limit(one.post(f"/api/strategies/{ids[1]}/start", json=start),
                          "GATEWAY_FAIR_MAX_RUNNING_STRATEGIES")
        assert one.get(f"/api/strategies/{ids[1]}").json()["strategy"]["status"] == "stopped"
        assert one.post(f"/api/strategies/{ids[0]}/stop").status_code == 200
        assert one.post(f"/api/strategies/{ids[1]}/start", json=start).status_code == 200
        assert one.post(f"/api/strategies/{ids[1]}/stop").status_code == 200


def test_what_is_stored_of_an_execution_is_capped(fair_gateway):
    code = "print('x' * 5000)\nimport warnings\nwarnings.warn('e' * 3000)\nresult = ['y' * 100] * 50"
    with api(fair_gateway, KEYS[1]) as two:
        reply = two.post("/api/ai/execute", json={"code": code}).json()
        assert reply["status"] == "completed" and reply["truncated"] is True
        stored = two.get(f"/api/ai/executions/{reply['execution_id']}").json()
        assert len(stored["output"].encode()) == STORED_BYTES and set(stored["output"]) == {"x"}
        stderr, _, note = stored["stderr"].partition("\n[botmoon: ")
        assert "e" * 100 in stderr and len(stderr.encode()) <= STORED_BYTES and f"{STORED_BYTES}-byte cap" in note
        assert stored["result"] is None and stored["truncated"] is True
        small = two.post("/api/ai/execute", json={"code": "print('ok')\nresult = {'a': 1}"}).json()
        assert (small["output"], small["result"], small["truncated"]) == ("ok\n", {"a": 1}, False)


def test_stored_executions_are_pruned_by_count_and_age(fair_gateway):
    with api(fair_gateway, KEYS[1]) as two:
        made = [two.post("/api/ai/execute", json={"code": f"result = {i}"}).json()["execution_id"] for i in range(5)]
        last_made = time.monotonic()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            kept = [e["execution_id"] for e in two.get("/api/ai/executions").json()["executions"]]
            if len(kept) <= KEEP:
                break
            time.sleep(0.2)
        assert kept == made[::-1][:KEEP]
        assert two.get(f"/api/ai/executions/{made[0]}").status_code == 404
        time.sleep(max(0.0, last_made + MAX_AGE_S + 1.5 - time.monotonic()))
        assert two.get("/api/ai/executions").json()["executions"] == []


def test_without_keys_a_client_is_its_address_and_a_made_up_key_changes_nothing(sandbox, tmp_path):
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp_path / 'open.db'}", GATEWAY_FAIR_MAX_EXECUTIONS="1").start()
    other_address = httpx.HTTPTransport(local_address="127.0.0.2")
    try:
        with httpx.Client(base_url=gateway.url, timeout=120) as here, \
                httpx.Client(base_url=gateway.url, timeout=120, transport=other_address) as there:
            thread, out = in_background(lambda: here.post("/api/ai/execute", json={"code": SLOW}))
            time.sleep(1.0)
            busy = here.post("/api/ai/execute", json={"code": "result = 1"}, headers={"X-API-Key": "made-up"})
            assert busy.status_code == 429 and "GATEWAY_FAIR_MAX_EXECUTIONS" in busy.json()["error"]
            elsewhere = there.post("/api/ai/execute", json={"code": "result = 2"})
            assert elsewhere.status_code == 200 and elsewhere.json()["result"] == 2
            thread.join(30)
            assert out[0].status_code == 200
    finally:
        gateway.stop()
