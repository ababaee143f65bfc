"""backtest_config as the backtest service reads it: defaults, checks, and what the reply echoes."""

import pytest

from botmoon_backtest.config import ConfigError, parse_config, simulation_settings
from botmoon_backtest.domain.model import SymbolType


def test_symbol_type_is_left_to_the_symbol_unless_named():
    config = parse_config({"symbol": "BTC/USDT"}, 1000)
    assert config["symbol_type"] is None and config["limit"] == 500
    assert simulation_settings({**config, "symbol_type": "CRYPTO_SPOT"}).symbol_type is SymbolType.CRYPTO_SPOT
    assert parse_config({"symbol_type": "CRYPTO_SPOT"}, 1000)["symbol_type"] == "CRYPTO_SPOT"


def test_a_range_has_no_limit_unless_given():
    config = parse_config({"start": "2025-01-01T00:00:00Z", "end": "2025-02-01"}, 1000)
    assert config["limit"] is None and config["start"] == 1_735_689_600_000
    assert config["end"] == 1_738_368_000_000
    assert parse_config({"start": 1_735_689_600_000, "limit": 100}, 1000)["limit"] == 100
    assert parse_config({"end": "2025-02-01"}, 1000)["limit"] == 500  # the newest 500 before end


def test_documented_fields_are_taken():
    config = parse_config({"risk_free_rate": 0.04, "max_points": 8}, 1000, risk_free_rate=0.0)
    assert (config["risk_free_rate"], config["max_points"]) == (0.04, 8)
    assert parse_config({}, 1000, risk_free_rate=0.01)["risk_free_rate"] == 0.01


@pytest.mark.parametrize(("raw", "message"), [
    ({"symbols": "BTC/USDT"}, "symbols: unknown field"),
    ({"symbol_type": "FUTURES"}, "symbol_type: 'FUTURES' is not one of"),
    ({"max_points": 7}, "max_points: must be an integer from 8"),
    ({"risk_free_rate": 4}, "risk_free_rate: must be an annual fraction"),
    ({"limit": 5}, "limit: must be an integer from 10 to 1000"),
    ({"start": "2025-02-01", "end": "2025-01-01"}, "end: must be after start"),
    ({"start": "soon"}, "start: not an ISO time"),
    ({"commission_rate": 0.5}, "commission_rate"),
    ({"timeframe": ""}, "timeframe: must be a non-empty string"),
])
def test_bad_values_name_the_field(raw, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(raw, 1000)
