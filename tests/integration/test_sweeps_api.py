"""Parameter sweeps through a real gateway, three real backtest replicas, the real sandbox and market data, all on
loopback: requests refused up front with the field and the reason; a grid that completes, ranked, with each run
identical to the same backtest through /api/backtest/run; chunks on every replica; a replica stopped mid-sweep, a
cancel, and a gateway killed mid-sweep and started again on the same database (every combination stored once).
The compose-level versions (the real stack with 3 replicas) are tests/e2e."""

import json
import time

import httpx
import pytest

from botmoon_common.timefmt import iso
from botmoon_testing.processes import BacktestNode, Gateway

pytestmark = [pytest.mark.docker, pytest.mark.stack]

CONFIG = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 300}
SPACE = {"fast_period": [5, 9, 13], "slow_period": {"start": 21, "stop": 41, "step": 10}}
SETTINGS = {"GATEWAY_SWEEP_CHUNK_SIZE": "3", "GATEWAY_SWEEP_CONCURRENCY": "3", "GATEWAY_SWEEP_LEASE_S": "3",
            "GATEWAY_SWEEP_TICK_S": "0.3", "GATEWAY_FAIR_MAX_BACKTESTS": "12", "GATEWAY_SWEEP_MAX_COMBINATIONS": "400",
            "GATEWAY_FAIR_MAX_SWEEPS": "4"}


@pytest.fixture(scope="module")
def replicas(sandbox, marketdata):
    nodes = [BacktestNode(sandbox.address, marketdata.address).start() for _ in range(3)]
    yield nodes
    for node in nodes:
        node.stop()


@pytest.fixture(scope="module")
def database(request, db_kind, tmp_path_factory) -> str:
    if db_kind == "postgresql":
        return request.getfixturevalue("postgres_server").database("sweeps")
    return f"sqlite:///{tmp_path_factory.mktemp('sweeps') / 'botmoon.db'}"


def start_gateway(sandbox, marketdata, replicas, database) -> Gateway:
    addresses = ",".join(node.address for node in replicas)
    return Gateway(sandbox.address, database, MARKETDATA_ADDR=marketdata.address, BACKTEST_ADDR=f"ipv4:{addresses}",
                   **SETTINGS).start()


@pytest.fixture(scope="module")
def gateway(sandbox, marketdata, replicas, database):
    service = start_gateway(sandbox, marketdata, replicas, database)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=180) as client:
        yield client


@pytest.fixture(scope="module")
def code(api) -> str:
    return api.get("/api/backtest/example", params={"name": "ema_cross"}).json()["code"]


def sweep_body(code: str, **changes) -> dict:
    return {"code": code, "backtest_config": CONFIG, "space": SPACE, **changes}


def chunks_served(node: BacktestNode, counter: str = "handled", code: str | None = "OK") -> int:
    """RunChunk calls the node answered (with `code`) or started, from its own metrics."""
    lines = httpx.get(node.metrics_url, timeout=5).text.splitlines()
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(f"grpc_server_{counter}_total{{")
                   and 'grpc_method="RunChunk"' in line and (code is None or f'grpc_code="{code}"' in line)))


def wait_for(api: httpx.Client, sweep_id: str, condition, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.get(f"/api/backtest/sweeps/{sweep_id}", params={"top": 1000}).json()
        if condition(status):
            return status
        time.sleep(0.3)
    raise AssertionError(f"sweep {sweep_id} did not get there in {timeout}s: {status}")


def finished(status: dict) -> bool:
    return status["status"] in ("completed", "failed", "cancelled")


def refused(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert body["success"] is False
    return {f["field"]: f["reason"] for f in body["fields"]}


# --- refused up front -----------------------------------------------------------------------------------------


def test_bad_spaces_are_refused_with_the_field_and_why(api, code):
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, space={})))
    assert "space" in fields
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, space={"fast_period": []})))
    assert "empty" in fields["space.fast_period"]
    too_large = {"fast_period": {"start": 1, "stop": 30, "step": 1}, "slow_period": {"start": 1, "stop": 30, "step": 1}}
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, space=too_large)))
    assert "900 combinations" in fields["space"] and "GATEWAY_SWEEP_MAX_COMBINATIONS" in fields["space"]
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, objective="happiness")))
    assert "objective" in fields


