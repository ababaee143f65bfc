"""One test per simulation rule, on hand-made candles with the trades and equity worked out by hand.

Every scenario runs through both engine paths (vectorised with a fixed size, entry by entry with a
sizing callable) and through the naive reference simulator; all three must agree.
"""

import math

import numpy as np
import pytest

from botmoon_backtest.domain import (
    BothHit,
    EntryTiming,
    ExitReason,
    OppositeSignal,
    SimulationSettings,
    SymbolType,
    entry_prices,
    simulate,
)
from botmoon_backtest.reference import reference_simulate
from botmoon_backtest.testing import HOUR, T0, candles_of, levels_of, signals_of

# Four 1h candles used by most scenarios: (open, high, low, close).
A = [(100, 112, 99, 105), (105, 108, 102, 107), (107, 111, 106, 109), (109, 109, 100, 101)]


def run(rows, signals, *, size=2.0, levels=None, **settings):
    """Simulate on both paths and the reference; check they agree and return the vectorised-path result."""
    candles = candles_of(rows)
    sig = signals_of(signals)
    lv = levels_of(levels) if levels is not None else levels_of([(None, None)] * len(sig))
    config = SimulationSettings(**{"initial_capital": 10_000.0, "commission_rate": 0.0, **settings})
    fast = simulate(candles, sig, config, size=size, levels=lv)
    if callable(size):
        sizer = size
    elif np.ndim(size):
        values = list(size)
        sizer = _sizer_over(values, sig)
    else:
        def sizer(*_):
            return size
    slow = simulate(candles, sig, config, size=sizer, levels=lv)
    ref = reference_simulate(candles, sig, config, size=list(size) if np.ndim(size) else size,
                             tp=lv.tp, sl=lv.sl)
    assert _rows(fast) == _rows(slow) == [_ref_row(t) for t in ref.trades]
    np.testing.assert_allclose(fast.equity, slow.equity, rtol=1e-12)
    np.testing.assert_allclose(fast.equity, ref.equity, rtol=1e-12)
    assert fast.stopped_at_bar == slow.stopped_at_bar == ref.stopped_at
    return fast


def _sizer_over(values, signals):
    """A sizing callable that returns the per-signal size, found from the entry price (unique in these tests)."""
    prices = signals.price.tolist()

    def sizer(capital, entry, sl, side):
        return values[prices.index(entry)] if entry in prices else values[0]

    return sizer


def _rows(result):
    t = result.trades
    return [(int(s), int(eb), int(xb), round(float(xp), 9), ExitReason(r).name.lower())
            for s, eb, xb, xp, r in zip(t.signal, t.entry_bar, t.exit_bar, t.exit_price, t.exit_reason, strict=True)]


def _ref_row(trade):
    return (trade.signal, trade.entry_bar, trade.exit_bar, round(trade.exit_price, 9), trade.reason)


def only_trade(result):
    records = result.trades.to_records()
    assert len(records) == 1, records
    return records[0]


def test_entry_fills_at_the_signal_price_and_levels_are_checked_from_the_next_candle():
    # Candle 0 reaches the TP (high 112 >= 110) but is the entry candle; candle 2 is the first to hit.
    result = run(A, [(0, "long", 101)], levels=[(110, 95)])
    trade = only_trade(result)
    assert (trade["entry_time"], trade["entry_price"], trade["entry_bar"]) == (T0, 101, 0)
    assert (trade["exit_time"], trade["exit_price"], trade["exit_reason"]) == (T0 + 2 * HOUR, 110, "tp")
    assert trade["gross_pnl"] == trade["net_pnl"] == 2 * (110 - 101)
    assert trade["return_pct"] == pytest.approx(18 / 202 * 100)
    assert result.equity.tolist() == [10_008, 10_012, 10_018, 10_018]


def test_next_open_setting_fills_at_the_next_open_and_checks_that_candle():
    settings = {"entry_timing": EntryTiming.NEXT_OPEN}
    assert entry_prices(candles_of(A), signals_of([(0, "long", 101)]),
                        SimulationSettings(**settings)).tolist() == [105]
    # Filled at 105 (candle 1's open); candle 1's low 102 reaches the SL at 103.
    trade = only_trade(result := run(A, [(0, "long", 101)], levels=[(110, 103)], **settings))
    assert (trade["entry_time"], trade["entry_price"]) == (T0 + HOUR, 105)
    assert (trade["exit_time"], trade["exit_price"], trade["exit_reason"]) == (T0 + HOUR, 103, "sl")
    assert result.equity.tolist() == [10_000, 9_996, 9_996, 9_996]


def test_next_open_signal_on_the_last_candle_is_dropped_with_a_warning():
    result = run(A, [(3, "long", 101)], entry_timing=EntryTiming.NEXT_OPEN)
    assert len(result.trades) == 0
    assert any("last candle dropped" in w for w in result.warnings)


