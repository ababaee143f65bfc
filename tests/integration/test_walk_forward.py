"""Walk-forward on the bundled five years of BTC/USDT spot 1h, checked against an independent computation.

The test works out the windows itself from the definitions in docs/backtest-semantics.md, runs every
combination on every in-sample window through /api/backtest/run and ranks them itself, runs each window's
best on its out-of-sample window the same way, and stitches the out-of-sample final equities itself; the
sweep's report must agree with all of it. Real gateway, backtest node, sandbox and market data (offline,
the bundled candles), on loopback.
"""

import datetime as dt
import itertools
import math
import time

import httpx
import pytest

pytestmark = [pytest.mark.docker, pytest.mark.stack, pytest.mark.timeout(1500)]

UTC = dt.UTC
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
START = dt.datetime(2021, 1, 1, tzinfo=UTC)
END = dt.datetime(2023, 1, 1, tzinfo=UTC)
CONFIG = {"symbol": "BTC/USDT", "timeframe": "1h", "start": START.isoformat(), "end": END.isoformat()}
SPACE = {"fast_period": [5, 9, 13], "slow_period": [21, 34, 55]}
PLAN = {"in_sample": "365d", "out_of_sample": "90d", "mode": "rolling"}
OBJECTIVE = "sharpe_ratio"
# The exchange's halts in 2021 (SOURCES.md of the bundled data): first missing candle, candles missing.
HALTS_2021 = [("2021-02-11T04:00:00Z", 1), ("2021-03-06T02:00:00Z", 1), ("2021-04-20T02:00:00Z", 2),
              ("2021-04-25T05:00:00Z", 3), ("2021-08-13T02:00:00Z", 4), ("2021-09-29T07:00:00Z", 2)]


@pytest.fixture(scope="module")
def api(gateway):
    with httpx.Client(base_url=gateway.url, timeout=300) as client:
        yield client


