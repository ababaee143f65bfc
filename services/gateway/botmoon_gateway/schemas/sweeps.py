"""Bodies of the /api/backtest/sweeps endpoints: a parameter space run as many backtests, ranked, and walk-forward.

The exact definitions (expansion order, ranking, windows, stitching, stability, the overfitting warning) are in
docs/backtest-semantics.md, "Parameter sweeps and walk-forward".
"""

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from botmoon_common.timeframes import TIMEFRAMES
from botmoon_gateway.schemas.backtest import BacktestConfig
from botmoon_gateway.schemas.base import Body, Reply
from botmoon_gateway.sweeps.metric_names import DEFAULT_OBJECTIVE, METRICS, default_maximize

Metric = Literal[*METRICS]
Number = int | float
SweepState = Literal["queued", "running", "completed", "failed", "cancelled"]
MAX_PARAMETERS = 20

DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")
UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}


def duration_ms(text: str) -> int:
    """Milliseconds of a duration written `<int><m|h|d|w>` (minutes, hours, days, weeks): "90d" -> 7776000000."""
    match = DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 90d, 12h, 4w or 30m")
    return int(match.group(1)) * UNIT_MS[match.group(2)]


class RangeSpec(Body):
    """Every value from `start` to `stop` inclusive, `step` apart: {"start": 5, "stop": 50, "step": 5}."""

    start: Number = Field(description="first value")
    stop: Number = Field(description="last value, included when it lies on the step grid")
    step: Number = Field(gt=0, description="distance between values (> 0); values are computed in decimal, so "
                                           "0.1 steps give 0.1, 0.2, 0.3 and not 0.30000000000000004")

    @model_validator(mode="after")
    def _not_empty(self):
        if self.stop < self.start:
            raise PydanticCustomError("empty_range", "empty: stop {stop} is below start {start}",
                                      {"start": self.start, "stop": self.stop})
        return self

    @property
    def integer(self) -> bool:
        """Whether the values are integers (start, stop and step all written as integers)."""
        return all(isinstance(v, int) for v in (self.start, self.stop, self.step))


class BoundsSpec(Body):
    """Values drawn uniformly between `min` and `max` (both included) — only with `samples`."""

    min: Number = Field(description="smallest value")
    max: Number = Field(description="largest value")
    integer: StrictBool = Field(False, description="draw whole numbers (min and max must then be integers)")

    @model_validator(mode="after")
    def _ordered(self):
        if self.max < self.min:
            raise PydanticCustomError("empty_bounds", "empty: max {max} is below min {min}",
                                      {"min": self.min, "max": self.max})
        if self.integer and not (isinstance(self.min, int) and isinstance(self.max, int)):
            raise PydanticCustomError("integer_bounds", "integer bounds need whole-number min and max")
        return self


def _space_kind(value) -> str | None:
    if isinstance(value, list | RangeSpec | BoundsSpec):
        return {list: "list", RangeSpec: "range", BoundsSpec: "bounds"}[type(value)]
    if isinstance(value, dict):
        if value.keys() & {"start", "stop", "step"}:
            return "range"
        if value.keys() & {"min", "max", "integer"}:
            return "bounds"
    return None


SpaceValue = Annotated[
    Annotated[list[Any], Tag("list")] | Annotated[RangeSpec, Tag("range")] | Annotated[BoundsSpec, Tag("bounds")],
    Discriminator(_space_kind, custom_error_type="space_value",
                  custom_error_message="a list of values, {start, stop, step} or {min, max, integer}"),
]


class Constraint(Body):
    """A result passes when `metric` is within [min, max]; a null metric never passes."""

    metric: Metric = Field(description="a key of the backtest's metrics object, e.g. total_trades")
    min: float | None = Field(None, description="smallest acceptable value (included)")
    max: float | None = Field(None, description="largest acceptable value (included)")

    @model_validator(mode="after")
    def _a_bound(self):
        if self.min is None and self.max is None:
            raise PydanticCustomError("no_bound", "give min, max or both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise PydanticCustomError("empty_bounds", "max {max} is below min {min}",
                                      {"min": self.min, "max": self.max})
        return self


