"""The barrier searches against a brute-force scan, in the dense and sparse regimes of `first_hits`."""

import numpy as np
import pytest

from botmoon_backtest.domain import pieces
from botmoon_backtest.domain.equity import mark_to_market
from botmoon_backtest.domain.search import first_hit, first_hits


def brute(low, high, start, stop, lower, upper):
    for j in range(start, stop):
        if low[j] <= lower or high[j] >= upper:
            return j
    return -1


def random_windows(rng, n, count, max_len):
    cuts = np.sort(rng.choice(np.arange(1, n), size=2 * count, replace=False))
    starts, stops = cuts[0::2], cuts[1::2]
    stops = np.minimum(stops, starts + max_len)
    lower = rng.uniform(0.0, 0.3, count)
    upper = rng.uniform(0.7, 1.0, count)
    lower[rng.random(count) < 0.2] = -np.inf
    upper[rng.random(count) < 0.2] = np.inf
    return starts, stops, lower, upper


@pytest.mark.parametrize("chunk", [None, 7, 64])
@pytest.mark.parametrize(("n", "count", "max_len"), [(5_000, 400, 10_000), (5_000, 30, 12), (300, 100, 3)])
def test_first_hits_matches_a_brute_force_scan(n, count, max_len, chunk, monkeypatch):
    if chunk:
        monkeypatch.setattr(pieces, "CHUNK", chunk)
    rng = np.random.default_rng(n + count)
    low = rng.random(n)
    high = low + rng.random(n) * 0.1
    starts, stops, lower, upper = random_windows(rng, n, count, max_len)
    expected = [brute(low, high, s, e, lo, up) for s, e, lo, up in zip(starts, stops, lower, upper, strict=True)]
    assert first_hits(low, high, starts, stops, lower, upper).tolist() == expected
    assert [first_hit(low, high, s, e, lo, up) for s, e, lo, up in
            zip(starts.tolist(), stops.tolist(), lower.tolist(), upper.tolist(), strict=True)] == expected


def test_a_hit_run_that_began_before_the_window_counts_from_the_window_start():
    low = np.array([0.0, 0.0, 0.0, 0.5, 0.0])
    high = np.full(5, 0.6)
    got = first_hits(low, high, np.array([0, 2]), np.array([2, 5]), np.array([0.1, 0.1]), np.array([np.inf, np.inf]))
    assert got.tolist() == [0, 2]


def test_empty_windows_and_windows_without_levels_have_no_hit():
    low = np.zeros(4)
    high = np.ones(4)
    got = first_hits(low, high, np.array([1, 2]), np.array([1, 4]), np.array([0.5, -np.inf]),
                     np.array([0.5, np.inf]))
    assert got.tolist() == [-1, -1]
    assert first_hit(low, high, 0, 4, -np.inf, np.inf) == -1


@pytest.mark.parametrize("chunk", [None, 1, 5, 16])
def test_equity_curve_chunks_join_up(chunk, monkeypatch):
    if chunk:
        monkeypatch.setattr(pieces, "CHUNK", chunk)
    close = np.arange(1.0, 41.0)
    entry_bar, exit_bar = np.array([3, 10, 10, 30]), np.array([10, 10, 25, 39])
    exposure, entry_price, fee_in = np.array([2.0, 1.0, -1.0, 0.5]), np.array([4.0, 11.0, 11.0, 30.0]), np.ones(4)
    before = np.array([100.0, 110.0, 109.0, 95.0, 97.0])
    expected = []
    for bar, price in enumerate(close):
        open_trade = [k for k in range(4) if entry_bar[k] <= bar < exit_bar[k]]
        if open_trade:
            k = open_trade[0]
            expected.append(before[k] - fee_in[k] + exposure[k] * (price - entry_price[k]))
        else:
            expected.append(before[int(np.searchsorted(exit_bar, bar, side="right"))])
    got = mark_to_market(close, before, entry_bar, exit_bar, exposure, entry_price, fee_in)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