def test_a_parameter_the_strategy_does_not_take_is_refused(api):
    strict = ("class Strict:\n    def __init__(self, params=None):\n        params = params or {}\n"
              "        self.fast, self.slow = params.get('fast_period', 9), params.get('slow_period', 21)\n"
              "    def generate_signals(self, data):\n        return {'signals': []}\n")
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(strict, space={"fast": [1, 2]})))
    assert "'fast'" in fields["space.fast"] and "fast_period, slow_period" in fields["space.fast"]
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(strict, space={"fast_period": [1, 2]},
                                                                      strategy_params={"tp": 1})))
    assert "'tp'" in fields["strategy_params.tp"]


def test_walk_forward_windows_that_do_not_fit_the_data_are_refused(api, code):
    config = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2025-01-01T00:00:00Z",
              "end": "2025-03-01T00:00:00Z"}
    plan = {"in_sample": "90d", "out_of_sample": "30d"}  # 120 days on 59 days of candles
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, backtest_config=config,
                                                                     walk_forward=plan)))
    assert "walk_forward" in fields
    fields = refused(api.post("/api/backtest/sweeps", json=sweep_body(code, walk_forward=plan)))  # no start
    assert "backtest_config.start" in fields


def test_an_unknown_sweep_is_404(api):
    assert api.get("/api/backtest/sweeps/sw_nothere").status_code == 404
    assert api.delete("/api/backtest/sweeps/sw_nothere").status_code == 404


# --- a grid, end to end -----------------------------------------------------------------------------------------


def test_a_grid_completes_ranked_on_every_replica_with_events(api, code, replicas):
    before = [chunks_served(node) for node in replicas]
    created = api.post("/api/backtest/sweeps", json=sweep_body(code, constraints=[{"metric": "total_trades",
                                                                                   "min": 1}]))
    assert created.status_code == 202, created.text
    sweep = created.json()
    assert sweep["sweep_id"].startswith("sw_") and sweep["total"] == 9 and sweep["status"] == "queued"

    events = []
    with api.stream("GET", f"/api/backtest/sweeps/{sweep['sweep_id']}/events", params={"top": 100}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    assert events[-1][0] == "done" and all(name == "progress" for name, _ in events[:-1])
    done = [e["progress"]["done"] for _, e in events]
    assert done == sorted(done) and done[-1] == 9

    status = events[-1][1]
    assert status["status"] == "completed" and status["progress"] == {"done": 9, "total": 9, "failed": 0,
                                                                      "eta_s": None}
    rows = status["results"]
    assert sorted(r["combination_id"] for r in rows) == list(range(9))
    expected_params = [{"fast_period": f, "slow_period": s} for f in (5, 9, 13) for s in (21, 31, 41)]
    assert [r["params"] for r in sorted(rows, key=lambda r: r["combination_id"])] == expected_params
    # the ranking, recomputed here: passing runs first, by Sharpe ratio, larger first
    def key(row):
        value = row["metrics"]["sharpe_ratio"]
        return (row["metrics"]["total_trades"] < 1, value is None, -(value or 0.0))
    assert [r["combination_id"] for r in rows] == [r["combination_id"] for r in sorted(rows, key=key)]
    assert [r["rank"] for r in rows] == list(range(1, 10))
    assert status["best"] == rows[0]
    assert all(r["objective_value"] == r["metrics"]["sharpe_ratio"] for r in rows)

    served = [chunks_served(node) - b for node, b in zip(replicas, before, strict=True)]
    assert sum(served) >= 3 and min(served) >= 1, served

    listed = api.get("/api/backtest/sweeps").json()["sweeps"]
    assert listed[0]["sweep_id"] == sweep["sweep_id"] and listed[0]["status"] == "completed"


def test_each_run_is_identical_to_the_same_backtest_run_alone(api, code):
    created = api.post("/api/backtest/sweeps", json=sweep_body(code, space={"fast_period": [7, 12],
                                                                            "tp_pct": [1.5, 3.0]},
                                                               strategy_params={"slow_period": 30})).json()
    status = wait_for(api, created["sweep_id"], finished)
    assert status["status"] == "completed"
    for row in status["results"]:
        stored = api.get(f"/api/backtest/sweeps/{created['sweep_id']}/results/{row['combination_id']}")
        assert stored.status_code == 200
        stored = stored.json()
        assert stored["params"] == row["params"] and stored["combination_id"] == row["combination_id"]
        alone = api.post("/api/backtest/run", json={"code": code, "backtest_config": CONFIG,
                                                     "strategy_params": {"slow_period": 30, **row["params"]}})
        assert alone.status_code == 200, alone.text
        alone = alone.json()
        for part in ("success", "metrics", "trades", "equity_curve", "config", "warnings"):
            assert stored[part] == alone[part], part
    missing = api.get(f"/api/backtest/sweeps/{created['sweep_id']}/results/99")
    assert missing.status_code == 404


def test_walk_forward_tests_each_windows_in_sample_best_out_of_sample(api, code):
    config = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2025-01-01T00:00:00Z",
              "end": "2025-04-01T00:00:00Z"}
    body = sweep_body(code, backtest_config=config, space={"fast_period": [5, 12], "slow_period": [26]},
                      walk_forward={"in_sample": "30d", "out_of_sample": "15d"})
    created = api.post("/api/backtest/sweeps", json=body)
    assert created.status_code == 202, created.text
    created = created.json()
    # 90 days of candles, rolling 30 + 15 days moved by 15: windows start on days 0, 15, 30, 45
    assert created["windows"] == 4 and created["combinations"] == 2 and created["total"] == 4 * 2 + 4
    status = wait_for(api, created["sweep_id"], finished)
    assert status["status"] == "completed" and status["progress"]["done"] == 12, status["progress"]
    report = status["walk_forward"]
    day = 86_400_000
    start_ms = 1735689600000  # 2025-01-01
    for w, window in enumerate(report["windows"]):
        is_start, is_end = start_ms + w * 15 * day, start_ms + (w * 15 + 30) * day
        assert window["in_sample"] == {"start": iso(is_start), "end": iso(is_end)}
        assert window["out_of_sample"] == {"start": iso(is_end), "end": iso(is_end + 15 * day)}
        in_sample = [r for r in status["results"] if r["window"] == w]
        assert len(in_sample) == 2
        best = max(in_sample, key=lambda r: r["metrics"]["sharpe_ratio"])
        assert window["best_params"] == best["params"] and window["combination_id"] == best["combination_id"]
        alone = api.post("/api/backtest/run", json={"code": code, "strategy_params": best["params"],
                                                     "backtest_config": {**config, "start": iso(is_end),
                                                                         "end": iso(is_end + 15 * day)}}).json()
        assert window["out_of_sample_objective"] == alone["metrics"]["sharpe_ratio"]
        assert window["out_of_sample_metrics"] == alone["metrics"]
        stored = api.get(f"/api/backtest/sweeps/{created['sweep_id']}/results/"
                         f"{window['out_of_sample_combination_id']}").json()
        assert stored["equity_curve"] == alone["equity_curve"] and stored["params"] == best["params"]
    assert report["stitched_equity_curve"] and report["overfitting"]["threshold"] == 0.5


