"""Each flavour's pool follows its demand between its bounds, every target within the pool's budget."""

import pytest

from botmoon_sandbox.domain.flavour import Flavour
from botmoon_sandbox.domain.pool_sizing import HEADROOM, Bounds, DecayedRate, targets, wanted
from botmoon_sandbox.settings import SandboxSettings

BOUNDS = {Flavour.STDLIB: Bounds(1, 4), Flavour.NUMPY: Bounds(0, 2), Flavour.NUMERIC: Bounds(1, 4)}
LEAD = {Flavour.STDLIB: 0.4, Flavour.NUMPY: 0.6, Flavour.NUMERIC: 1.2}


def test_a_steady_rate_reads_as_itself():
    rate = DecayedRate(half_life_s=10)
    for i in range(2000):
        rate.note(i * 0.25)  # 4 per second for 500 s
    assert rate.rate(500) == pytest.approx(4.0, rel=0.05)


def test_with_no_events_the_rate_halves_every_half_life():
    rate = DecayedRate(half_life_s=5)
    for i in range(400):
        rate.note(i * 0.5)
    at = rate.rate(199.5)
    assert rate.rate(204.5) == pytest.approx(at / 2)
    assert rate.rate(209.5) == pytest.approx(at / 4)
    assert DecayedRate(1).rate(100) == 0.0


def test_a_half_life_must_be_positive():
    with pytest.raises(ValueError):
        DecayedRate(0)


def test_no_demand_keeps_each_minimum():
    assert targets(BOUNDS, {}, LEAD, budget=10) == {Flavour.STDLIB: 1, Flavour.NUMPY: 0, Flavour.NUMERIC: 1}


def test_demand_sets_the_target_between_min_and_max():
    # 5/s of stdlib runs, each container ready 0.4 s after its start: 2 taken per start, with headroom 3.
    assert wanted(5.0, 0.4, Bounds(1, 4)) == round(5.0 * 0.4 * HEADROOM)
    assert wanted(50.0, 0.4, Bounds(1, 4)) == 4
    assert wanted(0.01, 0.4, Bounds(1, 4)) == 1
    assert wanted(0.01, 0.4, Bounds(0, 4)) == 0


def test_within_the_budget_every_flavour_gets_what_it_wants():
    got = targets(BOUNDS, {Flavour.STDLIB: 5.0, Flavour.NUMERIC: 1.0}, LEAD, budget=10)
    assert got == {Flavour.STDLIB: 3, Flavour.NUMPY: 0, Flavour.NUMERIC: 2}


def test_beyond_the_budget_minimums_come_first_then_the_flavour_furthest_short():
    got = targets(BOUNDS, {Flavour.STDLIB: 50.0, Flavour.NUMPY: 50.0, Flavour.NUMERIC: 50.0}, LEAD, budget=5)
    assert sum(got.values()) == 5
    assert got[Flavour.STDLIB] >= 1 and got[Flavour.NUMERIC] >= 1
    short = [BOUNDS[f].max - got[f] for f in Flavour]  # each wants its max
    assert max(short) - min(short) <= 1  # what is missing is shared out evenly


def test_a_budget_smaller_than_the_minimums_serves_the_costliest_cold_start_first():
    assert targets(BOUNDS, {Flavour.STDLIB: 9.0}, LEAD, budget=1) == {
        Flavour.STDLIB: 0, Flavour.NUMPY: 0, Flavour.NUMERIC: 1}
    assert sum(targets(BOUNDS, {}, LEAD, budget=0).values()) == 0


def test_the_pool_grows_under_demand_and_returns_to_its_minimum_once_idle():
    rate = DecayedRate(half_life_s=2)
    for i in range(60):
        rate.note(i * 0.2)  # 5/s for 12 s
    busy = targets(BOUNDS, {Flavour.STDLIB: rate.rate(12)}, LEAD, budget=10)[Flavour.STDLIB]
    assert busy > BOUNDS[Flavour.STDLIB].min
    idle = targets(BOUNDS, {Flavour.STDLIB: rate.rate(30)}, LEAD, budget=10)[Flavour.STDLIB]
    assert idle == BOUNDS[Flavour.STDLIB].min


def test_settings_give_each_flavour_its_bounds_and_refuse_a_min_over_its_max():
    settings = SandboxSettings(pool_numpy_min=1, pool_numpy_max=3)
    assert settings.pool_bounds()[Flavour.NUMPY] == Bounds(1, 3)
    with pytest.raises(ValueError, match="min <= max"):
        SandboxSettings(pool_stdlib_min=5, pool_stdlib_max=2)
