"""The market data service over real gRPC on loopback: in-process with ccxt against the local exchange
server, and as the real process (`python -m botmoon_marketdata`) serving the bundled candles offline."""

import asyncio

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2 as pb
from botmoon.marketdata.v1 import marketdata_pb2_grpc
from botmoon_common.grpc_server import GRPC_OPTIONS
from botmoon_marketdata.adapters import bundled
from botmoon_marketdata.domain.candles import Candles, Source
from botmoon_marketdata.domain.clock import ScaledClock
from botmoon_marketdata.domain.symbols import normalize
from botmoon_marketdata.server import build
from botmoon_marketdata.servicer import candles_from_proto
from botmoon_marketdata.settings import MarketDataSettings
from botmoon_marketdata.testing import FakeExchange, ServerThread
from botmoon_testing.processes import ServiceProcess, free_port, wait_grpc_serving

H = 3_600_000
T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
NOW = T0 + 300 * H + 5 * 60_000
SPELLINGS = ["BTC/USDT:USDT", "BTCUSDT", "BTCUSDT_BINANCE"]


class Clock:
    def __init__(self, now):
        self.now = now

    def now_ms(self):
        return self.now

    async def sleep(self, seconds):
        await asyncio.sleep(seconds)


@pytest.fixture(scope="module")
def fake():
    server = FakeExchange.from_bundled(bases=("BTC", "SOL"), tfs=("1h", "5m")).start()
    yield server
    server.stop()


def settings(tmp_path, fake, **kw) -> MarketDataSettings:
    return MarketDataSettings(store_path=str(tmp_path / "store.sqlite"), binance_url=fake.url, okx_url=fake.url,
                              retry_attempts=2, retry_base_delay_s=0.01, retry_max_delay_s=0.02, **kw)


def serve(cfg: MarketDataSettings, clock, load=()):
    async def make():
        service = build(cfg, clock=clock)
        if load:
            wanted = [b for b in bundled.bundled_files() if (b.instrument.base, b.timeframe) in load]
            bundled.load(service.store, wanted)
        return service
    return ServerThread(make)


def stub(address):
    return marketdata_pb2_grpc.MarketDataServiceStub(grpc.insecure_channel(address, options=GRPC_OPTIONS))


def test_every_spelling_gets_the_same_candles_fetched_then_stored(tmp_path, fake):
    fake.requests.clear()
    with serve(settings(tmp_path, fake), Clock(NOW)) as server:
        client = stub(server.address)
        replies = [client.GetCandles(pb.GetCandlesRequest(symbol=s, timeframe="1h", limit=200)) for s in SPELLINGS]
        exchange, store = candles_pb2.CANDLE_SOURCE_EXCHANGE, candles_pb2.CANDLE_SOURCE_STORE
        assert [r.source for r in replies] == [exchange, store, store]
        assert {r.symbol for r in replies} == {"BTC/USDT:USDT"} and {r.exchange for r in replies} == {"binance"}
        assert all(r.market_type == candles_pb2.MARKET_TYPE_CRYPTO_FUTURE for r in replies)
        first = candles_from_proto(replies[0].candles)
        recorded = fake.series[("swap", "BTC", "1h")].between(T0 + 100 * H, T0 + 300 * H)
        assert np.array_equal(first.open_time_ms, recorded.open_time_ms)
        assert np.array_equal(first.close, recorded.close)
        assert (replies[0].first_open_ms, replies[0].last_open_ms) == (T0 + 100 * H, T0 + 299 * H)
        assert list(replies[0].gaps) == []
        for r in replies[1:]:
            assert r.candles == replies[0].candles
        okx = client.GetCandles(pb.GetCandlesRequest(symbol="SOL-USDT-SWAP", timeframe="5m", limit=120))
        assert okx.exchange == "okx" and okx.symbol == "SOL/USDT:USDT" and len(okx.candles.close) == 120
        assert okx.source == candles_pb2.CANDLE_SOURCE_EXCHANGE
    assert len(fake.kline_requests()) == 1 + 2  # binance once (then stored), okx in pages of 100


def test_down_exchange_falls_back_to_bundled_and_a_bad_symbol_is_invalid(tmp_path, fake):
    fake.down = True
    try:
        # Nine days after the last bundled candle: the newest 48 must come from the exchange, which is down.
        with serve(settings(tmp_path, fake), Clock(1_779_667_200_000), load={("SOL", "1h")}) as server:
            client = stub(server.address)
            reply = client.GetCandles(pb.GetCandlesRequest(exchange="binance", symbol="SOLUSDT",
                                                           market_type=candles_pb2.MARKET_TYPE_CRYPTO_SPOT,
                                                           timeframe="1h", limit=48))
            assert reply.source == candles_pb2.CANDLE_SOURCE_BUNDLED and len(reply.candles.close) == 48
            assert reply.last_open_ms == 1_778_950_800_000  # SOL spot's last bundled candle, 2026-05-16 17:00
            assert "binance could not be reached" in reply.source_detail
            with pytest.raises(grpc.RpcError) as missing:
                client.GetCandles(pb.GetCandlesRequest(symbol="ETHUSDT", timeframe="1h", limit=10))
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND
            assert "no candles for ETH/USDT:USDT" in missing.value.details() and "SOL/USDT" in missing.value.details()
    finally:
        fake.down = False
    with serve(settings(tmp_path, fake), Clock(NOW)) as server:
        with pytest.raises(grpc.RpcError) as bad:
            stub(server.address).GetCandles(pb.GetCandlesRequest(symbol="DOGEUSDT", timeframe="1h", limit=10))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "unknown symbol 'DOGE/USDT:USDT' on binance" in bad.value.details()
        with pytest.raises(grpc.RpcError) as tf:
            stub(server.address).GetCandles(pb.GetCandlesRequest(symbol="BTCUSDT", timeframe="7m"))
        assert tf.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "supported: 1m, 3m" in tf.value.details()


