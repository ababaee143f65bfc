"""Input checking: settings and candles refuse bad values naming the field; helpers for levels and sizes."""

import math

import numpy as np
import pytest

from botmoon_backtest.domain import (
    Candles,
    SimulationSettings,
    entry_prices,
    levels_from_function,
    risk_position_sizer,
    simulate,
)
from botmoon_backtest.testing import candles_of, signals_of


@pytest.mark.parametrize(("field", "value"), [
    ("initial_capital", -1.0), ("initial_capital", math.nan), ("commission_rate", 0.2),
    ("commission_rate", -0.001), ("max_leverage", 0.5), ("enabled_directions", {"long", "sideways"}),
    ("symbol_type", "CRYPTO_OPTION"), ("entry_timing", "tomorrow"), ("opposite_signal", "flip"),
    ("both_hit", "maybe"),
])
def test_bad_settings_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}: "):
        SimulationSettings(**{field: value})


def test_settings_accept_plain_strings():
    settings = SimulationSettings(symbol_type="CRYPTO_SPOT", entry_timing="next_open", opposite_signal="close_only",
                                  both_hit="tp", enabled_directions=["LONG", "short"])
    assert settings.enabled_directions == {"long", "short"}
    assert settings.effective_directions == {"long"}
    assert SimulationSettings(enabled_directions="short").enabled_directions == {"short"}


@pytest.mark.parametrize(("rows", "message"), [
    ([(100, 101, 99, math.nan)], "NaN"),
    ([(100, 99, 98, 100)], "low <= open, close <= high"),
    ([(0, 1, 0, 1)], "at or below zero"),
])
def test_bad_candles_are_refused(rows, message):
    with pytest.raises(ValueError, match=message):
        candles_of(rows)


def test_candle_times_must_increase():
    with pytest.raises(ValueError, match="strictly increasing"):
        Candles.from_arrays([2, 1], [1, 1], [1, 1], [1, 1], [1, 1])


def test_a_signal_price_outside_its_candle_is_refused_by_the_engine():
    with pytest.raises(ValueError, match="outside the candle's low-high"):
        simulate(candles_of([(100, 101, 99, 100)]), signals_of([(0, "long", 102)]), size=1.0)


def test_levels_from_a_function_are_asked_at_the_fill_price():
    candles = candles_of([(100, 101, 99, 100), (103, 104, 102, 103)])
    signals = signals_of([(0, "long", 100), (1, "short", 103)])
    fills = entry_prices(candles, signals, SimulationSettings(entry_timing="next_open"))
    assert fills[0] == 103 and math.isnan(fills[1])
    asked = []

    def levels(price, side):
        asked.append((price, side))
        return (price * 1.02, None) if side == "long" else [None, "bad"]

    result = levels_from_function(levels, fills, signals.side)
    assert asked == [(103, "long")]
    assert result.tp[0] == pytest.approx(103 * 1.02) and np.isnan(result.sl[0])
    with pytest.raises(ValueError, match=r"expected \(tp, sl\)"):
        levels_from_function(lambda price, side: price, fills, signals.side)


def test_default_sizing_risks_two_percent_down_to_the_sl():
    size = risk_position_sizer()
    assert size(10_000, 100, 95, "long") == pytest.approx(40.0)
    assert size(10_000, 100, None, "short") == pytest.approx(2.0)
    assert size(10_000, 100, 100, "long") == pytest.approx(2.0)
