"""Walk-forward: exact window boundaries, the stitched out-of-sample curve, stability and the overfitting gap."""

import datetime as dt
from dataclasses import dataclass, field

import pytest

from botmoon_gateway.schemas.sweeps import WalkForwardPlan
from botmoon_gateway.sweeps.walkforward import (
    OVERFIT_RATIO,
    WalkForwardError,
    Window,
    WindowOutcome,
    overfitting,
    plan_for,
    plan_windows,
    report,
    run_count,
    stability,
    stitch,
    stitched_metrics,
)

H, D = 3_600_000, 86_400_000
T0 = 1_609_459_200_000  # 2021-01-01T00:00:00Z


@dataclass
class Run:
    item_index: int
    metrics: dict | None
    params: dict = field(default_factory=dict)


def test_rolling_windows_tile_the_out_of_sample_parts():
    windows = plan_windows(T0, T0 + 100 * D, H, 40 * D, 20 * D)
    assert [(w.is_start, w.is_end, w.oos_start, w.oos_end) for w in windows] == [
        (T0, T0 + 40 * D, T0 + 40 * D, T0 + 60 * D),
        (T0 + 20 * D, T0 + 60 * D, T0 + 60 * D, T0 + 80 * D),
        (T0 + 40 * D, T0 + 80 * D, T0 + 80 * D, T0 + 100 * D)]
    assert [w.index for w in windows] == [0, 1, 2]
    assert windows[1].as_dict() == {"index": 1, "in_sample": [T0 + 20 * D, T0 + 60 * D],
                                    "out_of_sample": [T0 + 60 * D, T0 + 80 * D]}
    assert Window.from_dict(windows[1].as_dict()) == windows[1]


def test_anchored_windows_grow_and_a_partial_last_window_is_dropped():
    windows = plan_windows(T0, T0 + 95 * D, H, 40 * D, 20 * D, step_ms=10 * D, mode="anchored")
    assert [(w.is_start, w.is_end, w.oos_end) for w in windows] == [
        (T0, T0 + 40 * D, T0 + 60 * D), (T0, T0 + 50 * D, T0 + 70 * D), (T0, T0 + 60 * D, T0 + 80 * D),
        (T0, T0 + 70 * D, T0 + 90 * D)]


def test_boundaries_are_aligned_to_the_timeframe():
    start = T0 + 90 * 60_000 + 17  # 01:30:00.017 -> first 4h candle at 04:00
    windows = plan_windows(start, T0 + 10 * D + 5, 4 * H, 4 * D, 2 * D, 2 * D)
    assert windows[0].is_start == T0 + 4 * H
    assert all(b % (4 * H) == 0 for w in windows for b in (w.is_start, w.is_end, w.oos_end))
    assert windows[-1].oos_end <= T0 + 10 * D


def test_plans_that_do_not_fit_are_refused():
    with pytest.raises(WalkForwardError) as caught:
        plan_windows(T0, T0 + 50 * D, H, 40 * D, 20 * D)
    assert caught.value.field == "walk_forward"
    assert caught.value.reason == "no window fits: in_sample + out_of_sample is 60 days, the data range 50 days"
    with pytest.raises(WalkForwardError) as caught:
        plan_windows(T0, T0 + 50 * D, 4 * H, 2 * H, D)
    assert caught.value.field == "walk_forward.in_sample"


def test_plan_for_a_request():
    plan = WalkForwardPlan(in_sample="365d", out_of_sample="90d", mode="anchored")
    windows = plan_for(plan, T0, T0 + 1826 * D, H)
    assert len(windows) == (1826 - 365) // 90
    assert windows[-1].oos_end == T0 + (365 + 90 * len(windows)) * D
    assert run_count(100, len(windows)) == 100 * len(windows) + len(windows)


def curve(*pairs):
    return [{"time": t, "equity": e, "drawdown_pct": 0.0} for t, e in pairs]


