"""`botmoon sweep` as a user runs it: real subprocesses against a real gateway on the real backtest, sandbox and
market data services; the ranked table checked against the REST results and a plain /api/backtest/run, the
progress bar's last state, walk-forward, --no-wait then status/list/result, and Ctrl-C cancelling on the server."""

import itertools
import os
import signal
import subprocess
import time

import httpx
import pytest

from botmoon_testing.clients import BOTMOON, as_json, botmoon

pytestmark = [pytest.mark.docker, pytest.mark.stack]

GRID = ["--param", "fast_period=5:15:5", "--param", "slow_period=30,50"]  # 3 x 2 combinations
MARKET = ["--symbol", "BTC/USDT:USDT", "--timeframe", "1h"]


@pytest.fixture(scope="module")
def strategy(gateway, tmp_path_factory):
    code = httpx.get(f"{gateway.url}/api/backtest/example", params={"name": "ema_cross"}).json()["code"]
    path = tmp_path_factory.mktemp("sweep") / "ema_cross.py"
    path.write_text(code)
    return path


def test_sweep_ranks_every_combination_like_single_runs(gateway, strategy):
    done = botmoon(gateway.url, "sweep", str(strategy), *GRID, *MARKET, "--limit", "400", "--min-trades", "1",
                   "--json")
    assert done.returncode == 0, done.stderr
    sweep = as_json(done)
    assert sweep["status"] == "completed" and sweep["objective"] == "sharpe_ratio" and sweep["maximize"] is True
    assert sweep["progress"]["done"] == sweep["progress"]["total"] == 6 and sweep["progress"]["failed"] == 0
    rows = sweep["results"]
    assert sorted((r["params"]["fast_period"], r["params"]["slow_period"]) for r in rows) == [
        (f, s) for f in (5, 10, 15) for s in (30, 50)]
    assert [r["rank"] for r in rows] == list(range(1, 7))
    passing = [r["objective_value"] for r in rows if r["passed"] and r["objective_value"] is not None]
    assert passing == sorted(passing, reverse=True)
    assert all(r["passed"] == (r["metrics"]["total_trades"] >= 1) for r in rows)
    assert sweep["best"] == rows[0]

    best = rows[0]
    stored = httpx.get(f"{gateway.url}/api/backtest/sweeps/{sweep['sweep_id']}/results/{best['combination_id']}")
    assert stored.status_code == 200 and stored.json()["metrics"] == best["metrics"]
    single = httpx.post(f"{gateway.url}/api/backtest/run", timeout=300, json={
        "code": strategy.read_text(), "strategy_params": best["params"],
        "backtest_config": {"symbol": "BTC/USDT:USDT", "timeframe": "1h", "limit": 400}}).json()
    assert single["success"] and single["metrics"] == best["metrics"]


def test_progress_bar_then_the_ranked_table(gateway, strategy):
    done = botmoon(gateway.url, "sweep", str(strategy), *GRID, *MARKET, "--limit", "300", "--objective",
                   "total_return_pct")
    assert done.returncode == 0, done.stderr
    assert "6/6" in done.stderr and "100%" in done.stderr  # the rich bar's last state
    assert "best total_return_pct" in done.stderr
    assert "top 6 by total_return_pct" in done.stdout and "completed" in done.stdout
    for header in ("rank", "fast_period", "slow_period", "trades", "passed"):
        assert header in done.stdout


def test_walk_forward_summary(gateway, strategy):
    args = [str(strategy), "--param", "fast_period=5,10", "--param", "slow_period=30,60", *MARKET,
            "--start", "2025-01-01T00:00:00Z", "--end", "2025-07-01T00:00:00Z", "--wf-in", "60d", "--wf-out", "30d"]
    done = botmoon(gateway.url, "sweep", *args, "--json")
    assert done.returncode == 0, done.stderr
    sweep = as_json(done)
    wf = sweep["walk_forward"]
    windows = wf["windows"]
    assert len(windows) >= 3 and sweep["progress"]["total"] == 4 * len(windows) + len(windows)
    for before, after in itertools.pairwise(windows):
        assert after["out_of_sample"]["start"] == before["out_of_sample"]["end"]  # rolling, step = out-of-sample
    for w in windows:
        assert w["in_sample"]["end"] == w["out_of_sample"]["start"]
        assert w["best_params"]["fast_period"] in (5, 10) and w["best_params"]["slow_period"] in (30, 60)
    assert wf["stitched_equity_curve"] and set(wf["stability"]) == {"fast_period", "slow_period"}
    assert isinstance(wf["overfitting"]["warning"], bool)

    done = botmoon(gateway.url, "sweep", "status", sweep["sweep_id"])
    assert done.returncode == 0, done.stderr
    assert "walk-forward windows" in done.stdout and "parameter stability" in done.stdout
    assert "stitched out-of-sample" in done.stdout
    assert ("overfitting warning" in done.stderr) == wf["overfitting"]["warning"]


