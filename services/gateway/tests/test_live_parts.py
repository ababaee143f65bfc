"""Pure parts of live strategies: registration from the AST, the signal on a candle, payload timeframes."""

import pytest

from botmoon_gateway.live.registry import strategy_class, webhook_timeframe
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


def test_a_strategy_class_and_its_parameters():
    assert strategy_class(TEMPLATE) == ("EMAStrategy", {"ema_short": 9, "ema_long": 21, "tp_pct": 2.0,
                                                         "mode": "both"})


@pytest.mark.parametrize("code", ["print('hello')\nresult = 42", "def generate_signals(data):\n    return []",
                                  "class A:\n    def generate_signals(self, d): pass\n"
                                  "class B:\n    def generate_signals(self, d): pass\n", "class (:"])
def test_not_strategies(code):
    assert strategy_class(code) is None


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
