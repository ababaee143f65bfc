"""Parameter sweeps on the real compose stack scaled to three backtest replicas (`make up BACKTEST_REPLICAS=3`):
a sweep's chunks land on all three; a replica stopped mid-sweep, or the gateway killed mid-sweep and started
again, still completes the job with every combination stored exactly once; DELETE cancels and nothing more is
stored; and each combination's result is identical to the same backtest run alone through /api/backtest/run."""

import concurrent.futures
import itertools
import subprocess
import time

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(2400)]

# Small chunks so that even a short sweep has more chunks than replicas; a short lease so that chunks of a
# replica that stopped are handed out again quickly.
SWEEP_SETTINGS = {"GATEWAY_SWEEP_CHUNK_SIZE": "2", "GATEWAY_SWEEP_CONCURRENCY": "3", "GATEWAY_SWEEP_LEASE_S": "5",
                  "GATEWAY_FAIR_MAX_BACKTESTS": "12", "GATEWAY_FAIR_MAX_SWEEPS": "20"}
QUARTER = {"symbol": "BTC/USDT", "timeframe": "1h", "start": "2024-01-01T00:00:00Z", "end": "2024-04-01T00:00:00Z"}
YEAR = {**QUARTER, "start": "2023-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}
SMALL = {"fast_period": [5, 9, 13, 17], "slow_period": [21, 34, 55, 89]}
LARGE = {"fast_period": {"start": 4, "stop": 20, "step": 2}, "slow_period": {"start": 30, "stop": 70, "step": 10}}
FINISHED = ("completed", "failed", "cancelled")


@pytest.fixture(scope="module")
def scaled(stack):
    """The test stack with three backtest replicas and the sweep settings above."""
    stack.up(replicas=3, **SWEEP_SETTINGS)
    assert len(stack.containers("backtest")) == 3
    with stack.client(timeout=300) as client:
        all_replicas_serving(stack, client)
        yield stack, client
    stack.up()


def all_replicas_serving(stack, client: httpx.Client, timeout: float = 60) -> None:
    """Waits until the gateway has sent calls to every backtest replica (it finds new ones within seconds)."""
    replicas = hostnames(stack.containers("backtest"))
    code = client.get("/api/backtest/example").json()["code"]
    body = {"code": code, "backtest_config": {"symbol": "BTC/USDT", "timeframe": "1h", "limit": 200}}
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while seen != replicas and time.monotonic() < deadline:
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            replies = list(pool.map(lambda _: client.post("/api/backtest/run", json=body), range(6)))
        seen |= {r.json()["node"] for r in replies if r.status_code == 200}
    assert seen == replicas, f"only {sorted(seen)} of {sorted(replicas)} answered"


@pytest.fixture(scope="module")
def template(scaled) -> dict:
    _, client = scaled
    reply = client.get("/api/backtest/example", params={"name": "ema_cross"})
    assert reply.status_code == 200, reply.text
    return reply.json()


def start(client: httpx.Client, template: dict, config: dict, space: dict) -> dict:
    body = {"code": template["code"], "backtest_config": config, "strategy_params": template["strategy_params"],
            "space": space}
    reply = client.post("/api/backtest/sweeps", json=body)
    assert reply.status_code == 202, reply.text
    created = reply.json()
    assert created["success"] and created["status"] == "queued" and created["sweep_id"].startswith("sw_")
    return created


def status(client: httpx.Client, sweep_id: str) -> dict:
    reply = client.get(f"/api/backtest/sweeps/{sweep_id}", params={"top": 10000}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


def wait_until(client: httpx.Client, sweep_id: str, condition, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = status(client, sweep_id)
        except httpx.TransportError:  # the gateway restarting
            time.sleep(0.5)
            continue
        if condition(last):
            return last
        time.sleep(0.5)
    raise AssertionError(f"sweep {sweep_id}: condition not met in {timeout}s; last: {last and last['progress']}")


def done_at_least(n: int):
    return lambda s: s["progress"]["done"] >= n or s["status"] in FINISHED


def finished(s: dict) -> bool:
    return s["status"] in FINISHED


def grid(space: dict) -> list[dict]:
    def values(spec):
        if isinstance(spec, list):
            return spec
        return list(range(spec["start"], spec["stop"] + 1, spec["step"]))
    return [dict(zip(space, combo, strict=True)) for combo in itertools.product(*(values(v) for v in space.values()))]


def assert_each_combination_once(client: httpx.Client, final: dict, space: dict) -> list[dict]:
    """Completed, every combination of the space stored once: the ranked table has one row per combination."""
    assert final["status"] == "completed", final.get("error")
    combos = grid(space)
    progress = final["progress"]
    assert progress["done"] == progress["total"] == len(combos) and progress["failed"] == 0
    rows = final["results"]
    ids = [row["combination_id"] for row in rows]
    assert len(ids) == len(set(ids)) == len(combos)
    chosen = [{name: row["params"][name] for name in space} for row in rows]
    assert sorted(map(sorted_items, chosen)) == sorted(map(sorted_items, combos))
    return rows


def sorted_items(params: dict) -> tuple:
    return tuple(sorted(params.items()))


def document(client: httpx.Client, sweep_id: str, combination_id: int) -> dict:
    reply = client.get(f"/api/backtest/sweeps/{sweep_id}/results/{combination_id}", timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    return reply.json()


def hostnames(containers) -> set[str]:
    return {c.attrs["Config"]["Hostname"] for c in containers}


def test_chunks_land_on_all_three_and_each_result_equals_a_run_alone(scaled, template):
    stack, client = scaled
    replicas = hostnames(stack.containers("backtest"))
    created = start(client, template, QUARTER, SMALL)
    final = wait_until(client, created["sweep_id"], finished)
    rows = assert_each_combination_once(client, final, SMALL)

    nodes = set()
    for row in rows:
        swept = document(client, created["sweep_id"], row["combination_id"])
        assert swept["success"], swept
        nodes.add(swept["node"])
        alone = client.post("/api/backtest/run", json={
            "code": template["code"], "backtest_config": QUARTER,
            "strategy_params": {**template["strategy_params"], **row["params"]}})
        assert alone.status_code == 200, alone.text[:300]
        alone = alone.json()
        for key in ("metrics", "trades", "equity_curve", "warnings"):
            assert swept[key] == alone[key], (row["params"], key)
        assert swept["config"]["data_points"] == alone["config"]["data_points"]
        assert row["metrics"] == alone["metrics"]
    assert nodes == replicas, f"chunks ran on {sorted(nodes)} of {sorted(replicas)}"


def test_a_replica_stopped_mid_sweep_still_completes_every_combination_once(scaled, template):
    stack, client = scaled
    stack.up(replicas=3, **SWEEP_SETTINGS)
    victim = stack.containers("backtest")[0]
    created = start(client, template, YEAR, LARGE)
    wait_until(client, created["sweep_id"], done_at_least(4))
    subprocess.run(["docker", "stop", "-t", "2", victim.id], check=True, capture_output=True)
    try:
        final = wait_until(client, created["sweep_id"], finished)
        assert_each_combination_once(client, final, LARGE)
        later = {document(client, created["sweep_id"], row["combination_id"])["node"] for row in final["results"]}
        assert len(later) >= 2
    finally:
        stack.up(replicas=3, **SWEEP_SETTINGS)
        all_replicas_serving(stack, client)


def test_the_gateway_killed_mid_sweep_and_started_again_completes_the_job(scaled, template):
    stack, client = scaled
    created = start(client, template, YEAR, LARGE)
    wait_until(client, created["sweep_id"], done_at_least(4))
    [gateway] = stack.containers("gateway")
    killed_at = status(client, created["sweep_id"])["progress"]["done"]
    subprocess.run(["docker", "kill", gateway.id], check=True, capture_output=True)
    # Started again by hand (the restart policy may already be doing it: then this changes nothing).
    subprocess.run(["docker", "start", gateway.id], check=False, capture_output=True)
    final = wait_until(client, created["sweep_id"], finished)
    assert killed_at < final["progress"]["total"], "the sweep finished before the gateway was killed"
    assert_each_combination_once(client, final, LARGE)


def test_delete_cancels_and_nothing_more_is_stored(scaled, template):
    _, client = scaled
    created = start(client, template, YEAR, LARGE)
    sweep_id = created["sweep_id"]
    wait_until(client, sweep_id, done_at_least(2))
    reply = client.delete(f"/api/backtest/sweeps/{sweep_id}")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"
    at_cancel = status(client, sweep_id)
    assert at_cancel["status"] == "cancelled" and at_cancel["finished_at"] is not None
    stored = at_cancel["progress"]["done"]
    assert stored < created["total"], "the sweep finished before it could be cancelled"
    time.sleep(12)  # longer than a chunk of two runs and the lease: anything still running would have landed
    after = status(client, sweep_id)
    assert after["status"] == "cancelled"
    assert after["progress"]["done"] == stored and len(after["results"]) == len(at_cancel["results"])
    # Runs stored before the cancel stay readable; the backtest replicas are free for other work.
    assert document(client, sweep_id, after["results"][0]["combination_id"])["success"]
    alone = client.post("/api/backtest/run", json={"code": template["code"], "backtest_config": QUARTER,
                                                   "strategy_params": template["strategy_params"]})
    assert alone.status_code == 200 and alone.json()["success"]
