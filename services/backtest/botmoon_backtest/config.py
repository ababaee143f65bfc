"""The backtest_config of the API, checked here too (the gateway is not the only client).

Symbol, timeframe and symbol type are resolved by market data (one home for symbols): `symbol_type` is
None unless the request names it, and the series market data answers with decides it.
"""

import datetime as dt

from botmoon_backtest.domain.curve import MIN_POINTS
from botmoon_backtest.domain.model import SimulationSettings

EXCHANGES = ("binance", "okx")
SYMBOL_TYPES = ("CRYPTO_FUTURE", "CRYPTO_SPOT")
DEFAULTS = {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": None,
            "initial_capital": 10000.0, "commission_rate": 0.0005, "limit": 500,
            "enabled_directions": ["long", "short"], "max_leverage": 10.0, "entry_timing": "signal_price",
            "opposite_signal": "reverse", "both_hit": "sl", "max_points": 2000, "check_lookahead": False,
            "risk_free_rate": 0.0, "start": None, "end": None}
SETTING_KEYS = ("initial_capital", "commission_rate", "enabled_directions", "max_leverage", "entry_timing",
                "opposite_signal", "both_hit")


class ConfigError(ValueError):
    """A backtest_config value is not acceptable: `field: reason`."""


def parse_config(raw: dict, max_candles: int, **defaults) -> dict:
    """The full config: `raw` over `defaults` over DEFAULTS, every value checked. `start`/`end` become epoch ms;
    `limit` is None with a start unless it was given (then it caps the range's candles); with `end` alone it
    counts back from `end`."""
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]}: unknown field (known: {', '.join(sorted(DEFAULTS))})")
    config = {**DEFAULTS, **defaults, **raw}
    _one_of(config, "exchange", EXCHANGES)
    if config["symbol_type"] is not None:
        _one_of(config, "symbol_type", SYMBOL_TYPES)
    for name in ("symbol", "timeframe"):
        if not isinstance(config[name], str) or not config[name]:
            raise ConfigError(f"{name}: must be a non-empty string")
    for name in ("start", "end"):
        if config[name] is not None:
            config[name] = _epoch_ms(name, config[name])
    if config["start"] and config["end"] and config["end"] <= config["start"]:
        raise ConfigError("end: must be after start")
    if config["start"] and "limit" not in raw:
        config["limit"] = None
    if config["limit"] is not None:
        _integer(config, "limit", 10, max_candles)
    _integer(config, "max_points", MIN_POINTS, 1_000_000)
    rate = config["risk_free_rate"]
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not -1 < rate < 1:
        raise ConfigError("risk_free_rate: must be an annual fraction between -1 and 1 (0.04 is 4 %)")
    directions = config["enabled_directions"]
    if not isinstance(directions, list) or not directions:
        raise ConfigError("enabled_directions: must be a non-empty list of 'long' / 'short'")
    for name in ("initial_capital", "commission_rate", "max_leverage"):
        if not isinstance(config[name], int | float) or isinstance(config[name], bool):
            raise ConfigError(f"{name}: must be a number")
    simulation_settings(config)
    return config


def simulation_settings(config: dict) -> SimulationSettings:
    """The simulation's settings; `symbol_type` None (not resolved yet) checks the rest with the default."""
    chosen = {k: config[k] for k in SETTING_KEYS if k != "enabled_directions"}
    if config["symbol_type"] is not None:
        chosen["symbol_type"] = config["symbol_type"]
    try:
        return SimulationSettings(**chosen, enabled_directions=frozenset(str(d) for d in config["enabled_directions"]))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def _integer(config: dict, name: str, low: int, high: int) -> None:
    value = config[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{name}: must be an integer from {low} to {high}")


def _one_of(config: dict, name: str, allowed: tuple[str, ...]) -> None:
    if config[name] not in allowed:
        raise ConfigError(f"{name}: {config[name]!r} is not one of {', '.join(allowed)}")


def _epoch_ms(name: str, value) -> int:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"{name}: not an ISO time or epoch milliseconds") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


