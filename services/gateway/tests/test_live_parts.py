"""Pure parts of live strategies: registration from the AST, the signal on a candle, payload timeframes."""

import pytest

from botmoon_gateway.live.freshness import check, duration
from botmoon_gateway.live.registry import NoStrategy, find_strategy, webhook_timeframe
from botmoon_gateway.live.signals import SignalFormatError, signal_on

TEMPLATE = '''
class EMAStrategy:
    def __init__(self, params):
        self.fast = params.get("ema_short", 9)
        self.slow = params.get('ema_long', 21)
        self.tp_pct = params.get("tp_pct", 2.0)
        self.mode = params.get("mode", "both")
        self.other = params.get("computed", 2 * 3)

    def generate_signals(self, data):
        return {"signals": []}
'''


TWO = "class A:\n    def generate_signals(self, d): pass\nclass B:\n    def generate_signals(self, d): pass\n"


def test_a_strategy_class_and_its_parameters():
    assert find_strategy(TEMPLATE) == ("EMAStrategy", {"ema_short": 9, "ema_long": 21, "tp_pct": 2.0,
                                                        "mode": "both"})
    assert find_strategy(TEMPLATE, "EMAStrategy")[0] == "EMAStrategy"


@pytest.mark.parametrize(("code", "why"), [("print('hello')\nresult = 42", "defines no class"),
                                           ("def generate_signals(data):\n    return []", "defines no class"),
                                           ("class (:", "does not parse")])
def test_not_strategies(code, why):
    with pytest.raises(NoStrategy, match=why) as caught:
        find_strategy(code)
    assert not caught.value.needs_choice


def test_two_strategy_classes_need_a_choice():
    with pytest.raises(NoStrategy, match=r"2 strategy classes \(A, B\): name one in strategy_class") as caught:
        find_strategy(TWO)
    assert caught.value.needs_choice
    assert find_strategy(TWO, "B") == ("B", {})
    with pytest.raises(NoStrategy, match=r"no class 'C'.*A, B"):
        find_strategy(TWO, "C")


def test_freshness_of_the_newest_closed_candle():
    opened = 1_700_000_000_000
    closed = opened + 300_000
    assert check("5m", opened, 2, at_ms=closed + 600_000).fresh
    late = check("5m", opened, 2, at_ms=closed + 600_001)
    assert not late.fresh and late.age_ms == 600_001 and late.max_age_ms == 600_000
    assert "closed 10m ago" in late.describe("BTC/USDT") and "within 10m" in late.describe("BTC/USDT")
    assert check("1h", opened, 0.5, at_ms=opened + 3_600_000 + 1_800_000).fresh
    assert [duration(ms) for ms in (0, 12_000, 570_000, 7_500_000, 55_310_000_000)] == \
        ["0s", "12s", "9m 30s", "2h 5m", "640d 3h"]


def test_webhook_timeframes():
    assert [webhook_timeframe(t) for t in ("1m", "15m", "1h", "4h", "1d", "1w")] == \
        ["1", "15", "60", "240", "1D", "1W"]


T = 1_700_000_000_000


@pytest.mark.parametrize(("raw", "expected"), [
    ({"signals": [{"time": T, "type": "long", "price": 100.0}]}, ("long", 100.0)),
    ([{"Timestamp": "2023-11-14T22:13:20+00:00", "Side": "SELL", "entry_price": 101}], ("short", 101.0)),
    ({"signals": [{"time": "2023-11-14 22:13:20", "type": "buy", "price": 99.5}]}, ("long", 99.5)),
    ({"signals": [{"time": T - 60_000, "type": "long", "price": 100.0}]}, None),
    ({"signals": [{"time": T, "type": "long", "price": 150.0}]}, None),
    ({"signals": [{"time": T, "type": "hold", "price": 100.0}]}, None),
    ({"signals": [{"time": T, "type": "long", "price": float("nan")}]}, None),
    ({"signals": []}, None),
])
def test_signal_on_the_newest_candle(raw, expected):
    assert signal_on(raw, T, 99.0, 102.0) == expected


@pytest.mark.parametrize("raw", [None, 3, {"entries": []}])
def test_unusable_returns(raw):
    with pytest.raises(SignalFormatError):
        signal_on(raw, T, 99.0, 102.0)
