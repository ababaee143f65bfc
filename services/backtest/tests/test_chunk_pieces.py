"""The pieces RunChunk adds: the parameter names Validate reports, and the gaps of an item's window."""

import numpy as np
import pytest

from botmoon_backtest.adapters.marketdata import range_gaps
from botmoon_backtest.domain.interface import strategy_parameters
from botmoon_marketdata.domain.candles import Candles as StoredCandles
from botmoon_marketdata.domain.candles import gaps as marketdata_gaps

HOUR = 3_600_000


def strategy(init: str, body: str = "return []") -> str:
    return f"class S:\n{init}\n    def generate_signals(self, data):\n        {body}\n"


@pytest.mark.parametrize(("code", "names", "any_name"), [
    (strategy("    def __init__(self, params=None):\n        params = params or {}\n"
              "        self.a = params.get('fast', 9)\n        self.b = params['slow']\n"
              "        self.c = 'risk' in params and params.pop('risk')"), ["fast", "risk", "slow"], False),
    (strategy("    def __init__(self, params):\n        self.params = params",
              "return [] if self.params.get('off') else self.params['x']"), ["off", "x"], False),
    (strategy("", "return self.params.setdefault('k', 1)"), ["k"], False),
    (strategy("    def __init__(self, params, **extra):\n        self.a = params.get('a')"), ["a"], True),
    (strategy("    def __init__(self, params):\n        self.settings = dict(params)"), [], True),
    (strategy("    def __init__(self, params):\n        for k, v in params.items():\n            setattr(self, k, v)"),
     [], True),
    (strategy("    def __init__(self, params):\n        p = params\n        self.a = p['a']"), [], True),
    (strategy("    def __init__(self, params):\n        self.a = params.get(name)"), [], True),
    ("class S:\n    def generate_signals(self, data):\n        return [\n", [], True),
])
def test_the_parameters_a_strategy_reads(code, names, any_name):
    assert strategy_parameters(code) == (names, any_name)


@pytest.mark.parametrize(("times", "start", "end"), [
    ([10, 11, 12, 15, 16, 20], 8, 23),
    ([10, 11, 12], 10, 13),
    ([10, 13], 9, 14),
    ([5, 6, 7, 9], 5, 10),
])
def test_a_windows_gaps_are_market_datas(times, start, end):
    t = np.array(times, dtype=np.int64) * HOUR
    ones = np.ones(len(t))
    stored = StoredCandles(t, ones, ones, ones, ones, ones)
    theirs = [{"first": g.first_ms, "last": g.last_ms, "missing": g.missing}
              for g in marketdata_gaps(stored, "1h", start * HOUR, end * HOUR)]
    assert range_gaps(t, HOUR, start * HOUR, end * HOUR) == theirs
    assert sum(g["missing"] for g in theirs) == (end - start) - len(times)
