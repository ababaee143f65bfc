"""The service's choices: store, exchange or bundled, and saying so; fallbacks, gaps, resampling, streaming."""

import asyncio

import numpy as np
import pytest

from botmoon_marketdata.adapters.exchange import Exchanges
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.candles import Candles, Source
from botmoon_marketdata.domain.clock import ScaledClock
from botmoon_marketdata.domain.errors import (
    ExchangeRejected,
    ExchangeUnavailable,
    InvalidRequest,
    NotAvailable,
    TooLarge,
)
from botmoon_marketdata.domain.symbols import normalize
from botmoon_marketdata.service import CandlesQuery, MarketData

H = 3_600_000
T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
BTC = normalize("BTCUSDT_BINANCE")


def series(n, t0=T0, step=H, price=100.0) -> Candles:
    t = t0 + step * np.arange(n)
    p = price + np.arange(n, dtype=float)
    return Candles.from_columns(t, p, p + 1, p - 1, p, np.ones(n))


class FixedClock:
    def __init__(self, now_ms):
        self.now = now_ms

    def now_ms(self):
        return self.now

    async def sleep(self, seconds):
        await asyncio.sleep(0)


class FakePort:
    """An exchange port with a fixed history; `error` makes every call fail."""

    name = "binance"

    def __init__(self, history: Candles, step=H):
        self.history, self.step, self.calls, self.error = history, step, [], None

    async def fetch_closed(self, instrument, timeframe, start_ms, end_ms, now_ms, progress=None, max_rows=10**9):
        self.calls.append((instrument.symbol, timeframe, start_ms, end_ms))
        if self.error:
            raise self.error
        c = self.history.between(start_ms, end_ms)
        return c.take(c.open_time_ms + self.step <= now_ms)

    async def close(self):
        pass


@pytest.fixture
def make(tmp_path):
    def build(history=None, now=T0 + 100 * H + 1, **kw):
        port = FakePort(history if history is not None else series(100))
        service = MarketData(CandleStore(tmp_path / "s.sqlite"), Exchanges({"binance": port}, down_for_s=60),
                             clock=FixedClock(now), **kw)
        return service, port
    return build


def run(coro):
    return asyncio.run(coro)


def test_fetches_stores_then_answers_from_the_store(make):
    service, port = make()
    first = run(service.get_candles(CandlesQuery(BTC, "1h", limit=50)))
    assert first.source is Source.EXCHANGE and len(first.candles) == 50
    assert first.candles.last_ms == T0 + 99 * H and "50 candles fetched from binance" in first.source_detail
    second = run(service.get_candles(CandlesQuery(BTC, "1h", limit=50)))
    assert second.source is Source.STORE and len(port.calls) == 1
    assert np.array_equal(second.candles.close, first.candles.close)


def test_only_the_missing_tail_is_fetched(make):
    service, port = make()
    service.store.upsert(BTC, "1h", series(80), Source.BUNDLED)
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", start_ms=T0 + 10 * H, end_ms=T0 + 100 * H)))
    assert port.calls == [("BTC/USDT:USDT", "1h", T0 + 80 * H, T0 + 100 * H)]
    assert answer.source is Source.EXCHANGE and len(answer.candles) == 90 and answer.gaps == []
    assert "20 candles fetched" in answer.source_detail and "70 from the store" in answer.source_detail


def test_the_open_candle_is_never_served_or_stored(make):
    service, _ = make(now=T0 + 99 * H + 30 * 60_000)  # the 99th candle is half way through
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", limit=10)))
    assert answer.candles.last_ms == T0 + 98 * H
    assert service.store.read_range(BTC, "1h", 0, 2**62).candles.last_ms == T0 + 98 * H


def test_falls_back_to_bundled_when_the_exchange_is_down_and_says_so(make):
    service, port = make()
    service.store.upsert(BTC, "1h", series(60), Source.BUNDLED)
    port.error = ExchangeUnavailable("binance klines: failed 4 times; last error ExchangeNotAvailable")
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", limit=20)))
    assert answer.source is Source.BUNDLED and answer.candles.last_ms == T0 + 59 * H and len(answer.candles) == 20
    assert "binance could not be reached" in answer.source_detail and "answered from the store" in answer.source_detail
    # The exchange is remembered as down: the next request does not wait for it again.
    again = run(service.get_candles(CandlesQuery(BTC, "1h", limit=20)))
    assert len(port.calls) == 1 and "binance is down" in again.source_detail


def test_nothing_anywhere_is_an_error_that_says_what_exists(make):
    service, port = make()
    service.store.upsert(normalize("ETH/USDT"), "1h", series(5), Source.BUNDLED)
    port.error = ExchangeUnavailable("timeout")
    with pytest.raises(NotAvailable, match=r"no candles for BTC/USDT:USDT \(CRYPTO_FUTURE\) 1h on binance before "
                                           r"20.*only: ETH/USDT \(binance CRYPTO_SPOT\)"):
        run(service.get_candles(CandlesQuery(BTC, "1h", limit=20)))
    service.store.upsert(BTC, "1d", series(5, step=24 * H), Source.BUNDLED)
    with pytest.raises(NotAvailable, match=r"1d on binance with open times from 2025-01-31T00:00:00Z up to .*"
                                           r"the store has 1d 2025-01-01T00:00:00Z..2025-01-05T00:00:00Z"):
        run(service.get_candles(CandlesQuery(BTC, "1d", start_ms=T0 + 30 * 24 * H, store_only=True)))


