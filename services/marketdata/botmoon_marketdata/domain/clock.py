"""Time as a port, so streaming can be tested on a fast clock."""

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ScaledClock:
    """Starts at `start_ms` and runs `speed` times faster than real time (tests, demos)."""

    def __init__(self, start_ms: int, speed: float):
        self._start_ms = start_ms
        self._speed = speed
        self._origin = time.monotonic()

    def now_ms(self) -> int:
        return self._start_ms + int((time.monotonic() - self._origin) * 1000 * self._speed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self._speed)