class WalkForwardPlan(Body):
    """Windows of in-sample (choose the parameters) then out-of-sample (test them), moved forward by `step`."""

    in_sample: StrictStr = Field(description="in-sample length, `<int><m|h|d|w>`, e.g. 365d")
    out_of_sample: StrictStr = Field(description="out-of-sample length right after each in-sample part, e.g. 90d")
    step: StrictStr | None = Field(None, description="how far each window starts after the previous one; default: "
                                                     "out_of_sample (out-of-sample parts tile without overlap)")
    mode: Literal["rolling", "anchored"] = Field(
        "rolling", description="rolling: in-sample keeps its length and moves; anchored: in-sample always starts at "
                               "the data start and grows by step")

    @field_validator("in_sample", "out_of_sample", "step")
    @classmethod
    def _duration(cls, text):
        if text is not None:
            duration_ms(text)
        return text

    @property
    def in_sample_ms(self) -> int:
        return duration_ms(self.in_sample)

    @property
    def out_of_sample_ms(self) -> int:
        return duration_ms(self.out_of_sample)

    @property
    def step_ms(self) -> int:
        return duration_ms(self.step or self.out_of_sample)


class SweepBody(Body):
    """POST /api/backtest/sweeps: one strategy run for every combination of the space (or `samples` of them)."""

    code: StrictStr = Field(description="the strategy code, as for /api/backtest/run")
    backtest_config: BacktestConfig = Field(default_factory=BacktestConfig,
                                            description="the same settings as /api/backtest/run, for every run")
    strategy_params: dict[str, Any] = Field(default_factory=dict,
                                            description="fixed parameters; each combination's values go on top")
    space: dict[StrictStr, SpaceValue] = Field(
        min_length=1, max_length=MAX_PARAMETERS,
        description="parameter name -> its values: a list [5, 10, 20]; an inclusive range {\"start\": 5, \"stop\": "
                    "50, \"step\": 5}; or, only with `samples`, bounds {\"min\": 0.5, \"max\": 3, \"integer\": false}. "
                    "The grid is every combination, the last parameter varying fastest")
    samples: StrictInt | None = Field(None, ge=1, description="run this many combinations drawn at random from the "
                                                              "space instead of the full grid (no combination twice)")
    seed: StrictInt = Field(0, description="seed of the random draw of `samples`: the same seed draws the same set")
    objective: Metric = Field(DEFAULT_OBJECTIVE, description="the metric the results are ranked by")
    maximize: StrictBool | None = Field(None, description="rank larger values first; default: true, except for "
                                                          "metrics where lower is better (max_drawdown, fees_paid, "
                                                          "losing_trades, longest_drawdown_bars/_hours)")
    constraints: list[Constraint] = Field(default_factory=list, max_length=20,
                                          description="every one must hold for a result to pass; passing results "
                                                      "rank before the others")
    walk_forward: WalkForwardPlan | None = Field(None, description="run the sweep per in-sample window and test each "
                                                                   "window's best combination out-of-sample")

    @model_validator(mode="after")
    def _coherent(self):
        problems = []
        for name, value in self.space.items():
            where = ("space", name)
            if not name:
                problems.append((where, "a parameter name cannot be empty"))
            elif isinstance(value, list) and not value:
                problems.append((where, "empty: give at least one value"))
            elif isinstance(value, list) and len({json.dumps(v, sort_keys=True) for v in value}) < len(value):
                problems.append((where, "a value is listed twice"))
            elif isinstance(value, BoundsSpec) and self.samples is None:
                problems.append((where, "min/max bounds are drawn at random: set samples, or give a list or a "
                                        "start/stop/step range for a grid"))
        if self.walk_forward is not None:
            bar_ms = TIMEFRAMES[self.backtest_config.timeframe]
            for part in ("in_sample", "out_of_sample", "step"):
                text = getattr(self.walk_forward, part)
                if text is not None and duration_ms(text) % bar_ms:
                    problems.append((("walk_forward", part),
                                     f"{text} is not a whole number of {self.backtest_config.timeframe} candles"))
            if self.backtest_config.start is None:
                problems.append((("backtest_config", "start"), "walk-forward needs a fixed data range: set start "
                                                               "(and end, default now)"))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, [
                InitErrorDetails(type=PydanticCustomError("sweep", reason), loc=loc, input=None)
                for loc, reason in problems])
        if self.maximize is None:
            self.maximize = default_maximize(self.objective)
        return self


# Replies


class SweepProgress(Reply):
    done: int = Field(description="combinations finished (stored), failed ones included")
    total: int = Field(description="combinations in the sweep (with walk-forward: every run, in- and out-of-sample)")
    failed: int = Field(0, description="combinations whose backtest ended in an error")
    eta_s: float | None = Field(None, description="seconds left at the pace so far; null before the first result "
                                                  "and once finished")


