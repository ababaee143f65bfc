"""Normalising what generate_signals returned: every accepted form, every reason to drop a signal."""

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from botmoon_backtest.domain import SignalFormatError, normalize_signals
from botmoon_backtest.testing import HOUR, T0, candles_of

CANDLES = candles_of([(100, 110, 90, 105), (105, 115, 95, 100), (100, 120, 99, 119)])


def normalized(raw):
    result = normalize_signals(raw, CANDLES)
    return list(zip(result.signals.index.tolist(), result.signals.side.tolist(), result.signals.price.tolist(),
                    strict=True)), result


@pytest.mark.parametrize("time", [
    T0 + HOUR,
    float(T0 + HOUR),
    str(T0 + HOUR),
    "2024-01-01T01:00:00Z",
    "2024-01-01T01:00:00+00:00",
    "2024-01-01T02:00:00+01:00",
    "2024-01-01 01:00:00",
    "2024-01-01T01:00:00.000Z",
    datetime(2024, 1, 1, 1, tzinfo=UTC),
    datetime(2024, 1, 1, 1),
    datetime(2023, 12, 31, 20, tzinfo=timezone(timedelta(hours=-5))),
    pd.Timestamp("2024-01-01 01:00"),
    pd.Timestamp("2024-01-01 01:00", tz="UTC"),
    pd.Timestamp("2024-01-01 10:00", tz="Asia/Tokyo"),
    np.datetime64("2024-01-01T01:00"),
])
def test_time_is_accepted_in_every_documented_form(time):
    rows, result = normalized({"signals": [{"time": time, "type": "long", "price": 100}]})
    assert rows == [(1, 1, 100.0)]
    assert result.warnings == []


@pytest.mark.parametrize(("kind", "side"), [("long", 1), ("LONG", 1), ("Buy", 1), (" sell ", -1), ("Short", -1)])
def test_type_is_any_case_of_long_short_buy_sell(kind, side):
    rows, _ = normalized([{"time": T0, "type": kind, "price": 100}])
    assert rows == [(0, side, 100.0)]


def test_a_bare_list_keys_in_any_case_and_aliases_are_accepted():
    rows, _ = normalized([{"Time": T0, "SIDE": "buy", "Price": 101}, {"timestamp": T0 + HOUR, "type": "sell",
                                                                      "entry_price": 99}])
    assert rows == [(0, 1, 101.0), (1, -1, 99.0)]


def test_output_is_sorted_by_candle_keeping_the_order_within_a_candle():
    raw = [{"time": T0 + 2 * HOUR, "type": "long", "price": 110},
           {"time": T0, "type": "short", "price": 100},
           {"time": T0, "type": "long", "price": 101}]
    rows, _ = normalized(raw)
    assert rows == [(0, -1, 100.0), (0, 1, 101.0), (2, 1, 110.0)]


def test_malformed_signals_are_dropped_with_a_warning_naming_each():
    raw = [
        {"time": T0, "type": "long", "price": 100},
        {"time": T0 + 30 * 60_000, "type": "long", "price": 100},
        {"time": T0, "type": "long", "price": 111},
        {"time": T0, "type": "hold", "price": 100},
        {"time": T0, "type": "long", "price": None},
        {"time": T0, "type": "long", "price": float("nan")},
        {"type": "long", "price": 100},
        "long at the open",
        {"time": "yesterday-ish", "type": "long", "price": 100},
    ]
    rows, result = normalized(raw)
    assert rows == [(0, 1, 100.0)]
    assert result.dropped == 8
    (warning,) = result.warnings
    assert warning.startswith("8 of 9 signal(s) dropped: ")
    for expected in ["signal #1 ", "2024-01-01T00:30:00Z is not a candle of the data",
                     "signal #2 ", "price 111 outside the candle's low-high [90, 110]",
                     "signal #3 ", "unknown type 'hold'",
                     "signal #4 ", "signal #5 ", "price missing or not a number",
                     "signal #6 ", "no time", "signal #7 ", "not an object but str",
                     "signal #8 ", "time 'yesterday-ish' is not a timestamp"]:
        assert expected in warning


def test_epoch_seconds_get_a_hint():
    _, result = normalized([{"time": T0 // 1000, "type": "long", "price": 100}])
    assert "(epoch seconds? times are epoch milliseconds)" in result.warnings[0]


def test_a_price_off_by_float_noise_is_clamped_to_the_candle():
    rows, result = normalized([{"time": T0, "type": "long", "price": 110 * (1 + 1e-12)}])
    assert rows == [(0, 1, 110.0)] and result.warnings == []


def test_many_problems_are_summarised():
    _, result = normalized([{"time": T0, "type": "hold", "price": 100}] * 25)
    assert result.warnings[0].endswith("; and 5 more")
    assert result.warnings[0].count("signal #") == 20


@pytest.mark.parametrize("raw", [None, "signals", 42, {"orders": []}])
def test_unusable_return_values_raise_a_format_error(raw):
    with pytest.raises(SignalFormatError, match="generate_signals returned"):
        normalize_signals(raw, CANDLES)


def test_an_empty_list_is_no_signals():
    rows, result = normalized({"signals": []})
    assert rows == [] and result.warnings == []
