"""The /api/ai endpoints through the real gateway and sandbox processes, over real HTTP."""

import time

import httpx
import pytest

from botmoon_testing.processes import Gateway, Sandbox

pytestmark = [pytest.mark.docker, pytest.mark.stack]

SEED_DEPLOY = {"code": "# My algorithm\nprint('Hello from AI!')\nresult = 42", "name": "MyAlgorithm",
               "auto_run": True, "return_result": True}
SEED_EXECUTE = {"code": "import numpy as np\nprint(np.mean([1,2,3,4,5]))", "name": "NumpyTest"}


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=60) as client:
        yield client


def test_seed_deploy_example_gives_seed_response(api):
    reply = api.post("/api/ai/deploy", json=SEED_DEPLOY)
    assert reply.status_code == 200
    body = reply.json()
    assert body["success"] is True
    assert body["name"] == "MyAlgorithm"
    assert body["status"] == "completed"
    assert body["auto_deploy"] is True
    assert body["execution_id"].startswith("exec_")
    assert body["algorithm_id"].startswith("algo_")
    execution = body["execution"]
    assert execution["status"] == "completed"
    assert execution["output"] == "Hello from AI!\n"
    assert execution["result"] == 42
    assert isinstance(execution["execution_time_ms"], int) and execution["execution_time_ms"] >= 0


def test_seed_execute_example(api):
    body = api.post("/api/ai/execute", json=SEED_EXECUTE).json()
    assert body["success"] is True
    assert body["status"] == "completed"
    assert body["output"] == "3.0\n"
    assert body["result"] is None


def test_result_of_numpy_and_pandas_values_is_json(api):
    code = ("import numpy as np\nimport pandas as pd\n"
            "result = {'mean': np.float64(2.5), 'arr': np.array([1, 2, np.nan]),"
            " 'df': pd.DataFrame({'a': [1, 2]}), 'obj': object}")
    body = api.post("/api/ai/execute", json={"code": code}).json()
    assert body["status"] == "completed"
    assert body["result"] == {"mean": 2.5, "arr": [1.0, 2.0, None], "df": [{"a": 1}, {"a": 2}],
                              "obj": "<class 'object'>"}


def test_exception_is_failed_with_traceback_line(api):
    body = api.post("/api/ai/execute", json={"code": "x = 1\n\ny = x / 0\n"}).json()
    assert body["success"] is False
    assert body["status"] == "failed"
    assert body["error"]["type"] == "ZeroDivisionError"
    assert body["error"]["line"] == 3
    assert "line 3" in body["error"]["traceback"]
    assert "y = x / 0" in body["error"]["traceback"]


def test_blocked_code_is_rejected_and_nothing_runs(api):
    body = api.post("/api/ai/execute", json={"code": "print('hi')\nimport os\n"}).json()
    assert body["status"] == "rejected"
    assert body["output"] == ""
    assert body["problems"][0]["rule"] == "blocked-import"
    assert body["problems"][0]["line"] == 2


def test_validate_reports_line_and_column(api):
    body = api.post("/api/ai/validate", json={"code": "x = 1\ny = eval('2')\n"}).json()
    assert body["success"] is True
    assert body["validation"]["valid"] is False
    problem = body["validation"]["errors"][0]
    assert (problem["line"], problem["column"], problem["rule"]) == (2, 5, "blocked-call")
    ok = api.post("/api/ai/validate", json={"code": "import math\nresult = math.sqrt(4)"}).json()
    assert ok["validation"] == {"valid": True, "errors": [], "warnings": []}


def test_deploy_of_invalid_code_is_refused_without_saving(api):
    body = api.post("/api/ai/deploy", json={"code": "import subprocess"}).json()
    assert body["success"] is False
    assert body["status"] == "rejected"
    assert body["algorithm_id"] is None
    assert body["validation"]["errors"][0]["rule"] == "blocked-import"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "code"),
        ({"code": 5}, "code"),
        ({"code": "x=1", "name": ["a"]}, "name"),
        ({"code": "x=1", "auto_run": "maybe"}, "auto_run"),
        ({"code": "   "}, "code"),
    ],
)
def test_bad_requests_name_the_field(api, payload, field):
    reply = api.post("/api/ai/deploy", json=payload)
    assert 400 <= reply.status_code < 500
    body = reply.json()
    assert body["success"] is False
    assert field in [f["field"] for f in body["fields"]]


