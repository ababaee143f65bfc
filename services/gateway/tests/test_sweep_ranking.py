"""The ranked table: passing runs first by objective, then failing ones, null objectives last, failed runs unranked."""

from dataclasses import dataclass, field

from botmoon_gateway.schemas.sweeps import Constraint
from botmoon_gateway.sweeps.ranking import best_of, failed_constraints, objective_value, rank


@dataclass
class Run:
    item_index: int
    metrics: dict | None
    params: dict = field(default_factory=dict)
    error: str | None = None
    warnings: list = field(default_factory=list)
    window: int | None = None


def run(i, sharpe, trades=20, **kw):
    return Run(i, {"sharpe_ratio": sharpe, "total_trades": trades, "max_drawdown": 10.0 + i}, {"p": i}, **kw)


def test_order_passing_then_failing_then_null_then_errors():
    rows = [run(0, 0.5), run(1, 2.0, trades=3), run(2, None, warnings=["sharpe_ratio is null: fewer than two daily "
                                                                         "returns"]),
            Run(3, None, error="boom"), run(4, 1.5), run(5, 0.5)]
    table = rank(rows, "sharpe_ratio", True, [{"metric": "total_trades", "min": 10}])
    assert [r.row.item_index for r in table] == [4, 0, 5, 1, 2, 3]
    assert [r.rank for r in table] == [1, 2, 3, 4, 5, None]
    assert [r.passed for r in table] == [True, True, True, False, True, False]
    assert table[3].failed_constraints == ["total_trades >= 10 (got 3)"]
    assert table[4].null_reason == "sharpe_ratio is null: fewer than two daily returns"
    assert table[5].null_reason == "the run failed: boom"
    reply = table[0].as_reply()
    assert (reply.rank, reply.combination_id, reply.params, reply.objective_value) == (1, 4, {"p": 4}, 1.5)
    assert best_of(rows, "sharpe_ratio", True, [{"metric": "total_trades", "min": 10}]).item_index == 4
    assert best_of(rows, "sharpe_ratio", True).item_index == 1  # without the constraint the 2.0 wins


def test_minimizing_and_ties_keep_the_given_order():
    rows = [run(0, 1.0), run(1, 1.0), run(2, 1.0)]
    assert [r.row.item_index for r in rank(rows, "max_drawdown", False)] == [0, 1, 2]
    assert [r.row.item_index for r in rank(rows[::-1], "max_drawdown", True)] == [2, 1, 0]
    assert [r.row.item_index for r in rank(rows[::-1], "sharpe_ratio", True)] == [2, 1, 0]


def test_no_objective_value_anywhere_means_no_best():
    assert best_of([run(0, None), Run(1, None, error="x")], "sharpe_ratio", True) is None
    assert best_of([], "sharpe_ratio", True) is None
    only_failing = [run(0, 1.0, trades=1), run(1, 3.0, trades=2)]
    assert best_of(only_failing, "sharpe_ratio", True, [{"metric": "total_trades", "min": 10}]).item_index == 1


def test_constraints_and_values():
    metrics = {"total_trades": 12, "max_drawdown": 35.5, "sqn": None, "sharpe_ratio": float("nan")}
    assert failed_constraints(metrics, [Constraint(metric="total_trades", min=10, max=12),
                                        Constraint(metric="max_drawdown", max=30),
                                        {"metric": "sqn", "min": 0, "max": None}]) == [
        "max_drawdown <= 30 (got 35.5)", "sqn >= 0 (got null)"]
    assert objective_value(metrics, "total_trades") == 12.0
    assert objective_value(metrics, "sharpe_ratio") is None
    assert objective_value(None, "sharpe_ratio") is None
