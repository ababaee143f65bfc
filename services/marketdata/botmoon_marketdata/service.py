"""What the service does: answers from the store, the exchange or the bundled data, and says which."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

from botmoon_common.timefmt import iso
from botmoon_marketdata.adapters import bundled
from botmoon_marketdata.adapters.exchange import Exchanges
from botmoon_marketdata.adapters.store import CandleStore, Stored
from botmoon_marketdata.domain import candles as cd
from botmoon_marketdata.domain import symbols, timeframes
from botmoon_marketdata.domain.candles import Candles, Gap, Source
from botmoon_marketdata.domain.clock import Clock, SystemClock
from botmoon_marketdata.domain.errors import (
    ExchangeRejected,
    ExchangeUnavailable,
    InvalidRequest,
    InvalidSeries,
    NotAvailable,
    TooLarge,
)
from botmoon_marketdata.domain.symbols import Instrument, MarketType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandlesQuery:
    instrument: Instrument
    timeframe: str
    limit: int = 0
    start_ms: int = 0
    end_ms: int = 0
    store_only: bool = False


@dataclass(frozen=True)
class CandlesAnswer:
    instrument: Instrument
    timeframe: str
    candles: Candles
    source: Source
    source_detail: str = ""
    gaps: list[Gap] = field(default_factory=list)
    resampled_from: str = ""


@dataclass(frozen=True)
class SeriesListing:
    timeframe: str
    first_ms: int
    last_ms: int
    count: int
    source: Source


@dataclass(frozen=True)
class SymbolListing:
    instrument: Instrument
    timeframes: list[str]
    series: list[SeriesListing]


class MarketData:
    def __init__(self, store: CandleStore, exchanges: Exchanges, *, clock: Clock | None = None,
                 exchange_access: bool = True, max_candles: int = 1_000_000, default_limit: int = 500,
                 default_exchange: str = "binance", stream_poll_s: float = 5.0):
        self.store = store
        self.exchanges = exchanges
        self.clock = clock or SystemClock()
        self.exchange_access = exchange_access
        self.max_candles = max_candles
        self.default_limit = default_limit
        self.default_exchange = default_exchange
        self.stream_poll_s = stream_poll_s

    async def load_bundled(self) -> int:
        return await asyncio.to_thread(bundled.load, self.store)

    def resolve(self, symbol: str, exchange: str | None = None, market: str | MarketType | None = None) -> Instrument:
        return symbols.normalize(symbol, exchange, market, default_exchange=self.default_exchange)

    # --- symbols ------------------------------------------------------------------------------------------

    async def list_symbols(self, exchange: str | None = None) -> list[SymbolListing]:
        wanted = symbols.exchange_name(exchange)
        grouped: dict[Instrument, list[SeriesListing]] = defaultdict(list)
        for s in await asyncio.to_thread(self.store.summaries):
            if wanted is None or s.instrument.exchange == wanted:
                grouped[s.instrument].append(SeriesListing(s.timeframe, s.first_ms, s.last_ms, s.count, s.source))
        listings = []
        for instrument in sorted(grouped, key=lambda i: (i.exchange, i.market_type is MarketType.SPOT, i.base)):
            stored = {s.timeframe for s in grouped[instrument]}
            available = [tf for tf in timeframes.TIMEFRAMES
                         if tf in stored or any(low in stored for low in timeframes.lower_sources(tf))]
            series = sorted(grouped[instrument], key=lambda s: timeframes.ms(s.timeframe))
            listings.append(SymbolListing(instrument, available, series))
        return listings

    # --- candles ------------------------------------------------------------------------------------------

    def _window(self, q: CandlesQuery, now_ms: int) -> tuple[int, int, int]:
        """(start, end, count): the open times asked for, end exclusive and never past the last closed candle."""
        step = timeframes.ms(q.timeframe)
        if q.limit < 0 or q.start_ms < 0 or q.end_ms < 0:
            raise InvalidRequest("limit, start_ms and end_ms must not be negative")
        if q.limit > self.max_candles:
            raise TooLarge(f"limit {q.limit} is over the {self.max_candles} candles one response carries")
        closed_end = timeframes.last_closed_open(now_ms, q.timeframe) + step
        end = min(q.end_ms, closed_end) if q.end_ms else closed_end
        end = -(-end // step) * step
        if q.start_ms:
            start = -(-q.start_ms // step) * step
            if q.end_ms and q.end_ms <= q.start_ms:
                raise InvalidRequest(f"end_ms ({q.end_ms}) must be after start_ms ({q.start_ms})")
            count = max(0, (end - start) // step)
            if q.limit and q.limit < count:
                count, end = q.limit, start + q.limit * step
        else:
            count = q.limit or self.default_limit
            start = end - count * step
        return start, end, count

    async def get_candles(self, q: CandlesQuery) -> CandlesAnswer:
        tf = timeframes.parse(q.timeframe)
        q = CandlesQuery(q.instrument, tf, q.limit, q.start_ms, q.end_ms, q.store_only)
        start, end, count = self._window(q, self.clock.now_ms())
        by_range = bool(q.start_ms)
        detail = self._exchange_blocker(q)
        if detail is not None:
            return self._checked(await self._from_store(q, start, end, count, by_range, detail))
        stored = await asyncio.to_thread(self.store.read_range, q.instrument, tf, start, end)
        if len(stored.candles) == count and count > 0:
            return self._checked(self._answer(q, stored, start, end, by_range))
        try:
            fetched = await self._fetch_and_store(q.instrument, tf, stored, start, end)
        except ExchangeUnavailable as exc:
            self.exchanges.mark_down(q.instrument.exchange, str(exc))
            detail = f"{q.instrument.exchange} could not be reached ({exc})"
        except InvalidSeries as exc:  # the exchange's candles broke a rule: none of them is kept
            self.exchanges.mark_down(q.instrument.exchange, f"it sent a broken series: {exc}")
            detail = f"{q.instrument.exchange} sent candles that fail the checks ({exc})"
        except ExchangeRejected as exc:
            raise InvalidRequest(str(exc)) from exc
        else:
            self.exchanges.mark_up(q.instrument.exchange)
            stored = await asyncio.to_thread(self.store.read_range, q.instrument, tf, start, end)
            if fetched:
                return self._checked(self._answer(
                    q, stored, start, end, by_range, Source.EXCHANGE,
                    f"{fetched} candles fetched from {q.instrument.exchange} now, "
                    f"{len(stored.candles) - fetched} from the store"))
            detail = f"{q.instrument.exchange} has no newer candles in the range"
        return self._checked(await self._from_store(q, start, end, count, by_range, detail))

    def _checked(self, answer: CandlesAnswer) -> CandlesAnswer:
        if len(answer.candles) > self.max_candles:
            raise TooLarge(f"the range holds {len(answer.candles)} candles; one response carries at most "
                           f"{self.max_candles}: split it")
        return answer

    def _exchange_blocker(self, q: CandlesQuery) -> str | None:
        """Why the exchange is not asked (None: ask it)."""
        if q.store_only:
            return "store_only was asked for"
        if not self.exchange_access:
            return "exchange access is off (MARKETDATA_EXCHANGE_ACCESS=false)"
        if q.instrument.exchange not in self.exchanges.ports:
            return f"no client for {q.instrument.exchange}"
        reason = self.exchanges.down_reason(q.instrument.exchange)
        if reason is not None:
            return f"{q.instrument.exchange} is down ({reason})"
        return None

    async def _fetch_and_store(self, instrument: Instrument, tf: str, stored: Stored, start: int, end: int) -> int:
        step = timeframes.ms(tf)
        have = stored.candles.open_time_ms
        # Fetch from the first missing candle on: what lies before it is complete already.
        on_time = have == start + step * np.arange(len(have), dtype=np.int64)
        first_missing = start + step * (len(have) if on_time.all() else int(np.argmin(on_time)))
        fresh = await self.exchanges.ports[instrument.exchange].fetch_closed(
            instrument, tf, first_missing, end, self.clock.now_ms(), max_rows=self.max_candles + 1)
        if not len(fresh):
            return 0
        await asyncio.to_thread(self.store.upsert, instrument, tf, fresh, Source.EXCHANGE)
        return len(fresh)

    async def _from_store(self, q: CandlesQuery, start: int, end: int, count: int, by_range: bool,
                          detail: str) -> CandlesAnswer:
        tf = q.timeframe
        if by_range:
            stored = await asyncio.to_thread(self.store.read_range, q.instrument, tf, start, end)
        else:
            stored = await asyncio.to_thread(self.store.read_last, q.instrument, tf, count, end)
        if len(stored.candles):
            return self._answer(q, stored, start, end, by_range, detail=f"{detail}; answered from the store")
        have = await asyncio.to_thread(self.store.timeframes_of, q.instrument)
        lower = [low for low in timeframes.lower_sources(tf) if low in have]
        if tf not in have and lower:
            answer = await self._resampled(q, lower[0], start, end, count, by_range, detail)
            if answer is not None:
                return answer
        window = f"with open times from {iso(start)} up to {iso(end)} (exclusive)" if by_range else \
            f"before {iso(end)}"
        raise NotAvailable(await asyncio.to_thread(self._what_exists, q, detail, window))

    async def _resampled(self, q, source_tf, start, end, count, by_range, detail) -> CandlesAnswer | None:
        tf = q.timeframe
        ratio = timeframes.ms(tf) // timeframes.ms(source_tf)
        if by_range:
            stored = await asyncio.to_thread(self.store.read_range, q.instrument, source_tf, start, end)
        else:
            stored = await asyncio.to_thread(self.store.read_last, q.instrument, source_tf, (count + 1) * ratio, end)
        out, _ = cd.resample(stored.candles, source_tf, tf)
        if not by_range:
            out = out.take(slice(max(0, len(out) - count), len(out)))
        if not len(out):
            return None
        source = stored.source()
        note = f"resampled from {source_tf}"
        return CandlesAnswer(q.instrument, tf, out, source, f"{detail}; answered from the store, {note}",
                             cd.gaps(out, tf, start, end) if by_range else cd.gaps(out, tf), source_tf)

    def _answer(self, q: CandlesQuery, stored: Stored, start: int, end: int, by_range: bool,
                source: Source | None = None, detail: str = "") -> CandlesAnswer:
        c = stored.candles
        found_gaps = cd.gaps(c, q.timeframe, start, end) if by_range else cd.gaps(c, q.timeframe)
        return CandlesAnswer(q.instrument, q.timeframe, c, source or stored.source(), detail, found_gaps)

    def _what_exists(self, q: CandlesQuery, detail: str, window: str) -> str:
        summaries = [s for s in self.store.summaries() if s.instrument == q.instrument]
        ask = f"no candles for {q.instrument.symbol} ({q.instrument.market_type.value}) {q.timeframe} on " \
              f"{q.instrument.exchange} {window}"
        if summaries:
            have = ", ".join(f"{s.timeframe} {iso(s.first_ms)}..{iso(s.last_ms)}" for s in
                             sorted(summaries, key=lambda s: timeframes.ms(s.timeframe)))
            return f"{ask} ({detail}); the store has {have}"
        others = sorted({f"{s.instrument.symbol} ({s.instrument.exchange} {s.instrument.market_type.value})"
                         for s in self.store.summaries()})
        return f"{ask} ({detail}); the store has no candles of this symbol, only: {', '.join(others) or 'nothing'}"

    # --- streaming ----------------------------------------------------------------------------------------

    async def stream(self, subscriptions: list[tuple[Instrument, str]],
                     ) -> AsyncIterator[tuple[Instrument, str, CandlesAnswer]]:
        """Yields each candle of the subscribed series as it closes, until the caller stops iterating."""
        if not subscriptions:
            raise InvalidRequest("subscribe to at least one series")
        subs = [(i, timeframes.parse(tf)) for i, tf in subscriptions]
        now = self.clock.now_ms()
        last_sent = {key: timeframes.last_closed_open(now, key[1]) for key in subs}
        while True:
            for key in subs:
                instrument, tf = key
                newest = timeframes.last_closed_open(self.clock.now_ms(), tf)
                if newest <= last_sent[key]:
                    continue
                step = timeframes.ms(tf)
                try:
                    answer = await self.get_candles(CandlesQuery(instrument, tf, start_ms=last_sent[key] + step,
                                                                 end_ms=newest + step))
                except NotAvailable as exc:
                    log.warning("no new candle yet", extra={"symbol": instrument.symbol, "reason": str(exc)[:200]})
                    continue
                fresh = answer.candles.take(answer.candles.open_time_ms > last_sent[key])
                if len(fresh):
                    last_sent[key] = fresh.last_ms
                    yield instrument, tf, CandlesAnswer(instrument, tf, fresh, answer.source, answer.source_detail)
            now = self.clock.now_ms()
            next_close = min(timeframes.last_closed_open(now, tf) + 2 * timeframes.ms(tf) for _, tf in subs)
            wait_s = min(self.stream_poll_s, max(0.0, (next_close - now) / 1000))
            await self.clock.sleep(wait_s + 0.05)
