"""Timeframes: their length, their grid in UTC, and which lower one a higher one resamples from."""

from botmoon_common.timeframes import MINUTE_MS, TIMEFRAMES
from botmoon_marketdata.domain.errors import InvalidRequest

__all__ = ["MINUTE_MS", "TIMEFRAMES", "floor", "last_closed_open", "lower_sources", "ms", "parse"]


def parse(timeframe: str) -> str:
    """The canonical name of `timeframe` ("1H" and "60m" are "1h"), or InvalidRequest naming what exists."""
    raw = (timeframe or "").strip()
    if raw in TIMEFRAMES:
        return raw
    lowered = raw.lower()
    if lowered in TIMEFRAMES:
        return lowered
    for name, ms in TIMEFRAMES.items():
        if lowered.endswith("m") and lowered[:-1].isdigit() and int(lowered[:-1]) * MINUTE_MS == ms:
            return name
    raise InvalidRequest(f"unknown timeframe '{timeframe}'; supported: {', '.join(TIMEFRAMES)}")


def ms(timeframe: str) -> int:
    return TIMEFRAMES[parse(timeframe)]


def floor(t_ms: int, timeframe: str) -> int:
    """The open time of the candle that contains `t_ms`."""
    step = ms(timeframe)
    return t_ms // step * step


def last_closed_open(now_ms: int, timeframe: str) -> int:
    """Open time of the newest candle that has closed at `now_ms`."""
    return floor(now_ms, timeframe) - ms(timeframe)


def lower_sources(timeframe: str) -> list[str]:
    """Lower timeframes that `timeframe` can be resampled from, the highest (fewest rows) first."""
    target = ms(timeframe)
    return sorted((name for name, step in TIMEFRAMES.items() if step < target and target % step == 0),
                  key=TIMEFRAMES.__getitem__, reverse=True)