class SweepCreated(Reply):
    success: bool = True
    sweep_id: str = Field(description="the job's id (sw_...): GET /api/backtest/sweeps/{sweep_id}")
    status: SweepState = "queued"
    total: int = Field(description="runs the sweep will make")
    combinations: int = Field(description="parameter combinations (the grid's size, or samples)")
    windows: int | None = Field(None, description="walk-forward windows; null without walk-forward")
    objective: Metric
    maximize: bool
    created_at: dt.datetime


class ResultRow(Reply):
    rank: int | None = Field(description="1 = best; passing results first, then by objective, nulls last; "
                                         "null for a combination that failed")
    combination_id: int = Field(description="the run's index in the sweep: GET .../results/{combination_id}")
    params: dict[str, Any] = Field(description="this combination's values of the space (fixed params not repeated)")
    objective_value: float | None = Field(description="the objective metric; null when the metric is undefined "
                                                      "for this run (see null_reason)")
    passed: bool = Field(description="every constraint holds")
    failed_constraints: list[str] = Field(default_factory=list, description="the constraints that do not hold, "
                                                                            "e.g. \"total_trades >= 10 (got 4)\"")
    null_reason: str | None = Field(None, description="why objective_value is null")
    window: int | None = Field(None, description="walk-forward: the window whose in-sample range this run covers")
    metrics: dict[str, float | int | None] = Field(default_factory=dict, description="the run's metrics")
    error: str | None = Field(None, description="why the run failed, when it did")


class TimeSpan(Reply):
    start: dt.datetime = Field(description="first candle time included")
    end: dt.datetime = Field(description="end, excluded: candles strictly before this time")


class WindowResult(Reply):
    index: int
    in_sample: TimeSpan
    out_of_sample: TimeSpan
    best_params: dict[str, Any] | None = Field(description="the in-sample best combination's values (null when "
                                                           "no in-sample run has an objective value)")
    combination_id: int | None = Field(None, description="the in-sample best run's id")
    out_of_sample_combination_id: int | None = Field(None, description="the out-of-sample run's id")
    in_sample_objective: float | None = None
    out_of_sample_objective: float | None = None
    in_sample_metrics: dict[str, float | int | None] | None = None
    out_of_sample_metrics: dict[str, float | int | None] | None = None


class EquityPoint(Reply):
    time: dt.datetime
    equity: float


class ParameterStability(Reply):
    distinct_values: int = Field(description="how many different values the windows chose")
    most_frequent: Any = Field(description="the value chosen most often (the earliest such on ties)")
    most_frequent_share: float = Field(description="fraction of windows that chose it (0..1)")
    coefficient_of_variation: float | None = Field(
        description="numeric parameters: population standard deviation / |mean| of the chosen values; null for "
                    "non-numbers or a zero mean")


class Overfitting(Reply):
    in_sample_mean: float | None = Field(description="mean objective of each window's best in-sample run")
    out_of_sample_mean: float | None = Field(description="mean objective of the same combinations out-of-sample")
    gap: float | None = Field(description="how much worse out-of-sample is: in_sample_mean - out_of_sample_mean "
                                          "when maximizing, the reverse when minimizing")
    ratio: float | None = Field(description="the share of in-sample performance kept out-of-sample: "
                                            "out_of_sample_mean / in_sample_mean when maximizing, in_sample_mean / "
                                            "out_of_sample_mean when minimizing; null when the divisor is <= 0")
    threshold: float = Field(description="the warning is raised when ratio is below this (or, with no ratio, "
                                         "when gap > 0)")
    warning: bool = Field(description="out-of-sample is much worse than in-sample: likely overfitting")
    message: str | None = None


class WalkForwardReport(Reply):
    windows: list[WindowResult]
    stitched_equity_curve: list[EquityPoint] = Field(
        description="out-of-sample curves joined: each window's curve scaled to start at the previous one's "
                    "final equity")
    out_of_sample_metrics: dict[str, float | None] = Field(
        description="from the stitched curve: total_return_pct and max_drawdown (percent)")
    stability: dict[str, ParameterStability] = Field(description="per parameter, across the windows' choices")
    overfitting: Overfitting


class SweepStatus(Reply):
    success: bool = True
    sweep_id: str
    status: SweepState
    progress: SweepProgress
    objective: Metric
    maximize: bool
    best: ResultRow | None = Field(None, description="the first row of the ranking so far")
    results: list[ResultRow] = Field(default_factory=list, description="the ranked table (?top= rows)")
    walk_forward: WalkForwardReport | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None


class SweepSummary(Reply):
    sweep_id: str
    status: SweepState
    progress: SweepProgress
    objective: Metric
    created_at: dt.datetime
    finished_at: dt.datetime | None = None


class SweepList(Reply):
    success: bool = True
    sweeps: list[SweepSummary] = Field(description="the most recent first")