def test_stream_sends_each_newly_closed_candle(tmp_path, fake):
    clock = ScaledClock(T0 + 40 * 300_000 + 200_000, speed=1500)  # one 5m candle closes every 0.2 s
    with serve(settings(tmp_path, fake, stream_poll_s=5), clock) as server:
        request = pb.StreamCandlesRequest(series=[
            pb.StreamCandlesRequest.Series(symbol="BTCUSDT_BINANCE", timeframe="5m"),
            pb.StreamCandlesRequest.Series(symbol="SOL-USDT-SWAP", timeframe="5m"),
        ])
        stream = stub(server.address).StreamCandles(request, timeout=20)
        seen: dict[str, list[int]] = {}
        for update in stream:
            assert update.source == candles_pb2.CANDLE_SOURCE_EXCHANGE
            seen.setdefault(f"{update.exchange} {update.symbol}", []).extend(update.candles.open_time_ms)
            if min((len(v) for v in seen.values()), default=0) >= 3 and len(seen) == 2:
                stream.cancel()
                break
    assert set(seen) == {"binance BTC/USDT:USDT", "okx SOL/USDT:USDT"}
    for times in seen.values():
        assert times[0] == T0 + 40 * 300_000  # the first candle that closed after subscribing
        assert np.all(np.diff(times) == 300_000)  # each once, none skipped


def test_the_real_process_serves_bundled_candles_offline(tmp_path):
    port = free_port()
    process = ServiceProcess("botmoon_marketdata", {
        "MARKETDATA_PORT": str(port), "MARKETDATA_HOST": "127.0.0.1",
        "MARKETDATA_STORE_PATH": str(tmp_path / "store.sqlite"), "MARKETDATA_EXCHANGE_ACCESS": "false",
    }).start()
    try:
        wait_grpc_serving(f"127.0.0.1:{port}", process)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=GRPC_OPTIONS)
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="botmoon.marketdata.v1.MarketDataService"), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING

        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        (answer,) = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        assert "botmoon.marketdata.v1.MarketDataService" in {s.name for s in answer.list_services_response.service}

        client = marketdata_pb2_grpc.MarketDataServiceStub(channel)
        listed = client.ListSymbols(pb.ListSymbolsRequest())
        assert {s.base for s in listed.symbols} == {"BTC", "ETH", "SOL"}
        assert {s.symbol for s in listed.symbols} >= {"BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"}
        futures_btc = next(s for s in listed.symbols if s.symbol == "BTC/USDT:USDT")
        assert {"5m", "1h", "4h", "1d"} <= set(futures_btc.timeframes)
        assert all(x.source == candles_pb2.CANDLE_SOURCE_BUNDLED and x.count > 400 for x in futures_btc.series)

        reply = client.GetCandles(pb.GetCandlesRequest(symbol="ETH/USDT:USDT", timeframe="1h", limit=500))
        assert reply.source == candles_pb2.CANDLE_SOURCE_BUNDLED and len(reply.candles.close) == 500
        assert reply.last_open_ms == 1_771_520_400_000  # the last bundled candle, 2026-02-19 17:00
        assert "exchange access is off" in reply.source_detail
        everything = client.GetCandles(pb.GetCandlesRequest(
            symbol="BTC/USDT", timeframe="5m", start_ms=1_735_603_200_000, end_ms=1_771_538_400_000))
        assert len(everything.candles.open_time_ms) == 119_784 and list(everything.gaps) == []
        channel.close()
    finally:
        process.stop()
    assert process.proc.returncode == 0, process.logs()[-2000:]
    assert "bundled candles loaded" in process.logs()


def test_a_year_of_1m_candles_crosses_in_one_response(tmp_path, fake):
    """525,600 candles (synthetic, written to the store for this test) in one GetCandles message."""
    n = 525_600
    t = T0 + 60_000 * np.arange(n, dtype=np.int64)
    price = 50_000 + np.cumsum(np.random.default_rng(7).normal(0, 5, n))
    year = Candles.from_columns(t, price, price + 3, price - 3, price + 1, np.full(n, 0.5))
    with serve(settings(tmp_path, fake, exchange_access=False), Clock(T0 + (n + 60) * 60_000)) as server:
        server.service.store.upsert(normalize("BTC/USDT"), "1m", year, Source.EXCHANGE)
        reply = stub(server.address).GetCandles(pb.GetCandlesRequest(
            symbol="BTC/USDT", timeframe="1m", start_ms=T0, end_ms=T0 + n * 60_000), timeout=60)
    got = candles_from_proto(reply.candles)
    assert len(got) == n and np.array_equal(got.open_time_ms, t) and np.array_equal(got.close, year.close)
    assert reply.ByteSize() < 64 * 2**20 and list(reply.gaps) == []
