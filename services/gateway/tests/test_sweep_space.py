"""Spaces expand to combinations: grid order, decimal ranges, seeded distinct samples, the limit checked first."""

import itertools

import pytest

from botmoon_gateway.schemas.sweeps import SweepBody
from botmoon_gateway.sweeps.space import SpaceError, check_parameters, chunks, combination_count, expand, grid_size


def space_of(samples=None, **space):
    return SweepBody(code="x", space=space, samples=samples).space


def test_grid_is_every_combination_last_parameter_fastest():
    space = space_of(fast={"start": 5, "stop": 15, "step": 5}, kind=["ema", "sma"])
    assert expand(space) == [{"fast": 5, "kind": "ema"}, {"fast": 5, "kind": "sma"}, {"fast": 10, "kind": "ema"},
                             {"fast": 10, "kind": "sma"}, {"fast": 15, "kind": "ema"}, {"fast": 15, "kind": "sma"}]
    assert grid_size(space) == combination_count(space) == 6


def test_float_ranges_step_in_decimal():
    space = space_of(k={"start": 0.1, "stop": 0.7, "step": 0.1})
    assert [c["k"] for c in expand(space)] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert [c["k"] for c in expand(space_of(k={"start": 1, "stop": 2, "step": 0.25}))] == [1.0, 1.25, 1.5, 1.75, 2.0]
    # stop off the step grid: the last value is the last step below it
    assert [c["n"] for c in expand(space_of(n={"start": 2, "stop": 11, "step": 3}))] == [2, 5, 8, 11]
    assert [c["n"] for c in expand(space_of(n={"start": 2, "stop": 10, "step": 3}))] == [2, 5, 8]
    assert all(isinstance(c["n"], int) for c in expand(space_of(n={"start": 2, "stop": 10, "step": 3})))


def test_the_limit_is_checked_before_anything_is_built():
    huge = space_of(a={"start": 0, "stop": 10**15, "step": 1}, b={"start": 0, "stop": 10**15, "step": 1})
    with pytest.raises(SpaceError) as caught:
        expand(huge, limit=10_000)
    assert caught.value.field == "space"
    assert "more than the limit of 10000 (GATEWAY_SWEEP_MAX_COMBINATIONS)" in caught.value.reason
    with pytest.raises(SpaceError) as caught:
        expand(space_of(a={"start": 0, "stop": 1e300, "step": 1e-300}), limit=10)
    assert (caught.value.field, caught.value.reason.split(":")[0]) == ("space.a", "too many values")
    assert len(expand(space_of(a=list(range(100)), b=list(range(100))), limit=10_000)) == 10_000


def test_samples_from_a_finite_grid_are_distinct_seeded_and_in_grid_order():
    space = space_of(samples=30, a=list(range(10)), b={"start": 0, "stop": 90, "step": 10})
    grid = expand(space_of(a=list(range(10)), b={"start": 0, "stop": 90, "step": 10}))
    drawn = expand(space, samples=30, seed=7)
    assert len(drawn) == 30
    assert len({(c["a"], c["b"]) for c in drawn}) == 30
    assert [grid.index(c) for c in drawn] == sorted(grid.index(c) for c in drawn)
    assert drawn == expand(space, samples=30, seed=7)
    assert drawn != expand(space, samples=30, seed=8)
    assert expand(space, samples=500, seed=1) == grid  # more samples than the grid: the whole grid, once
    with pytest.raises(SpaceError) as caught:
        expand(space, samples=50, limit=40)
    assert caught.value.field == "samples"


def test_samples_with_bounds():
    space = space_of(samples=200, x={"min": 0.5, "max": 3.0}, n={"min": 1, "max": 4, "integer": True}, kind=["a", "b"])
    drawn = expand(space, samples=200, seed=3)
    assert len(drawn) == 200 == len({tuple(sorted(c.items())) for c in drawn})
    assert all(0.5 <= c["x"] <= 3.0 and c["n"] in {1, 2, 3, 4} and c["kind"] in {"a", "b"} for c in drawn)
    assert {c["n"] for c in drawn} == {1, 2, 3, 4}
    assert drawn == expand(space, samples=200, seed=3)
    finite = space_of(samples=5, n={"min": 1, "max": 3, "integer": True}, m=[1, 2])
    grid = [dict(n=n, m=m) for n, m in itertools.product([1, 2, 3], [1, 2])]
    five = expand(finite, samples=5, seed=0)
    assert len(five) == 5 and all(c in grid for c in five) and five == sorted(five, key=grid.index)
    assert expand(finite, samples=6) == grid


def test_errors_carry_the_field_path():
    with pytest.raises(SpaceError) as caught:
        expand({"fast_period": []})
    assert str(caught.value) == "space.fast_period: empty"
    with pytest.raises(SpaceError) as caught:
        expand(space_of(samples=3, x={"min": 0.0, "max": 1.0}))
    assert caught.value.field == "space.x"
    with pytest.raises(SpaceError):
        expand({})


def test_chunks():
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(chunks([1], 0))


def test_parameters_the_strategy_does_not_take():
    space = space_of(fast_period=[5], slow_period=[20])
    check_parameters(space, {"fast_period", "slow_period", "tp_pct"})
    check_parameters(space, set(), takes_any=True)
    with pytest.raises(SpaceError) as caught:
        check_parameters(space, {"fast_period", "tp_pct"})
    assert str(caught.value) == "space.slow_period: the strategy does not take a parameter 'slow_period' (it takes: " \
                                "fast_period, tp_pct)"
