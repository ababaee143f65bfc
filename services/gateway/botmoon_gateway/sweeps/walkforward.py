"""Walk-forward: the window plan, and the report built from each window's in-sample best and out-of-sample run.

Definitions (docs/backtest-semantics.md, "Parameter sweeps and walk-forward"), all times in epoch milliseconds:
- Windows. first = the data start rounded up to the timeframe grid, end = the data end rounded down (excluded).
  Window k = 0, 1, ...: rolling: in-sample [first + k*step, first + k*step + IS); anchored: [first, first + IS +
  k*step); out-of-sample [in-sample end, in-sample end + OOS). Windows are kept while the out-of-sample end is
  <= end; data after the last one is not used.
- Stitched out-of-sample curve: every out-of-sample run starts with the initial capital C. Window j's points are
  multiplied by f_j = product over the earlier windows i of (final_equity_i / C), so each window continues from
  the previous one's final equity, as if the money had been carried over.
- Out-of-sample aggregate: total_return_pct = (C * product(final_equity_i / C) / C - 1) * 100; max_drawdown =
  max over the stitched points of (peak - E) / peak * 100, peak the running maximum starting at C.
- Stability, per parameter over the windows that chose one: distinct values, the most frequent value (the
  earliest chosen on ties) and its share, and for numbers the coefficient of variation (population standard
  deviation / |mean|; null for a zero mean).
- Overfitting, over windows with both objective values: the means IS and OOS; gap = IS - OOS when maximizing,
  OOS - IS when minimizing (positive: worse out-of-sample); ratio = OOS / IS when maximizing, IS / OOS when
  minimizing (the share of in-sample performance kept; null when the denominator is <= 0); warning when ratio <
  OVERFIT_RATIO, or, with no ratio, when gap > 0.
"""

import datetime as dt
import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botmoon_gateway.errors import FieldError
from botmoon_gateway.schemas.sweeps import (
    EquityPoint,
    Overfitting,
    ParameterStability,
    TimeSpan,
    WalkForwardPlan,
    WalkForwardReport,
    WindowResult,
)
from botmoon_gateway.sweeps.ranking import combination_id, objective_value

# Out-of-sample keeping less than half of the in-sample objective is the overfitting warning.
OVERFIT_RATIO = 0.5
DAY_MS = 86_400_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class WalkForwardError(FieldError):
    """A walk-forward plan that does not fit the data (422, field "walk_forward")."""


@dataclass(frozen=True)
class Window:
    """One walk-forward window: in-sample [is_start, is_end), out-of-sample [is_end, oos_end), milliseconds."""

    index: int
    is_start: int
    is_end: int
    oos_end: int

    @property
    def oos_start(self) -> int:
        return self.is_end

    def as_dict(self) -> dict:
        """{"index", "in_sample": [start, end], "out_of_sample": [start, end]} (JSON for a stored plan)."""
        return {"index": self.index, "in_sample": [self.is_start, self.is_end],
                "out_of_sample": [self.oos_start, self.oos_end]}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Window":
        return cls(data["index"], data["in_sample"][0], data["in_sample"][1], data["out_of_sample"][1])