def test_one_position_at_a_time_a_same_side_signal_is_ignored_and_the_end_closes_at_the_last_close():
    result = run(A, [(0, "long", 100), (1, "long", 106)])
    trade = only_trade(result)
    assert (trade["entry_price"], trade["exit_price"], trade["exit_reason"]) == (100, 101, "end")
    assert trade["exit_time"] == T0 + 3 * HOUR
    assert result.equity.tolist() == [10_010, 10_014, 10_018, 10_002]
    assert (result.signal_stats.entered, result.signal_stats.ignored) == (1, 1)


def test_opposite_signal_closes_at_its_price_and_reverses():
    result = run(A, [(0, "long", 101), (2, "short", 108), (3, "short", 102)])
    first, second = result.trades.to_records()
    assert (first["side"], first["exit_price"], first["exit_reason"], first["net_pnl"]) == ("long", 108, "signal", 14)
    assert (second["side"], second["entry_price"], second["entry_time"]) == ("short", 108, T0 + 2 * HOUR)
    assert (second["exit_price"], second["exit_reason"], second["net_pnl"]) == (101, "end", 14)
    # At candle 2's close: 10014 realised, short 2 from 108 marked at 109 -> -2.
    assert result.equity.tolist() == [10_008, 10_012, 10_012, 10_028]


def test_close_only_setting_closes_without_reversing_and_the_next_signal_enters():
    result = run(A, [(0, "long", 101), (2, "short", 108), (3, "short", 102)],
                 opposite_signal=OppositeSignal.CLOSE_ONLY)
    first, second = result.trades.to_records()
    assert (first["exit_price"], first["exit_reason"]) == (108, "signal")
    assert (second["side"], second["entry_price"], second["exit_price"], second["net_pnl"]) == ("short", 102, 101, 2)
    assert result.equity.tolist() == [10_008, 10_012, 10_014, 10_016]


def test_ignore_setting_keeps_the_position_through_opposite_signals():
    result = run(A, [(0, "long", 101), (2, "short", 108)], opposite_signal=OppositeSignal.IGNORE)
    trade = only_trade(result)
    assert (trade["exit_reason"], trade["exit_price"]) == ("end", 101)
    assert result.equity.tolist() == [10_008, 10_012, 10_016, 10_000]
    assert (result.signal_stats.closed_position, result.signal_stats.ignored) == (0, 1)


def test_disabled_direction_signals_are_ignored_and_counted_but_still_close_a_position():
    result = run(A, [(0, "short", 104), (1, "long", 104), (2, "short", 108)], enabled_directions={"long"})
    trade = only_trade(result)
    assert (trade["side"], trade["entry_price"], trade["exit_price"], trade["exit_reason"]) == (
        "long", 104, 108, "signal")
    assert result.equity.tolist() == [10_000, 10_006, 10_008, 10_008]
    assert result.signal_stats.disabled_direction == 2
    assert any("2 short signal(s) ignored" in w for w in result.warnings)


@pytest.mark.parametrize(("side", "tp", "sl"), [("long", 100, 102), ("short", 102, 100)])
def test_levels_on_the_wrong_side_of_the_entry_are_a_warning_and_not_used(side, tp, sl):
    result = run(A, [(0, side, 101)], levels=[(tp, sl)])
    assert only_trade(result)["exit_reason"] == "end"
    assert any(w.startswith("TP on the wrong side of the entry price for 1 trade") for w in result.warnings)
    assert any(w.startswith("SL on the wrong side of the entry price for 1 trade") for w in result.warnings)


BOTH = [(100, 102, 99, 101), (101, 112, 90, 100), (100, 101, 99, 100)]


@pytest.mark.parametrize(("side", "levels", "both_hit", "price", "reason"), [
    ("long", (110, 95), BothHit.SL, 95, "sl"),
    ("long", (110, 95), BothHit.TP, 110, "tp"),
    ("short", (92, 111), BothHit.SL, 111, "sl"),
    ("short", (92, 111), BothHit.TP, 92, "tp"),
])
def test_a_candle_touching_both_levels_exits_at_the_sl_unless_set_otherwise(side, levels, both_hit, price, reason):
    trade = only_trade(run(BOTH, [(0, side, 101)], levels=[levels], both_hit=both_hit))
    assert (trade["exit_bar"], trade["exit_price"], trade["exit_reason"]) == (1, price, reason)


@pytest.mark.parametrize(("side", "levels", "next_candle", "price", "reason"), [
    ("long", (110, 95), (90, 92, 88, 91), 90, "sl"),
    ("long", (110, 95), (115, 118, 90, 116), 115, "tp"),
    ("short", (95, 105), (108, 109, 94, 108), 108, "sl"),
    ("short", (95, 105), (92, 93, 91, 92), 92, "tp"),
])
def test_a_candle_opening_beyond_a_level_fills_at_its_open(side, levels, next_candle, price, reason):
    trade = only_trade(run([(100, 102, 99, 101), next_candle], [(0, side, 101)], levels=[levels]))
    assert (trade["exit_price"], trade["exit_reason"]) == (price, reason)


def test_after_a_tp_exit_a_signal_on_that_candle_enters_at_its_close():
    result = run(A, [(0, "long", 101), (1, "long", 107)], levels=[(106, None), (None, None)])
    first, second = result.trades.to_records()
    assert (first["exit_bar"], first["exit_price"], first["exit_reason"]) == (1, 106, "tp")
    assert (second["entry_bar"], second["entry_price"], second["exit_reason"]) == (1, 107, "end")