def test_no_wait_then_status_list_result_and_cancel(gateway, strategy):
    done = botmoon(gateway.url, "sweep", str(strategy), *GRID, *MARKET, "--limit", "300", "--no-wait", "--json")
    assert done.returncode == 0, done.stderr
    created = as_json(done)
    assert created["sweep_id"].startswith("sw_") and created["total"] == 6 and created["status"] == "queued"
    sweep_id = created["sweep_id"]

    done = botmoon(gateway.url, "sweep", "status", sweep_id, "--wait", "--json", "--top", "3")
    assert done.returncode == 0, done.stderr
    final = as_json(done)
    assert final["status"] == "completed" and len(final["results"]) == 3

    done = botmoon(gateway.url, "sweep", "list", "--json")
    assert done.returncode == 0 and sweep_id in [s["sweep_id"] for s in as_json(done)["sweeps"]]
    done = botmoon(gateway.url, "sweep", "result", sweep_id, str(final["best"]["combination_id"]), "--json")
    assert done.returncode == 0, done.stderr
    result = as_json(done)
    assert result["params"] == final["best"]["params"] and result["metrics"] == final["best"]["metrics"]
    assert len(result["trades"]) == result["metrics"]["total_trades"]

    done = botmoon(gateway.url, "sweep", "cancel", sweep_id, "--json")  # a finished sweep stays as it is
    assert done.returncode == 0 and as_json(done)["status"] == "completed"
    done = botmoon(gateway.url, "sweep", "status", "sw_missing")
    assert done.returncode == 1 and "404" in done.stderr


def test_refusals_name_the_field(gateway, strategy):
    done = botmoon(gateway.url, "sweep", str(strategy), "--param", "no_such_param=1,2", *MARKET, "--limit", "300")
    assert done.returncode == 1 and "no_such_param" in done.stderr and "does not take" in done.stderr
    done = botmoon(gateway.url, "sweep", str(strategy), "--param", "fast_period=5:9", *MARKET)
    assert done.returncode == 1 and "samples" in done.stderr  # min:max bounds are for random samples only
    done = botmoon(gateway.url, "sweep", str(strategy), "--param", "fast_period", *MARKET)
    assert done.returncode == 2 and "name=" in done.stderr
    done = botmoon(gateway.url, "sweep", str(strategy), *GRID, "--wf-in", "30d")
    assert done.returncode == 2 and "--wf-out" in done.stderr


def test_ctrl_c_cancels_the_sweep_on_the_server(gateway, strategy):
    before = {s["sweep_id"] for s in httpx.get(f"{gateway.url}/api/backtest/sweeps").json()["sweeps"]}
    env = {**os.environ, "BOTMOON_URL": gateway.url, "COLUMNS": "200"}
    proc = subprocess.Popen([BOTMOON, "sweep", str(strategy), "--param", "fast_period=3:30:1", "--param",
                             "slow_period=40,60,80,100", *MARKET, "--limit", "2000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        sweep_id = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sweep_id is None:
            fresh = [s for s in httpx.get(f"{gateway.url}/api/backtest/sweeps").json()["sweeps"]
                     if s["sweep_id"] not in before]
            sweep_id = fresh[0]["sweep_id"] if fresh and fresh[0]["status"] in ("queued", "running") else None
            time.sleep(0.2)
        assert sweep_id, "the sweep did not start"
        time.sleep(1.0)  # the CLI is following the event stream
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert f"cancel {sweep_id}" in err
    sweep = httpx.get(f"{gateway.url}/api/backtest/sweeps/{sweep_id}").json()
    assert sweep["status"] == "cancelled" and sweep["progress"]["done"] < sweep["progress"]["total"] == 112