def test_a_symbol_the_exchange_rejects_is_a_bad_request(make):
    service, port = make()
    port.error = ExchangeRejected("unknown symbol 'XYZ/USDT:USDT' on binance; markets with base XYZ: none")
    with pytest.raises(InvalidRequest, match="unknown symbol 'XYZ/USDT:USDT'"):
        run(service.get_candles(CandlesQuery(normalize("XYZUSDT"), "1h", limit=5)))


def test_store_only_never_calls_the_exchange(make):
    service, port = make()
    service.store.upsert(BTC, "1h", series(30), Source.BUNDLED)
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", limit=500, store_only=True)))
    assert port.calls == [] and len(answer.candles) == 30 and answer.source is Source.BUNDLED


def test_gaps_are_reported_not_filled(make):
    service, _ = make(history=series(100).take(np.r_[0:40, 45:100]))
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", start_ms=T0, end_ms=T0 + 100 * H)))
    assert len(answer.candles) == 95
    assert [(g.first_ms, g.missing) for g in answer.gaps] == [(T0 + 40 * H, 5)]


def test_resampled_from_a_lower_stored_timeframe_when_offline(make):
    service, port = make(exchange_access=False)
    service.store.upsert(BTC, "1h", series(100), Source.BUNDLED)
    answer = run(service.get_candles(CandlesQuery(BTC, "4h", limit=10)))
    assert port.calls == []
    assert answer.resampled_from == "1h" and answer.source is Source.BUNDLED and len(answer.candles) == 10
    assert answer.candles.last_ms == T0 + 96 * H  # hours 96..99: the last 4h bucket
    assert answer.candles.open[-1] == 196.0 and answer.candles.close[-1] == 199.0
    assert answer.candles.high[-1] == 200.0 and answer.candles.low[-1] == 195.0 and answer.candles.volume[-1] == 4
    assert "exchange access is off" in answer.source_detail and port.calls == []


def test_limits_and_ranges(make):
    service, _ = make(max_candles=1000, exchange_access=False)
    service.store.upsert(BTC, "1h", series(100), Source.BUNDLED)
    first5 = run(service.get_candles(CandlesQuery(BTC, "1h", limit=5, start_ms=T0 + 1)))
    assert first5.candles.first_ms == T0 + H and len(first5.candles) == 5
    with pytest.raises(TooLarge, match="limit 5000 is over the 1000"):
        run(service.get_candles(CandlesQuery(BTC, "1h", limit=5000)))
    with pytest.raises(InvalidRequest, match="must be after"):
        run(service.get_candles(CandlesQuery(BTC, "1h", start_ms=T0 + 5 * H, end_ms=T0)))
    with pytest.raises(InvalidRequest, match="unknown timeframe"):
        run(service.get_candles(CandlesQuery(BTC, "7m", limit=5)))


def test_list_symbols_names_timeframes_with_data(make):
    service, _ = make()
    service.store.upsert(BTC, "1h", series(10), Source.BUNDLED)
    service.store.upsert(normalize("ETH/USDT"), "5m", series(10, step=300_000), Source.EXCHANGE)
    listings = run(service.list_symbols())
    assert [x.instrument.symbol for x in listings] == ["BTC/USDT:USDT", "ETH/USDT"]
    assert listings[0].timeframes == ["1h", "2h", "4h", "6h", "8h", "12h", "1d"]
    assert listings[1].timeframes[:3] == ["5m", "15m", "30m"] and listings[1].series[0].source is Source.STORE
    assert run(service.list_symbols("okx")) == []


def test_stream_yields_each_newly_closed_candle_once(make, tmp_path):
    history = series(2000, step=60_000)
    port = FakePort(history, step=60_000)
    # A clock 600x fast: one 1m candle closes every 0.1 s.
    clock = ScaledClock(T0 + 10 * 60_000 + 30_000, speed=600)
    service = MarketData(CandleStore(tmp_path / "stream.sqlite"), Exchanges({"binance": port}), clock=clock,
                         stream_poll_s=1.0)

    async def take(n):
        got = []
        async for instrument, tf, answer in service.stream([(BTC, "1m")]):
            got.extend(answer.candles.open_time_ms.tolist())
            assert instrument == BTC and tf == "1m" and answer.source is Source.EXCHANGE
            if len(got) >= n:
                return got
    got = asyncio.run(asyncio.wait_for(take(5), 10))
    assert got == [T0 + i * 60_000 for i in range(10, 10 + len(got))]


def test_a_broken_series_from_the_exchange_is_not_kept(make):
    history = series(100)
    broken = Candles(history.open_time_ms, history.open, history.high, history.low, history.close,
                     np.where(np.arange(100) == 95, -1.0, history.volume))
    service, _ = make(history=broken)
    service.store.upsert(BTC, "1h", series(90), Source.BUNDLED)
    answer = run(service.get_candles(CandlesQuery(BTC, "1h", limit=20)))
    assert answer.source is Source.BUNDLED and answer.candles.last_ms == T0 + 89 * H
    assert "fail the checks" in answer.source_detail and "negative volume" in answer.source_detail
    assert service.store.read_range(BTC, "1h", 0, 2**62).candles.last_ms == T0 + 89 * H
