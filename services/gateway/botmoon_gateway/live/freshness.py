"""When a candle is fresh enough to act on: it closed at most `GATEWAY_LIVE_MAX_CANDLE_AGE` timeframes ago.

Market data answers with the newest candle it has, which is old when the exchange cannot be reached (or
exchange access is off) and only stored or bundled candles are left: a live strategy never acts on those.
"""

import time
from dataclasses import asdict, dataclass

from botmoon_common.timefmt import iso
from botmoon_common.timeframes import TIMEFRAMES
from botmoon_gateway.live.registry import MINUTES


def timeframe_ms(timeframe: str) -> int:
    if timeframe in TIMEFRAMES:
        return TIMEFRAMES[timeframe]
    unit, count = timeframe[-1:], timeframe[:-1]
    if not count.isdigit() or unit not in MINUTES:
        raise ValueError(f"unknown timeframe {timeframe!r}")
    return int(count) * MINUTES[unit] * 60_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Check:
    """The newest closed candle of one series, as the runner saw it at `checked_ms` (epoch ms throughout)."""

    timeframe: str
    candle_ms: int
    checked_ms: int
    max_age_ms: int

    @property
    def closed_ms(self) -> int:
        return self.candle_ms + timeframe_ms(self.timeframe)

    @property
    def age_ms(self) -> int:
        return self.checked_ms - self.closed_ms

    @property
    def fresh(self) -> bool:
        return self.age_ms <= self.max_age_ms

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Check":
        return cls(str(data["timeframe"]), int(data["candle_ms"]), int(data["checked_ms"]), int(data["max_age_ms"]))

    def describe(self, symbol: str) -> str:
        """Why a stale candle is not acted on, for people."""
        return (f"{symbol} {self.timeframe}: the newest closed candle (opened {iso(self.candle_ms)}) closed "
                f"{duration(self.age_ms)} ago; a live strategy acts only on a candle that closed within "
                f"{duration(self.max_age_ms)} (GATEWAY_LIVE_MAX_CANDLE_AGE timeframes)")


def check(timeframe: str, candle_ms: int, max_age: float, at_ms: int | None = None) -> Check:
    """The check of a series' newest closed candle, `max_age` being a multiple of the timeframe."""
    return Check(timeframe, int(candle_ms), now_ms() if at_ms is None else at_ms,
                 int(max_age * timeframe_ms(timeframe)))


def duration(ms: int) -> str:
    """'640d 3h', '2h 5m', '9m 30s', '12s'."""
    seconds = max(0, ms // 1000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next((i for i, (value, _) in enumerate(parts) if value), len(parts) - 1)
    return " ".join(f"{value}{unit}" for value, unit in parts[first:first + 2] if value or first == len(parts) - 1)