def test_bad_json_and_oversized_code(api):
    reply = api.post("/api/ai/execute", content=b"{not json", headers={"content-type": "application/json"})
    assert reply.status_code == 422
    assert reply.json()["fields"][0]["field"] == "body"
    big = api.post("/api/ai/execute", json={"code": "x = 1\n" * 60000})
    assert big.status_code == 413
    assert big.json()["fields"][0]["field"] == "code"
    assert "limit" in big.json()["fields"][0]["reason"]


def test_executions_history_and_lookup(api):
    first = api.post("/api/ai/execute", json={"code": "result = 'first'", "name": "one"}).json()
    second = api.post("/api/ai/execute", json={"code": "result = 'second'", "name": "two"}).json()
    history = api.get("/api/ai/executions", params={"limit": 2}).json()
    assert [e["execution_id"] for e in history["executions"]] == [second["execution_id"], first["execution_id"]]
    one = api.get(f"/api/ai/executions/{first['execution_id']}").json()
    assert one["result"] == "first" and one["name"] == "one"
    assert api.get("/api/ai/executions/exec_missing").status_code == 404
    assert api.get("/api/ai/executions", params={"limit": 0}).status_code == 422


def test_openapi_and_docs_without_cdn(api):
    spec = api.get("/openapi.json").json()
    assert "/api/ai/execute" in spec["paths"]
    html = api.get("/docs").text
    assert "cdn" not in html.lower()
    assert api.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_executions_survive_a_gateway_restart(sandbox, marketdata, tmp_path):
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    first = Gateway(sandbox.address, url, MARKETDATA_ADDR=marketdata.address).start()
    try:
        execution_id = httpx.post(f"{first.url}/api/ai/execute", json={"code": "result = 7"}, timeout=60).json()[
            "execution_id"]
    finally:
        first.stop()
    second = Gateway(sandbox.address, url, MARKETDATA_ADDR=marketdata.address).start()
    try:
        again = httpx.get(f"{second.url}/api/ai/executions/{execution_id}", timeout=10).json()
        assert again["result"] == 7 and again["status"] == "completed"
    finally:
        second.stop()


def test_sandbox_down_gives_503_and_gateway_recovers(marketdata, backtest_node, tmp_path):
    sandbox = Sandbox("down-" + str(int(time.time())), pool_size=1)
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp_path / 'down.db'}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address).start()
    try:
        down = httpx.post(f"{gateway.url}/api/ai/execute", json={"code": "result = 1"}, timeout=30)
        assert down.status_code == 503
        assert "unavailable" in down.json()["error"]
        assert httpx.get(f"{gateway.url}/ready", timeout=10).status_code == 503
        sandbox.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = httpx.post(f"{gateway.url}/api/ai/execute", json={"code": "result = 1"}, timeout=30)
            if reply.status_code == 200:
                break
            time.sleep(0.5)
        assert reply.status_code == 200 and reply.json()["result"] == 1
        assert httpx.get(f"{gateway.url}/ready", timeout=10).status_code == 200
    finally:
        gateway.stop()
        sandbox.stop()


def test_full_sandbox_queue_is_429_with_retry_after(tmp_path):
    sandbox = Sandbox("busy-" + str(int(time.time())), pool_size=1, max_concurrent=1, queue_size=0).start()
    gateway = Gateway(sandbox.address, f"sqlite:///{tmp_path / 'busy.db'}").start()
    try:
        with httpx.Client(base_url=gateway.url, timeout=60) as client:
            import concurrent.futures

            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                slow = pool.submit(client.post, "/api/ai/execute",
                                   json={"code": "import time\ntime.sleep(2)\nresult = 'slow'"})
                time.sleep(0.7)
                busy = client.post("/api/ai/execute", json={"code": "result = 1"})
                assert busy.status_code == 429
                assert busy.headers["retry-after"] == "1"
                assert slow.result().json()["result"] == "slow"
    finally:
        gateway.stop()
        sandbox.stop()
