"""Series checks (one test per rule), gaps, upsert merging, timeframes."""

import numpy as np
import pytest

from botmoon_marketdata.domain import timeframes
from botmoon_marketdata.domain.candles import Candles, gaps, merge, problems, validate
from botmoon_marketdata.domain.errors import InvalidRequest, InvalidSeries

H = 3_600_000
T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def series(n=5, t0=T0, step=H) -> Candles:
    t = t0 + step * np.arange(n)
    close = 100 + np.arange(n, dtype=float)
    return Candles.from_columns(t, close - 0.5, close + 1, close - 1, close, np.full(n, 2.0))


def broken(**changes) -> Candles:
    c = series()
    cols = {name: col.copy() for name, col in zip(("open_time_ms", "open", "high", "low", "close", "volume"),
                                                   c.columns(), strict=True)}
    for name, (row, value) in changes.items():
        cols[name][row] = value
    return Candles.from_columns(*cols.values())


def test_a_good_series_passes():
    assert problems(series(), "1h") == []
    assert validate(series(), "1h") is not None


@pytest.mark.parametrize(("change", "rule"), [
    ({"open_time_ms": (2, T0 + 2 * H + 60_000)}, "off the 1h grid"),
    ({"open_time_ms": (2, T0 + H)}, "not increasing"),
    ({"open_time_ms": (2, T0)}, "not increasing"),
    ({"high": (1, 100.9)}, "high below max(open, close)"),
    ({"low": (3, 103.0)}, "low above min(open, close)"),
    ({"volume": (4, -0.1)}, "negative volume"),
    ({"close": (0, float("nan"))}, "close not a finite number"),
    ({"low": (0, 0.0)}, "non-positive price"),
])
def test_each_rule_catches_its_break(change, rule):
    found = problems(broken(**change), "1h")
    assert any(rule in line for line in found), found
    with pytest.raises(InvalidSeries, match=rule.split("(")[0].strip()):
        validate(broken(**change), "1h")


def test_problems_name_the_rows():
    (line,) = problems(broken(volume=(4, -1.0)), "1h")
    assert f"row 4 (t={T0 + 4 * H})" in line and "1 rows" in line


def test_gaps_inside_and_at_the_edges():
    c = series(10).take(np.array([0, 1, 2, 5, 6, 9]))
    assert [(g.first_ms, g.last_ms, g.missing) for g in gaps(c, "1h")] == [
        (T0 + 3 * H, T0 + 4 * H, 2), (T0 + 7 * H, T0 + 8 * H, 2)]
    edges = gaps(c, "1h", T0 - 2 * H, T0 + 12 * H)
    assert (edges[0].first_ms, edges[0].missing) == (T0 - 2 * H, 2)
    assert (edges[-1].first_ms, edges[-1].last_ms, edges[-1].missing) == (T0 + 10 * H, T0 + 11 * H, 2)
    assert gaps(series(), "1h", T0, T0 + 5 * H) == []
    (whole,) = gaps(Candles.empty(), "1h", T0, T0 + 3 * H)
    assert whole.missing == 3


def test_merge_is_an_upsert_by_open_time():
    old = series(5)
    new = series(3, t0=T0 + 3 * H)
    new = Candles(new.open_time_ms, new.open, new.high + 50, new.low, new.close, new.volume * 10)
    merged = merge(old, new)
    assert merged.open_time_ms.tolist() == (T0 + H * np.arange(6)).tolist()
    assert merged.volume.tolist() == [2, 2, 2, 20, 20, 20]
    assert merged.high[:3].tolist() == old.high[:3].tolist()


def test_timeframes():
    assert timeframes.parse("1H") == "1h" and timeframes.parse("60m") == "1h" and timeframes.parse("240m") == "4h"
    assert timeframes.ms("4h") == 4 * H
    assert timeframes.floor(T0 + 5 * H + 1, "4h") == T0 + 4 * H
    assert timeframes.last_closed_open(T0 + H + 1, "1h") == T0
    assert timeframes.last_closed_open(T0 + H, "1h") == T0  # the candle of T0 closed exactly now
    assert timeframes.lower_sources("4h")[:3] == ["2h", "1h", "30m"]
    with pytest.raises(InvalidRequest, match="unknown timeframe '7m'; supported: 1m, 3m, 5m"):
        timeframes.parse("7m")
