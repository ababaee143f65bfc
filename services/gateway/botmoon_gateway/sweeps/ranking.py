"""The ranked table of a sweep's runs: objective value, constraints, order, best row.

A run ("row") is any object with `metrics` (the metrics dict, or None when the run failed), and optionally
`error`, `warnings` (the run's warnings, for the reason a metric is null), `params`, `window` and its id as
`item_index`, `combination_id` or `index`. Order (docs/backtest-semantics.md, "Parameter sweeps"):
  1. runs that pass every constraint and have an objective value, best value first;
  2. runs that fail a constraint but have an objective value, best value first;
  3. runs whose objective metric is null (undefined: e.g. Sharpe with fewer than two daily returns) — there is
     no number to compare, and counting it as 0 or as the worst value would invent one;
  4. runs that failed (no metrics): no rank.
Equal values keep the order the rows were given in (the store gives them by combination id).
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botmoon_gateway.schemas.sweeps import ResultRow


@dataclass(frozen=True)
class Ranked:
    """One run in the table: its rank (None for a failed run) and how it fared."""

    row: Any
    rank: int | None
    objective_value: float | None
    passed: bool
    failed_constraints: list[str] = field(default_factory=list)
    null_reason: str | None = None

    def as_reply(self) -> ResultRow:
        """The API's row (schemas.sweeps.ResultRow)."""
        metrics = getattr(self.row, "metrics", None)
        return ResultRow(rank=self.rank, combination_id=combination_id(self.row),
                         params=getattr(self.row, "params", None) or {}, objective_value=self.objective_value,
                         passed=self.passed, failed_constraints=self.failed_constraints, null_reason=self.null_reason,
                         window=getattr(self.row, "window", None), metrics=metrics or {},
                         error=getattr(self.row, "error", None))


def combination_id(row) -> int:
    for name in ("item_index", "combination_id", "index"):
        value = getattr(row, name, None)
        if value is not None:
            return int(value)
    raise AttributeError(f"{type(row).__name__} has no item_index, combination_id or index")


def objective_value(metrics: Mapping[str, Any] | None, objective: str) -> float | None:
    """The metric's value as a float; None when the run failed or the metric is null or not finite."""
    if not metrics:
        return None
    value = metrics.get(objective)
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value)


def failed_constraints(metrics: Mapping[str, Any] | None, constraints: Iterable) -> list[str]:
    """The constraints that do not hold, e.g. "total_trades >= 10 (got 4)"; a null metric holds none.

    Each constraint is a schemas.sweeps.Constraint or a dict {"metric", "min", "max"}; bounds are inclusive."""
    failed = []
    for constraint in constraints:
        metric, low, high = (_part(constraint, k) for k in ("metric", "min", "max"))
        value = objective_value(metrics, metric)
        shown = "null" if value is None else f"{value:g}"
        if low is not None and (value is None or value < low):
            failed.append(f"{metric} >= {low:g} (got {shown})")
        if high is not None and (value is None or value > high):
            failed.append(f"{metric} <= {high:g} (got {shown})")
    return failed


def rank(rows: Sequence, objective: str, maximize: bool, constraints: Iterable = ()) -> list[Ranked]:
    """Every row, ranked (order in the module's docstring); failed runs last, with rank None."""
    constraints = list(constraints)
    scored = []
    for position, row in enumerate(rows):
        metrics = getattr(row, "metrics", None)
        value = objective_value(metrics, objective)
        failed = failed_constraints(metrics, constraints) if metrics else []
        if not metrics:
            group, reason = 3, f"the run failed: {getattr(row, 'error', None) or 'no metrics'}"
        elif value is None:
            group, reason = 2, _null_reason(row, objective)
        else:
            group, reason = (0 if not failed else 1), None
        order = 0.0 if value is None else (-value if maximize else value)
        scored.append(((group, order, position), row, value, not failed and bool(metrics), failed, reason))
    scored.sort(key=lambda s: s[0])
    return [Ranked(row, None if key[0] == 3 else n, value, passed, failed, reason)
            for n, (key, row, value, passed, failed, reason) in enumerate(scored, start=1)]


def best_of(rows: Sequence, objective: str, maximize: bool, constraints: Iterable = ()):
    """The first row of the ranking when it has an objective value (a passing one if any passes), else None."""
    ranked = rank(rows, objective, maximize, constraints)
    if ranked and ranked[0].objective_value is not None:
        return ranked[0].row
    return None


def _null_reason(row, objective: str) -> str:
    prefix = f"{objective} is null"
    for warning in getattr(row, "warnings", None) or ():
        if isinstance(warning, str) and warning.startswith(prefix):
            return warning
    return f"{prefix}: the metric is undefined for this run"


def _part(constraint, key: str):
    return constraint.get(key) if isinstance(constraint, Mapping) else getattr(constraint, key)
