"""The backtest_config of the API, checked here too (the gateway is not the only client)."""

import datetime as dt

from botmoon_backtest.domain.model import SimulationSettings

TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d")
EXCHANGES = ("binance", "okx")
SYMBOL_TYPES = ("CRYPTO_FUTURE", "CRYPTO_SPOT")
DEFAULTS = {"exchange": "binance", "symbol": "BTC/USDT:USDT", "timeframe": "1h", "symbol_type": "CRYPTO_FUTURE",
            "initial_capital": 10000.0, "commission_rate": 0.0005, "limit": 500,
            "enabled_directions": ["long", "short"], "max_leverage": 10.0, "entry_timing": "signal_price",
            "opposite_signal": "reverse", "both_hit": "sl", "max_points": 2000, "check_lookahead": False}
SETTING_KEYS = ("initial_capital", "commission_rate", "symbol_type", "enabled_directions", "max_leverage",
                "entry_timing", "opposite_signal", "both_hit")


class ConfigError(ValueError):
    """A backtest_config value is not acceptable: `field: reason`."""


def parse_config(raw: dict, max_candles: int, **defaults) -> tuple[dict, SimulationSettings]:
    """The full config (`defaults`, then DEFAULTS filled in) and the simulation settings it implies."""
    unknown = set(raw) - set(DEFAULTS) - {"start", "end"}
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]}: unknown field (known: {', '.join(sorted(DEFAULTS))}, start, end)")
    config = {**DEFAULTS, **defaults, **raw}
    _one_of(config, "exchange", EXCHANGES)
    _one_of(config, "timeframe", TIMEFRAMES)
    _one_of(config, "symbol_type", SYMBOL_TYPES)
    if not isinstance(config["symbol"], str) or not config["symbol"]:
        raise ConfigError("symbol: must be a non-empty string")
    limit = config["limit"]
    if not isinstance(limit, int) or isinstance(limit, bool) or not 10 <= limit <= max_candles:
        raise ConfigError(f"limit: must be an integer from 10 to {max_candles}")
    for name in ("start", "end"):
        if config.get(name) is not None:
            config[name] = _epoch_ms(name, config[name])
    if config.get("start") and config.get("end") and config["end"] <= config["start"]:
        raise ConfigError("end: must be after start")
    directions = config["enabled_directions"]
    if not isinstance(directions, list) or not directions:
        raise ConfigError("enabled_directions: must be a non-empty list of 'long' / 'short'")
    for name in ("initial_capital", "commission_rate", "max_leverage"):
        if not isinstance(config[name], int | float) or isinstance(config[name], bool):
            raise ConfigError(f"{name}: must be a number")
    try:
        settings = SimulationSettings(**{k: config[k] for k in SETTING_KEYS if k != "enabled_directions"},
                                      enabled_directions=frozenset(str(d) for d in directions))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return config, settings


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