@pytest.fixture(scope="module")
def template(api) -> dict:
    reply = api.get("/api/backtest/example", params={"name": "ema_cross"})
    assert reply.status_code == 200, reply.text
    return reply.json()


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def at(ms_value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms_value / 1000, UTC)


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def windows(start_ms: int, end_ms: int, bar_ms: int, in_sample_ms: int, out_of_sample_ms: int,
            step_ms: int) -> list[tuple[int, int, int]]:
    """Rolling windows as docs/backtest-semantics.md defines them: (in-sample start, in-sample end = out-of-sample
    start, out-of-sample end), window k's in-sample starting k steps after the first candle on the grid, kept
    while the out-of-sample part ends within the data."""
    first = -(-start_ms // bar_ms) * bar_ms
    last = end_ms // bar_ms * bar_ms
    found = []
    for k in itertools.count():
        is_start = first + k * step_ms
        is_end = is_start + in_sample_ms
        if is_end + out_of_sample_ms > last:
            return found
        found.append((is_start, is_end, is_end + out_of_sample_ms))


def run(api: httpx.Client, code: str, params: dict, start_ms: int, end_ms: int) -> dict:
    config = {**CONFIG, "start": at(start_ms).isoformat(), "end": at(end_ms).isoformat()}
    reply = api.post("/api/backtest/run", json={"code": code, "backtest_config": config, "strategy_params": params})
    assert reply.status_code == 200, reply.text[:500]
    body = reply.json()
    assert body["success"], body
    return body


def wait_done(api: httpx.Client, sweep_id: str, timeout: float = 1200) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.get(f"/api/backtest/sweeps/{sweep_id}", params={"top": 1000}).json()
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        time.sleep(1.0)
    raise AssertionError(f"sweep {sweep_id} not finished after {timeout}s: {status['progress']}")


@pytest.fixture(scope="module")
def walk_forward(api, template) -> dict:
    body = {"code": template["code"], "backtest_config": CONFIG, "strategy_params": template["strategy_params"],
            "space": SPACE, "objective": OBJECTIVE, "walk_forward": PLAN}
    created = api.post("/api/backtest/sweeps", json=body)
    assert created.status_code == 202, created.text
    status = wait_done(api, created.json()["sweep_id"])
    assert status["status"] == "completed", status.get("error")
    assert status["progress"]["failed"] == 0 and status["progress"]["done"] == status["progress"]["total"]
    return status


@pytest.fixture(scope="module")
def expected_windows() -> list[tuple[int, int, int]]:
    found = windows(ms(START), ms(END), HOUR_MS, 365 * DAY_MS, 90 * DAY_MS, 90 * DAY_MS)
    assert len(found) == 4  # two years: 365 + 90 days, moved on by 90 days while it fits
    return found


def test_windows_are_the_documented_ones(walk_forward, expected_windows):
    got = walk_forward["walk_forward"]["windows"]
    assert [w["index"] for w in got] == list(range(len(expected_windows)))
    for window, (is_start, is_end, oos_end) in zip(got, expected_windows, strict=True):
        assert parse(window["in_sample"]["start"]) == at(is_start)
        assert parse(window["in_sample"]["end"]) == at(is_end) == parse(window["out_of_sample"]["start"])
        assert parse(window["out_of_sample"]["end"]) == at(oos_end)


def test_in_sample_best_and_out_of_sample_numbers_match_separate_runs(api, template, walk_forward,
                                                                      expected_windows):
    code, fixed = template["code"], template["strategy_params"]
    combinations = [dict(zip(SPACE, values, strict=True)) for values in itertools.product(*SPACE.values())]
    report = walk_forward["walk_forward"]
    finals = []
    for window, (is_start, is_end, oos_end) in zip(report["windows"], expected_windows, strict=True):
        # The in-sample ranking, done here: every combination on the in-sample window, the highest sharpe_ratio.
        in_sample = [(combo, run(api, code, {**fixed, **combo}, is_start, is_end)) for combo in combinations]
        scored = [(r["metrics"][OBJECTIVE], combo, r) for combo, r in in_sample if r["metrics"][OBJECTIVE] is not None]
        assert scored, "no in-sample run has a sharpe ratio"
        top = max(value for value, _, _ in scored)
        tied = [(combo, r) for value, combo, r in scored if value == top]
        chosen = {name: window["best_params"][name] for name in SPACE}
        assert chosen == tied[0][0], (window["index"], chosen, top)  # equal values: the lowest combination id
        assert window["in_sample_objective"] == top
        assert window["in_sample_metrics"] == tied[0][1]["metrics"]

        # The chosen combination alone on the out-of-sample window, as one backtest.
        out_of_sample = run(api, code, {**fixed, **chosen}, is_end, oos_end)
        assert out_of_sample["config"]["data_start"] == at(is_end).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert window["out_of_sample_metrics"] == out_of_sample["metrics"]
        assert window["out_of_sample_objective"] == out_of_sample["metrics"][OBJECTIVE]
        finals.append(out_of_sample["metrics"]["final_equity"])

        # The halts inside the window are reported by the run, not filled in.
        reported = [(g["first"], g["missing"]) for g in in_sample[0][1]["config"]["gaps"]]
        inside = [(first, n) for first, n in HALTS_2021 if is_start <= ms(parse(first)) < is_end]
        assert reported == inside

    # Each out-of-sample run starts from the initial capital; stitched, each continues from the previous final.
    capital = float(CONFIG.get("initial_capital", 10_000.0))
    stitched_final = capital * math.prod(f / capital for f in finals)
    assert math.isclose(report["out_of_sample_metrics"]["final_equity"], stitched_final, rel_tol=1e-12)
    assert math.isclose(report["out_of_sample_metrics"]["total_return_pct"], (stitched_final / capital - 1) * 100,
                        rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(report["stitched_equity_curve"][-1]["equity"], stitched_final, rel_tol=1e-9)
    first_oos = parse(report["windows"][0]["out_of_sample"]["start"])
    assert parse(report["stitched_equity_curve"][0]["time"]) >= first_oos
    times = [parse(p["time"]) for p in report["stitched_equity_curve"]]
    assert times == sorted(times) and times[-1] < at(expected_windows[-1][2])


def test_five_years_run_offline_with_the_seven_halts_reported(api, template):
    config = {**CONFIG, "start": "2021-01-01T00:00:00Z", "end": "2026-05-16T18:00:00Z"}
    reply = api.post("/api/backtest/run", json={"code": template["code"], "backtest_config": config,
                                                "strategy_params": template["strategy_params"]})
    assert reply.status_code == 200, reply.text[:500]
    used = reply.json()["config"]
    assert used["source"] == "bundled" and used["symbol_type"] == "CRYPTO_SPOT"
    assert (used["data_start"], used["data_end"]) == ("2021-01-01T00:00:00Z", "2026-05-16T17:00:00Z")
    assert used["data_points"] == 47_068
    assert [(g["first"], g["missing"]) for g in used["gaps"]] == [*HALTS_2021, ("2023-03-24T13:00:00Z", 1)]