def test_runs_that_cannot_be_made_are_stored_failed_with_the_reason(api, code):
    config = {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "start": "2015-01-01T00:00:00Z",
              "end": "2015-02-01T00:00:00Z"}  # before any candle: no retry helps
    created = api.post("/api/backtest/sweeps", json=sweep_body(code, backtest_config=config,
                                                               space={"fast_period": [5, 9]})).json()
    status = wait_for(api, created["sweep_id"], finished)
    assert status["status"] == "failed" and "NOT_FOUND" in status["error"], status
    assert status["progress"] == {"done": 2, "total": 2, "failed": 2, "eta_s": None}
    assert all(r["rank"] is None and "NOT_FOUND" in r["error"] for r in status["results"])
    stored = api.get(f"/api/backtest/sweeps/{created['sweep_id']}/results/0").json()
    assert stored["success"] is False and "NOT_FOUND" in stored["error"]["message"]


def test_cancel_stops_the_work(api, code, replicas):
    space = {"fast_period": list(range(3, 23)), "slow_period": [30, 40]}  # 40 runs
    created = api.post("/api/backtest/sweeps", json=sweep_body(code, space=space)).json()
    wait_for(api, created["sweep_id"], lambda s: s["progress"]["done"] >= 1)
    cancelled = api.delete(f"/api/backtest/sweeps/{created['sweep_id']}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    at_cancel = cancelled.json()["progress"]["done"]
    started = sum(chunks_served(node, "started", None) for node in replicas)
    after = api.get(f"/api/backtest/sweeps/{created['sweep_id']}").json()
    assert after["status"] == "cancelled" and after["finished_at"]
    assert after["progress"]["done"] == at_cancel < 40
    time.sleep(4)  # longer than a chunk takes: had one gone on, its runs would be stored by now
    assert api.get(f"/api/backtest/sweeps/{created['sweep_id']}").json()["progress"] == after["progress"]
    assert sum(chunks_served(node, "started", None) for node in replicas) == started  # no chunk sent since
    assert api.delete(f"/api/backtest/sweeps/{created['sweep_id']}").json()["status"] == "cancelled"


def test_a_client_with_its_limit_of_unfinished_sweeps_gets_429(api, code):
    body = sweep_body(code, space={"fast_period": list(range(3, 23)), "slow_period": [30, 40]})
    created = []
    try:
        for _ in range(4):
            reply = api.post("/api/backtest/sweeps", json=body)
            assert reply.status_code == 202, reply.text
            created.append(reply.json()["sweep_id"])
        over = api.post("/api/backtest/sweeps", json=body)
        assert over.status_code == 429 and over.headers["retry-after"] == "1"
        assert over.json()["limit"] == "fair_max_sweeps" and "GATEWAY_FAIR_MAX_SWEEPS" in over.json()["error"]
    finally:
        for sweep_id in created:
            assert api.delete(f"/api/backtest/sweeps/{sweep_id}").json()["status"] == "cancelled"
    again = api.post("/api/backtest/sweeps", json=body)
    assert again.status_code == 202
    api.delete(f"/api/backtest/sweeps/{again.json()['sweep_id']}")


# --- failures: a replica, the gateway ---------------------------------------------------------------------------


def every_combination_once(status: dict, total: int) -> None:
    assert status["status"] == "completed", status
    assert status["progress"]["done"] == total and status["progress"]["failed"] == 0, status["progress"]
    assert sorted(r["combination_id"] for r in status["results"]) == list(range(total))


def test_a_gateway_killed_mid_sweep_is_replaced_and_the_job_completes(sandbox, marketdata, replicas, database, code):
    first = start_gateway(sandbox, marketdata, replicas, database)
    space = {"fast_period": list(range(3, 11)), "slow_period": [30, 40]}  # 16 runs
    try:
        with httpx.Client(base_url=first.url, timeout=180) as api:
            created = api.post("/api/backtest/sweeps", json=sweep_body(code, space=space)).json()
            wait_for(api, created["sweep_id"], lambda s: s["progress"]["done"] >= 1)
    finally:
        first.process.kill()  # no shutdown: its lease runs out
    second = start_gateway(sandbox, marketdata, replicas, database)
    try:
        with httpx.Client(base_url=second.url, timeout=180) as api:
            status = api.get(f"/api/backtest/sweeps/{created['sweep_id']}").json()
            assert status["status"] == "running" and status["progress"]["done"] < 16
            every_combination_once(wait_for(api, created["sweep_id"], finished), 16)
    finally:
        second.stop()


def test_two_gateways_on_one_database_never_run_the_same_sweep(sandbox, marketdata, replicas, database, code, api,
                                                              gateway):
    other = start_gateway(sandbox, marketdata, replicas, database)
    try:
        space = {"fast_period": [5, 9, 13, 17], "slow_period": [30, 40]}
        with httpx.Client(base_url=other.url, timeout=180) as second:
            created = [client.post("/api/backtest/sweeps", json=sweep_body(code, space=space)).json()
                       for client in (api, second, api, second)]
        for sweep in created:
            every_combination_once(wait_for(api, sweep["sweep_id"], finished), 8)
        ran = [runs_logged(gateway), runs_logged(other)]
        for sweep in created:
            assert sum(sweep["sweep_id"] in found for found in ran) == 1, (sweep["sweep_id"], ran)
    finally:
        other.stop()


def runs_logged(service: Gateway) -> set[str]:
    """The sweeps this gateway process started running, from its JSON log."""
    found = set()
    for line in service.process.logs().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") == "sweep running":
            found.add(entry.get("sweep"))
    return found


def test_a_replica_stopped_mid_sweep_still_completes_every_combination_once(api, code, replicas):
    space = {"fast_period": list(range(3, 12)), "slow_period": [30, 40]}  # 18 runs, 6 chunks
    created = api.post("/api/backtest/sweeps", json=sweep_body(code, space=space)).json()
    wait_for(api, created["sweep_id"], lambda s: s["progress"]["done"] >= 1)
    replicas[0].process.kill()  # mid-sweep, no goodbye: its chunk in flight fails and is sent elsewhere
    every_combination_once(wait_for(api, created["sweep_id"], finished), 18)
