"""One wire format on every endpoint (issue 10): every time in every reply is ISO 8601 UTC with `Z`, every
request body refuses unknown keys by name, and unknown filter values are a 422. Real gateway and services."""

import re

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack]

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d\d-\d\d")
TIME_KEYS = re.compile(r"(_at|time|timestamp|^first|^last|_start|_end|^start|^end|_until)$")
STRATEGY = '''
class Crossing:
    def __init__(self, params):
        self.n = params.get("n", 5)

    def generate_signals(self, data):
        mean = data["close"].rolling(self.n).mean()
        return [{"time": t, "type": "long" if data["close"][t] > mean[t] else "short",
                 "price": float(data["close"][t])} for t in data.index[self.n::7]]
'''


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


@pytest.fixture(scope="module")
def made(api):
    """One of each object, so that every list and detail endpoint has something to show."""
    deploy = api.post("/api/ai/deploy", json={"code": STRATEGY, "name": "wire", "return_result": True}).json()
    execute = api.post("/api/ai/execute", json={"code": "result = {'n': 1}"}).json()
    backtest = api.post("/api/backtest/run", json={"code": STRATEGY, "backtest_config": {"limit": 200}}).json()
    endpoint = api.post("/api/webhooks/endpoints", json={"url": "https://93.184.215.14/hook", "name": "wire",
                                                         "enabled": False}).json()
    assert deploy["success"] is True and execute["success"] is True and backtest["success"] is True, (deploy,
                                                                                                     backtest)
    strategy = api.get("/api/strategies").json()["strategies"][0]["id"]
    return {"deploy": deploy, "execute": execute, "backtest": backtest, "endpoint": endpoint, "strategy": strategy}


def _times(value, key=""):
    """(key, value) of every string in a reply that is, or should be, a time."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _times(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _times(v, key)
    elif isinstance(value, str) and (LOOKS_LIKE_A_TIME.match(value) or TIME_KEYS.search(key)):
        yield key, value


def test_every_time_in_every_reply_is_iso_utc_with_z(api, made):
    strategy = made["strategy"]
    paths = ["/api/ai/executions", f"/api/ai/executions/{made['execute']['execution_id']}",
             f"/api/backtest/{made['backtest']['backtest_id']}", "/api/backtest/symbols", "/api/backtest/example",
             "/api/marketdata/candles?symbol=BTC/USDT&limit=20", "/api/strategies", f"/api/strategies/{strategy}",
             f"/api/strategies/{strategy}/signals", "/api/console/status", "/api/console/summary",
             "/api/console/running", "/api/webhooks/endpoints", "/api/webhooks/deliveries", "/ready", "/health"]
    replies = {"deploy": made["deploy"], "execute": made["execute"], "backtest": made["backtest"],
               "endpoint": made["endpoint"]}
    for path in paths:
        reply = api.get(path)
        assert reply.status_code == 200, (path, reply.text)
        replies[path] = reply.json()
    seen = 0
    for where, body in replies.items():
        for key, value in _times(body):
            seen += 1
            assert ISO_Z.match(value), f"{where}: {key} = {value!r}"
    assert seen > 300  # candles, trades, the equity curve, records: the check did look at times


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/ai/validate", {"code": "x = 1"}),
    ("POST", "/api/ai/execute", {"code": "x = 1"}),
    ("POST", "/api/ai/deploy", {"code": "x = 1", "auto_run": False}),
    ("POST", "/api/backtest/run", {"code": STRATEGY}),
    ("POST", "/api/backtest/quick", {"code": STRATEGY}),
    ("POST", "/api/backtest/validate", {"code": STRATEGY}),
    ("POST", "/api/strategies/{strategy}/start", {"timeframe": "1h"}),
    ("PUT", "/api/strategies/{strategy}/config", {"params": {"n": 3}}),
    ("POST", "/api/webhooks/endpoints", {"url": "https://93.184.215.14/other"}),
    ("PUT", "/api/webhooks/endpoints/{endpoint}", {"name": "renamed"}),
    ("POST", "/api/webhook/test", {"endpoint_id": "{endpoint}"}),
])
def test_unknown_keys_are_refused_naming_the_key(api, made, method, path, body):
    ids = {"strategy": made["strategy"], "endpoint": made["endpoint"]["endpoint"]["id"]}
    body = {k: (ids[v[1:-1]] if isinstance(v, str) and v[1:-1] in ids else v) for k, v in body.items()}
    reply = api.request(method, path.format(**ids), json={**body, "colour": "blue"})
    assert reply.status_code == 422, reply.text
    assert "colour" in [f["field"] for f in reply.json()["fields"]], reply.text


@pytest.mark.parametrize("path", ["/api/strategies?status=bogus", "/api/webhooks/deliveries?status=bogus",
                                  "/api/marketdata/candles?symbol=BTCUSDT&timeframe=bogus",
                                  "/api/backtest/symbols?exchange=bogus"])
def test_unknown_filter_values_are_a_422_naming_the_parameter(api, path):
    reply = api.get(path)
    assert reply.status_code == 422, reply.text
    name = path.rsplit("?", 1)[1].rsplit("&", 1)[-1].split("=")[0]
    assert [f["field"] for f in reply.json()["fields"]] == [name]