def plan_windows(data_start_ms: int, data_end_ms: int, bar_ms: int, in_sample_ms: int, out_of_sample_ms: int,
                 step_ms: int | None = None, mode: str = "rolling") -> list[Window]:
    """The windows over [data_start_ms, data_end_ms) (module docstring); WalkForwardError when none fits."""
    step_ms = step_ms or out_of_sample_ms
    for name, length in (("in_sample", in_sample_ms), ("out_of_sample", out_of_sample_ms), ("step", step_ms)):
        if length <= 0 or length % bar_ms:
            raise WalkForwardError(f"walk_forward.{name}", f"must be a positive whole number of {bar_ms} ms candles")
    if mode not in ("rolling", "anchored"):
        raise WalkForwardError("walk_forward.mode", "rolling or anchored")
    first = -(-data_start_ms // bar_ms) * bar_ms
    end = data_end_ms // bar_ms * bar_ms
    windows = []
    while True:
        k = len(windows)
        is_start = first + k * step_ms if mode == "rolling" else first
        is_end = first + k * step_ms + in_sample_ms
        if is_end + out_of_sample_ms > end:
            break
        windows.append(Window(k, is_start, is_end, is_end + out_of_sample_ms))
    if not windows:
        raise WalkForwardError("walk_forward", f"no window fits: in_sample + out_of_sample is "
                                               f"{_days(in_sample_ms + out_of_sample_ms)} days, the data range "
                                               f"{_days(max(end - first, 0))} days")
    return windows


def plan_for(plan: WalkForwardPlan, data_start_ms: int, data_end_ms: int, bar_ms: int) -> list[Window]:
    """plan_windows with the request's plan."""
    return plan_windows(data_start_ms, data_end_ms, bar_ms, plan.in_sample_ms, plan.out_of_sample_ms, plan.step_ms,
                        plan.mode)


def run_count(combinations: int, windows: int) -> int:
    """Runs of a walk-forward sweep: every combination in every window's in-sample part, one out-of-sample each."""
    return combinations * windows + windows


@dataclass(frozen=True)
class WindowOutcome:
    """What one window gave: its in-sample best run (None: no run had an objective value), the out-of-sample run
    of that combination (None: not run or failed) and the out-of-sample equity curve ([{time, equity}, ...],
    the run's `equity_curve`; time as epoch ms, datetime or ISO text)."""

    window: Window
    best: Any = None
    out_of_sample: Any = None
    out_of_sample_curve: Sequence[Mapping] = ()


def stitch(outcomes: Sequence[WindowOutcome], initial_capital: float) -> list[tuple[int, float]]:
    """The stitched out-of-sample curve as (time ms, equity): windows without an out-of-sample run are skipped."""
    points: list[tuple[int, float]] = []
    factor = 1.0
    for outcome in outcomes:
        final = _final_equity(outcome)
        if final is None:
            continue
        points.extend((_ms(p["time"]), factor * float(p["equity"])) for p in outcome.out_of_sample_curve)
        factor *= final / initial_capital
    return points


def _final_equity(outcome: WindowOutcome) -> float | None:
    """The out-of-sample run's final equity (its metric, else its curve's last point); None without a run."""
    metrics = getattr(outcome.out_of_sample, "metrics", None)
    if not metrics or not outcome.out_of_sample_curve:
        return None
    final = metrics.get("final_equity")
    return float(outcome.out_of_sample_curve[-1]["equity"] if final is None else final)


def stitched_metrics(points: Sequence[tuple[int, float]], initial_capital: float,
                     final_equity: float | None = None) -> dict[str, float | None]:
    """total_return_pct and max_drawdown (percent) of the stitched curve; final_equity defaults to its last point."""
    if not points:
        return {"final_equity": None, "total_return_pct": None, "max_drawdown": None}
    final = points[-1][1] if final_equity is None else final_equity
    peak, worst = initial_capital, 0.0
    for _, equity in points:
        peak = max(peak, equity)
        worst = max(worst, (peak - equity) / peak * 100.0)
    return {"final_equity": final, "total_return_pct": (final / initial_capital - 1.0) * 100.0, "max_drawdown": worst}


def stability(chosen: Sequence[Mapping[str, Any]]) -> dict[str, ParameterStability]:
    """Per parameter, how the windows' chosen values (one params dict per window that chose) spread."""
    out = {}
    for name in dict.fromkeys(k for params in chosen for k in params):
        values = [params[name] for params in chosen if name in params]
        keys = [json.dumps(v, sort_keys=True) for v in values]
        counts = {key: keys.count(key) for key in dict.fromkeys(keys)}
        top = max(counts, key=counts.get)  # the first key reaching the highest count: the earliest chosen
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        cv = None
        if numeric:
            mean = statistics.fmean(values)
            cv = statistics.pstdev(values) / abs(mean) if mean else None
        out[name] = ParameterStability(distinct_values=len(counts), most_frequent=values[keys.index(top)],
                                       most_frequent_share=counts[top] / len(values), coefficient_of_variation=cv)
    return out


def overfitting(pairs: Sequence[tuple[float, float]], objective: str, maximize: bool) -> Overfitting:
    """The in-sample vs out-of-sample gap over (in-sample objective, out-of-sample objective) pairs."""
    if not pairs:
        return Overfitting(in_sample_mean=None, out_of_sample_mean=None, gap=None, ratio=None,
                           threshold=OVERFIT_RATIO, warning=False,
                           message="no window has both an in-sample and an out-of-sample objective value")
    ins = statistics.fmean(p[0] for p in pairs)
    oos = statistics.fmean(p[1] for p in pairs)
    gap = ins - oos if maximize else oos - ins
    numerator, denominator = (oos, ins) if maximize else (ins, oos)
    ratio = numerator / denominator if denominator > 0 else None
    warning = ratio < OVERFIT_RATIO if ratio is not None else gap > 0
    message = None
    if warning:
        kept = f"keeps {ratio:.0%} of" if ratio is not None else "is worse than"
        message = (f"out-of-sample {objective} (mean {oos:.4g}) {kept} the in-sample mean ({ins:.4g}); "
                   f"below {OVERFIT_RATIO:.0%} the chosen parameters are likely fitted to noise")
    return Overfitting(in_sample_mean=ins, out_of_sample_mean=oos, gap=gap, ratio=ratio, threshold=OVERFIT_RATIO,
                       warning=warning, message=message)


def report(outcomes: Sequence[WindowOutcome], objective: str, maximize: bool,
           initial_capital: float) -> WalkForwardReport:
    """The walk_forward block of GET /api/backtest/sweeps/{id}."""
    windows, pairs, chosen = [], [], []
    for outcome in outcomes:
        w, best, oos = outcome.window, outcome.best, outcome.out_of_sample
        is_metrics = getattr(best, "metrics", None) if best is not None else None
        oos_metrics = getattr(oos, "metrics", None) if oos is not None else None
        is_value, oos_value = objective_value(is_metrics, objective), objective_value(oos_metrics, objective)
        if best is not None:
            chosen.append(getattr(best, "params", None) or {})
        if is_value is not None and oos_value is not None:
            pairs.append((is_value, oos_value))
        windows.append(WindowResult(
            index=w.index, in_sample=TimeSpan(start=_time(w.is_start), end=_time(w.is_end)),
            out_of_sample=TimeSpan(start=_time(w.oos_start), end=_time(w.oos_end)),
            best_params=None if best is None else getattr(best, "params", None) or {},
            combination_id=None if best is None else combination_id(best),
            out_of_sample_combination_id=None if oos is None else combination_id(oos),
            in_sample_objective=is_value, out_of_sample_objective=oos_value,
            in_sample_metrics=is_metrics, out_of_sample_metrics=oos_metrics))
    points = stitch(outcomes, initial_capital)
    finals = [f for f in map(_final_equity, outcomes) if f is not None]
    final = initial_capital * math.prod(f / initial_capital for f in finals) if finals else None
    return WalkForwardReport(
        windows=windows, stitched_equity_curve=[EquityPoint(time=_time(t), equity=e) for t, e in points],
        out_of_sample_metrics=stitched_metrics(points, initial_capital, final), stability=stability(chosen),
        overfitting=overfitting(pairs, objective, maximize))


def _ms(time) -> int:
    if isinstance(time, int | float) and not isinstance(time, bool):
        return int(time)
    if isinstance(time, str):
        time = dt.datetime.fromisoformat(time)
    if isinstance(time, dt.datetime):
        if time.tzinfo is None:
            time = time.replace(tzinfo=dt.UTC)
        return round(time.timestamp() * 1000)
    raise TypeError(f"not a time: {time!r}")


def _time(ms: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=ms)


def _days(ms: int) -> str:
    return f"{ms / DAY_MS:g}"
