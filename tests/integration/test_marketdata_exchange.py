"""ccxt itself against a local server answering Binance's and OKX's kline endpoints from recorded real candles."""

import asyncio

import numpy as np
import pytest

from botmoon_marketdata.adapters.exchange import CcxtExchange, Exchanges, RetryPolicy
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.candles import Source
from botmoon_marketdata.domain.errors import ExchangeRejected, ExchangeUnavailable
from botmoon_marketdata.domain.symbols import normalize
from botmoon_marketdata.service import CandlesQuery, MarketData
from botmoon_marketdata.testing import FakeExchange

H = 3_600_000
M5 = 300_000
T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC, inside every recorded series
LATER = 1_767_225_600_000  # 2026-01-01
FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture(scope="module")
def fake():
    server = FakeExchange.from_bundled(bases=("BTC", "ETH"), tfs=("1h", "5m")).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(fake):
    fake.requests.clear()
    fake.down = False
    fake._failures.clear()


def fetch(fake, exchange, symbol, tf, start, end, now=LATER, retry=FAST):
    async def go():
        client = CcxtExchange(exchange, retry, timeout_s=5, base_url=fake.url)
        try:
            return await client.fetch_closed(normalize(symbol, exchange), tf, start, end, now)
        finally:
            await client.close()
    return asyncio.run(go())


@pytest.mark.parametrize(("exchange", "symbol", "market", "base", "tf", "count", "page"), [
    ("binance", "BTC/USDT", "spot", "BTC", "1h", 2500, 1000),
    ("binance", "ETHUSDT_BINANCE", "swap", "ETH", "5m", 2200, 1000),
    ("okx", "BTC-USDT-SWAP", "swap", "BTC", "1h", 350, 100),
    ("okx", "ETH-USDT", "spot", "ETH", "5m", 250, 100),
])
def test_a_long_range_is_paged_with_no_duplicate_and_no_missing_candle(fake, exchange, symbol, market, base, tf,
                                                                       count, page):
    step = H if tf == "1h" else M5
    start, end = T0 + 7 * step, T0 + (7 + count) * step
    got = fetch(fake, exchange, symbol, tf, start, end)
    recorded = fake.series[(market, base, tf)].between(start, end)
    assert len(got) == count == len(recorded)
    assert np.array_equal(got.open_time_ms, recorded.open_time_ms)
    assert np.all(np.diff(got.open_time_ms) == step)
    for a, b in zip(got.columns()[1:], recorded.columns()[1:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    klines = fake.kline_requests()
    assert len(klines) == -(-count // page)


def test_the_still_open_candle_is_left_out(fake):
    now = T0 + 10 * H + 20 * 60_000  # 20 minutes into the candle of T0+10h
    got = fetch(fake, "binance", "BTC/USDT:USDT", "1h", T0, T0 + 50 * H, now=now)
    assert got.last_ms == T0 + 9 * H and len(got) == 10


def test_a_429_and_a_503_are_retried_then_succeed(fake):
    fake.fail_next(429, 503)
    got = fetch(fake, "binance", "BTC/USDT", "1h", T0, T0 + 24 * H)
    assert len(got) == 24
    assert [r.status for r in fake.kline_requests()] == [429, 503, 200]


def test_okx_rate_limit_is_retried(fake):
    fetch(fake, "okx", "BTC-USDT-SWAP", "1h", T0, T0 + H)  # markets loaded
    fake.requests.clear()
    fake.fail_next(429, 502)
    got = fetch(fake, "okx", "BTC-USDT-SWAP", "1h", T0, T0 + 24 * H)
    assert len(got) == 24
    assert [r.status for r in fake.requests if r.status != 200] == [429, 502]


def test_an_exchange_that_stays_down_gives_up_after_the_bounded_retries(fake):
    async def go():
        client = CcxtExchange("binance", FAST, timeout_s=5, base_url=fake.url)
        try:
            await client.fetch_closed(normalize("BTC/USDT"), "1h", T0, T0 + H, LATER)
            fake.down = True
            with pytest.raises(ExchangeUnavailable, match="failed 3 times; last error ExchangeNotAvailable"):
                await client.fetch_closed(normalize("BTC/USDT"), "1h", T0, T0 + 24 * H, LATER)
        finally:
            await client.close()

    asyncio.run(go())
    assert [r.status for r in fake.kline_requests()] == [200, 503, 503, 503]


def test_a_bad_symbol_is_a_clear_error(fake):
    with pytest.raises(ExchangeRejected, match=r"unknown symbol 'DOGE/USDT:USDT' on binance; markets with base DOGE: "
                                               r"none"):
        fetch(fake, "binance", "DOGEUSDT", "1h", T0, T0 + H)
    with pytest.raises(ExchangeRejected, match=r"unknown symbol 'BTC/EUR' on okx; markets with base BTC: "
                                               r"BTC/USDT, BTC/USDT:USDT"):
        fetch(fake, "okx", "BTC/EUR", "1h", T0, T0 + H)


class Clock:
    def __init__(self, now):
        self.now = now

    def now_ms(self):
        return self.now

    async def sleep(self, seconds):
        await asyncio.sleep(seconds)


def test_down_exchange_falls_back_to_the_store_with_the_right_source(fake, tmp_path):
    btc = normalize("BTC/USDT:USDT")
    clock = Clock(T0 + 200 * H)

    async def go():
        service = MarketData(
            CandleStore(tmp_path / "s.sqlite"),
            Exchanges({"binance": CcxtExchange("binance", FAST, 5, fake.url)}, down_for_s=60), clock=clock)
        try:
            fetched = await service.get_candles(CandlesQuery(btc, "1h", limit=100))
            assert fetched.source is Source.EXCHANGE and fetched.candles.last_ms == T0 + 199 * H
            fake.down = True
            clock.now += 10 * H  # ten newer candles are now wanted, and the exchange is down
            stale = await service.get_candles(CandlesQuery(btc, "1h", limit=100))
            assert stale.source is Source.STORE and stale.candles.last_ms == T0 + 199 * H
            assert "binance could not be reached" in stale.source_detail and "failed 3 times" in stale.source_detail
            assert np.array_equal(stale.candles.close, fetched.candles.close)
        finally:
            await service.exchanges.close()
            service.store.close()

    asyncio.run(go())
    assert sum(r.status == 503 for r in fake.requests) == 3
