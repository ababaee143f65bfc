"""Exchanges through ccxt: one wrapper, quirks as data, paging, and retries with backoff in one place."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

import ccxt.async_support as ccxt
import numpy as np

from botmoon_marketdata.domain import timeframes
from botmoon_marketdata.domain.candles import Candles
from botmoon_marketdata.domain.errors import ExchangeRejected, ExchangeUnavailable
from botmoon_marketdata.domain.symbols import Instrument

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Quirks:
    """What differs between exchanges, as data."""

    page_limit: int  # candles per kline request
    options: dict = field(default_factory=dict)  # ccxt options


QUIRKS = {
    # Binance: 1000 per spot request (1500 on futures); load only the spot and USDT-M markets.
    "binance": Quirks(1000, {"fetchMarkets": {"types": ["spot", "linear"]}}),
    # OKX: 300 per request on /market/candles, 100 on /market/history-candles (older than 1440 bars).
    "okx": Quirks(100, {"fetchMarkets": {"types": ["spot", "swap"]}}),
}


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0


class ExchangePort(Protocol):
    """Closed candles of one exchange. Raises ExchangeUnavailable (temporary) or ExchangeRejected."""

    name: str

    async def fetch_closed(self, instrument: Instrument, timeframe: str, start_ms: int, end_ms: int,
                           now_ms: int, progress: Progress | None = None, max_rows: int = 2_000_000) -> Candles: ...

    async def close(self) -> None: ...


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy, what: str) -> T:
    """Runs `call`, retrying network errors, rate limits and 5xx with exponential backoff and jitter."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await call()
        except ccxt.BadSymbol as exc:
            raise ExchangeRejected(f"{what}: the exchange does not know this symbol ({exc})") from exc
        except ccxt.NetworkError as exc:  # RateLimitExceeded, DDoSProtection, ExchangeNotAvailable, RequestTimeout
            if attempt == policy.attempts:
                raise ExchangeUnavailable(f"{what}: failed {attempt} times; last error {type(exc).__name__}: "
                                          f"{str(exc)[:200]}") from exc
            delay = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
            delay *= 1 + random.random() * 0.25  # noqa: S311 - jitter, not cryptography
            log.warning("exchange call failed; retrying", extra={
                "call": what, "attempt": attempt, "error": type(exc).__name__, "delay_s": round(delay, 2)})
            await asyncio.sleep(delay)
        except ccxt.ExchangeError as exc:
            raise ExchangeRejected(f"{what}: {type(exc).__name__}: {str(exc)[:300]}") from exc
    raise AssertionError("unreachable")


def _point_at(exchange: ccxt.Exchange, base_url: str) -> None:
    """Sends every API host of `exchange` to `base_url` (a local test server, or a proxy)."""
    target = urlsplit(base_url)

    def rewrite(value):
        if isinstance(value, dict):
            return {k: rewrite(v) for k, v in value.items()}
        if isinstance(value, str) and value.startswith("http"):
            parts = urlsplit(value.replace("{hostname}", "placeholder"))
            return parts._replace(scheme=target.scheme, netloc=target.netloc).geturl()
        return value

    exchange.urls["api"] = rewrite(exchange.urls["api"])


class CcxtExchange:
    """One ccxt exchange (async), created lazily, with its quirks and the retry policy."""

    def __init__(self, name: str, retry: RetryPolicy, timeout_s: float = 10.0, base_url: str | None = None):
        self.name = name
        self.quirks = QUIRKS[name]
        self.retry = retry
        self._timeout_ms = int(timeout_s * 1000)
        self._base_url = base_url
        self._client: ccxt.Exchange | None = None
        self._markets_lock = asyncio.Lock()

    def _exchange(self) -> ccxt.Exchange:
        if self._client is None:
            client = getattr(ccxt, self.name)({"enableRateLimit": True, "timeout": self._timeout_ms,
                                               "options": dict(self.quirks.options)})
            if self._base_url:
                _point_at(client, self._base_url)
            self._client = client
        return self._client

    async def _markets(self) -> dict:
        client = self._exchange()
        async with self._markets_lock:
            if not client.markets:
                await with_retries(client.load_markets, self.retry, f"{self.name} markets")
        return client.markets

    async def fetch_closed(self, instrument: Instrument, timeframe: str, start_ms: int, end_ms: int,
                           now_ms: int, progress: Progress | None = None, max_rows: int = 2_000_000) -> Candles:
        """Every closed candle with start_ms <= open time < end_ms (at most `max_rows`), paged with
        since/limit until complete."""
        markets = await self._markets()
        symbol = instrument.symbol
        if symbol not in markets:
            same_base = sorted(s for s, m in markets.items() if m.get("base") == instrument.base
                               and m.get("type") in ("spot", "swap"))[:20]
            raise ExchangeRejected(f"unknown symbol '{symbol}' on {self.name}; markets with base "
                                   f"{instrument.base}: {', '.join(same_base) or 'none'}")
        step = timeframes.ms(timeframe)
        end_ms = min(end_ms, timeframes.last_closed_open(now_ms, timeframe) + step)
        client = self._exchange()
        pages: list[Candles] = []
        total = 0
        cursor = -(-start_ms // step) * step
        while cursor < end_ms and total < max_rows:
            want = min(self.quirks.page_limit, (end_ms - cursor + step - 1) // step)
            since = cursor

            async def page(since=since, want=want):
                return await client.fetch_ohlcv(symbol, timeframe, since=since, limit=want)

            rows = await with_retries(page, self.retry, f"{self.name} {symbol} {timeframe} klines from {since}")
            if not rows:
                break
            batch = Candles.from_rows(rows)
            batch = batch.take(batch.open_time_ms >= cursor)
            if not len(batch):
                break
            pages.append(batch)
            total += len(batch)
            cursor = batch.last_ms + step
            if progress is not None:
                progress(len(batch))
        if not pages:
            return Candles.empty()
        joined = Candles(*(np.concatenate(cols) for cols in zip(*(p.columns() for p in pages), strict=True)))
        _, unique = np.unique(joined.open_time_ms, return_index=True)
        joined = joined.take(unique)
        closed = joined.open_time_ms + step <= now_ms
        return joined.take(closed & (joined.open_time_ms < end_ms))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


class Exchanges:
    """The exchanges the service talks to, with a short memory of which are down (no retry storm per request)."""

    def __init__(self, ports: dict[str, ExchangePort], down_for_s: float = 30.0, clock=time.monotonic):
        self.ports = ports
        self._down_for_s = down_for_s
        self._clock = clock
        self._down_until: dict[str, tuple[float, str]] = {}

    def down_reason(self, name: str) -> str | None:
        entry = self._down_until.get(name)
        if entry and entry[0] > self._clock():
            return entry[1]
        return None

    def mark_down(self, name: str, reason: str) -> None:
        self._down_until[name] = (self._clock() + self._down_for_s, reason)

    def mark_up(self, name: str) -> None:
        self._down_until.pop(name, None)

    async def close(self) -> None:
        for port in self.ports.values():
            await port.close()