def test_each_window_continues_from_the_previous_final_equity():
    w0, w1 = Window(0, T0, T0 + 10 * D, T0 + 15 * D), Window(1, T0 + 5 * D, T0 + 15 * D, T0 + 20 * D)
    outcomes = [
        WindowOutcome(w0, Run(3, {"sharpe_ratio": 2.0}), Run(20, {"final_equity": 1100.0}),
                      curve((T0 + 10 * D, 1000.0), (T0 + 12 * D, 1200.0), (T0 + 14 * D, 1100.0))),
        WindowOutcome(w1, Run(7, {"sharpe_ratio": 1.0}), Run(21, {"final_equity": 900.0}),
                      curve((T0 + 15 * D, 1000.0), (T0 + 17 * D, 800.0), (T0 + 19 * D, 900.0))),
    ]
    points = stitch(outcomes, 1000.0)
    assert [e for _, e in points] == pytest.approx([1000, 1200, 1100, 1100, 880, 990])
    metrics = stitched_metrics(points, 1000.0)
    assert metrics["total_return_pct"] == pytest.approx(-1.0)
    assert metrics["max_drawdown"] == pytest.approx((1200 - 880) / 1200 * 100)
    # a window with no out-of-sample run is skipped; the next one continues from the last final equity
    gap = WindowOutcome(Window(1, 0, 0, 0), None, None, ())
    assert stitch([outcomes[0], gap, outcomes[1]], 1000.0) == points
    iso = [{"time": "2021-01-16T00:00:00Z", "equity": 500.0}]
    assert stitch([WindowOutcome(w1, None, Run(1, {"final_equity": 500.0}), iso)], 1000.0) == [(T0 + 15 * D, 500.0)]


def test_stability_of_the_chosen_parameters():
    result = stability([{"fast": 10, "kind": "ema"}, {"fast": 20, "kind": "sma"}, {"fast": 10, "kind": "sma"},
                        {"fast": 20, "kind": "ema"}])
    assert result["fast"].distinct_values == 2
    assert result["fast"].most_frequent == 10  # a tie: the earliest chosen
    assert result["fast"].most_frequent_share == 0.5
    assert result["fast"].coefficient_of_variation == pytest.approx(5 / 15)
    assert result["kind"].coefficient_of_variation is None
    assert stability([{"x": 0}, {"x": 0}])["x"].coefficient_of_variation is None  # zero mean
    assert stability([{"x": 3}])["x"].model_dump() == {"distinct_values": 1, "most_frequent": 3,
                                                       "most_frequent_share": 1.0, "coefficient_of_variation": 0.0}


def test_overfitting_gap_ratio_and_warning():
    kept = overfitting([(2.0, 1.5), (1.0, 0.5)], "sharpe_ratio", True)
    assert (kept.in_sample_mean, kept.out_of_sample_mean, kept.gap, kept.ratio) == (1.5, 1.0, 0.5, pytest.approx(2 / 3))
    assert not kept.warning and kept.threshold == OVERFIT_RATIO
    lost = overfitting([(2.0, 0.2), (1.0, 0.4)], "sharpe_ratio", True)
    assert lost.warning and lost.ratio == pytest.approx(0.2) and "keeps 20% of" in lost.message
    drawdown = overfitting([(10.0, 30.0)], "max_drawdown", False)
    assert (drawdown.gap, drawdown.ratio, drawdown.warning) == (20.0, pytest.approx(1 / 3), True)
    negative = overfitting([(-1.0, -2.0)], "sharpe_ratio", True)
    assert (negative.ratio, negative.gap, negative.warning) == (None, 1.0, True)
    assert overfitting([], "sharpe_ratio", True).warning is False


def test_the_report():
    w0, w1 = Window(0, T0, T0 + 10 * D, T0 + 15 * D), Window(1, T0 + 5 * D, T0 + 15 * D, T0 + 20 * D)
    outcomes = [
        WindowOutcome(w0, Run(3, {"sharpe_ratio": 2.0}, {"fast": 10}),
                      Run(20, {"sharpe_ratio": 1.0, "final_equity": 1100.0}), curve((T0 + 14 * D, 1100.0))),
        WindowOutcome(w1, None, None, ()),
    ]
    block = report(outcomes, "sharpe_ratio", True, 1000.0).model_dump(mode="json")
    assert block["windows"][0]["in_sample"] == {"start": "2021-01-01T00:00:00Z", "end": "2021-01-11T00:00:00Z"}
    assert block["windows"][0] | {"in_sample": None, "out_of_sample": None, "in_sample_metrics": None,
                                  "out_of_sample_metrics": None} == {
        "index": 0, "in_sample": None, "out_of_sample": None, "best_params": {"fast": 10}, "combination_id": 3,
        "out_of_sample_combination_id": 20, "in_sample_objective": 2.0, "out_of_sample_objective": 1.0,
        "in_sample_metrics": None, "out_of_sample_metrics": None}
    assert block["windows"][1]["best_params"] is None
    assert block["stitched_equity_curve"] == [{"time": "2021-01-15T00:00:00Z", "equity": 1100.0}]
    assert block["out_of_sample_metrics"]["total_return_pct"] == pytest.approx(10.0)
    assert block["stability"]["fast"]["most_frequent"] == 10
    assert (block["overfitting"]["ratio"], block["overfitting"]["warning"]) == (0.5, False)
    assert dt.datetime.fromisoformat(block["windows"][1]["out_of_sample"]["end"]) == dt.datetime(2021, 1, 21,
                                                                                                 tzinfo=dt.UTC)