def test_signals_on_one_candle_act_in_the_given_order():
    result = run(A, [(1, "long", 106), (1, "short", 104)])
    first, second = result.trades.to_records()
    assert (first["entry_price"], first["exit_price"], first["exit_bar"]) == (106, 104, 1)
    assert (second["side"], second["entry_price"], second["exit_price"]) == ("short", 104, 101)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_zero_negative_or_non_finite_size_skips_the_entry_with_a_warning(bad):
    result = run(A, [(0, "long", 101), (1, "long", 106)], size=np.array([bad, 2.0]))
    trade = only_trade(result)
    assert (trade["entry_bar"], trade["entry_price"], trade["net_pnl"]) == (1, 106, -10)
    assert result.signal_stats.skipped_size == 1
    assert any("skipped: position size zero, negative or not finite" in w for w in result.warnings)


def test_a_sizing_callable_that_returns_nonsense_skips_the_entry():
    result = simulate(candles_of(A), signals_of([(0, "long", 101)]), SimulationSettings(),
                      size=lambda *_: "lots", levels=None)
    assert len(result.trades) == 0
    assert result.signal_stats.skipped_size == 1


E = [(100, 101, 99, 100), (100, 102, 98, 101), (101, 103, 100, 102)]


def test_spot_trades_long_only_with_notional_plus_fee_capped_at_equity():
    result = run(E, [(0, "short", 100), (1, "long", 101), (2, "short", 102)], size=1000.0,
                 symbol_type=SymbolType.CRYPTO_SPOT, commission_rate=0.001)
    trade = only_trade(result)
    size = 10_000 / (101 * 1.001)
    assert trade["size"] == pytest.approx(size, rel=1e-12)
    assert trade["size_capped"] and trade["requested_size"] == 1000 and "capped" in trade["note"]
    assert (trade["exit_price"], trade["exit_reason"]) == (102, "signal")
    assert trade["net_pnl"] == pytest.approx(size * (1 - 0.001 * 101 - 0.001 * 102), rel=1e-12)
    assert result.signal_stats.disabled_direction == 2
    assert any("CRYPTO_SPOT trades long only" in w for w in result.warnings)


@pytest.mark.parametrize(("leverage", "requested", "expected", "capped"), [
    (10, 5_000.0, 1_000.0, True), (2, 5_000.0, 200.0, True), (10, 500.0, 500.0, False)])
def test_futures_notional_is_capped_at_equity_times_max_leverage(leverage, requested, expected, capped):
    trade = only_trade(run(E, [(0, "long", 100)], size=requested, max_leverage=leverage))
    assert trade["size"] == pytest.approx(expected, rel=1e-12)
    assert trade["size_capped"] is capped


def test_commission_is_charged_on_the_notional_at_entry_and_at_exit():
    result = run(A, [(0, "long", 101)], levels=[(110, 95)], commission_rate=0.001)
    trade = only_trade(result)
    assert trade["fees"] == pytest.approx(0.001 * 2 * 101 + 0.001 * 2 * 110)
    assert trade["net_pnl"] == pytest.approx(18 - 0.422)
    np.testing.assert_allclose(result.equity, [10_007.798, 10_011.798, 10_017.578, 10_017.578], rtol=1e-14)


F = [(100, 101, 99, 100), (100, 100, 88, 89), (89, 95, 88, 94), (94, 95, 93, 94)]


def test_equity_at_or_below_zero_at_a_close_liquidates_and_stops_trading():
    result = run(F, [(0, "long", 100), (2, "short", 94)], size=100.0, initial_capital=1_000.0)
    trade = only_trade(result)
    assert not trade["size_capped"]
    assert (trade["exit_bar"], trade["exit_price"], trade["exit_reason"]) == (1, 89, "liquidation")
    assert result.equity.tolist() == [1_000, -100, -100, -100]
    assert result.stopped_at_bar == 1
    assert any("trading stopped" in w for w in result.warnings)


def test_an_exit_that_leaves_equity_at_or_below_zero_stops_trading():
    rows = [(100, 101, 99, 100), (80, 82, 79, 81), (81, 85, 80, 84), (84, 85, 83, 84)]
    result = run(rows, [(0, "long", 100), (2, "long", 84)], size=100.0, levels=[(None, 95), (None, None)],
                 initial_capital=1_000.0)
    trade = only_trade(result)
    assert (trade["exit_price"], trade["exit_reason"]) == (80, "sl")
    assert result.equity.tolist() == [1_000, -1_000, -1_000, -1_000]
    assert result.stopped_at_bar == 1


def test_the_sizing_callable_sees_the_equity_of_that_moment_and_the_sl():
    calls = []

    def sizer(capital, entry, sl, side):
        calls.append((capital, entry, sl, side))
        return 2.0

    result = run(A, [(0, "long", 101), (3, "short", 105)], size=sizer, levels=[(110, 95), (None, None)])
    assert calls[:2] == [(10_000, 101, 95, "long"), (10_018, 105, None, "short")]
    assert result.final_equity == 10_000 + 18 + 8
