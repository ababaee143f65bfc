"""Live strategies under test: a market data server whose clock the test moves candle by candle, over a local
exchange double serving the bundled candles moved into the present, and the signals the backtest's rules
expect of a strategy on those candles (what a live runner must have sent, no more and no fewer)."""

import asyncio
import time
from contextlib import contextmanager
from pathlib import Path

import grpc

from botmoon.marketdata.v1 import marketdata_pb2 as pb
from botmoon.marketdata.v1 import marketdata_pb2_grpc
from botmoon.sandbox.v1 import sandbox_pb2_grpc
from botmoon_backtest.domain.model import SIDE_NAMES, Candles
from botmoon_backtest.domain.signals import normalize_signals
from botmoon_common.strategy_session import StrategySession
from botmoon_marketdata.adapters import bundled
from botmoon_marketdata.domain.candles import Candles as SeriesCandles
from botmoon_marketdata.server import build
from botmoon_marketdata.settings import MarketDataSettings
from botmoon_marketdata.testing import FakeExchange, ServerThread

STEP = 300_000  # 5m
OLD = 1_740_000_000_000  # a 5m boundary inside the bundled candles


def shift_to_now() -> int:
    """How far the bundled candles move so that OLD is an hour ago."""
    return (time.time_ns() // 1_000_000 - 3_600_000 - OLD) // STEP * STEP


class SteppedClock:
    """Market data's clock: time moves only when the test says so."""

    def __init__(self, now_ms: int):
        self.now = now_ms

    def now_ms(self) -> int:
        return self.now

    def newest_closed(self) -> int:
        return self.now // STEP * STEP - STEP

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.05))


@contextmanager
def stepped_market(store_dir: Path, clock: SteppedClock, shift: int):
    """A market data server (its address: `.address`) on `clock`, with BTC and ETH 5m candles moved by `shift`."""
    fake = FakeExchange.from_bundled(bases=("BTC", "ETH"), tfs=("5m",))
    fake.series = {key: SeriesCandles(c.open_time_ms + shift, c.open, c.high, c.low, c.close, c.volume)
                   for key, c in fake.series.items()}
    fake.start()
    cfg = MarketDataSettings(store_path=str(store_dir / "store.sqlite"), binance_url=fake.url, okx_url=fake.url,
                             retry_attempts=2, retry_base_delay_s=0.01, retry_max_delay_s=0.02)

    async def make():
        service = build(cfg, clock=clock)
        bundled.load(service.store, [b for b in bundled.bundled_files() if b.instrument.base in ("BTC", "ETH")
                                     and b.timeframe == "5m"])
        return service
    try:
        with ServerThread(make) as server:
            yield server
    finally:
        fake.stop()


def expected_signals(code: str, sandbox_address: str, market_address: str, first_ms: int, last_ms: int,
                     symbols: list[str]) -> set:
    """(base+quote, candle ms, side, price) the backtest's signal rules make of `code` on the bars first..last."""
    async def run():
        out = set()
        async with grpc.aio.insecure_channel(market_address) as md, grpc.aio.insecure_channel(sandbox_address) as sb:
            session = StrategySession(sandbox_pb2_grpc.SandboxServiceStub(sb), 60)
            try:
                await session.load(code, {})
                for symbol in symbols:
                    reply = await marketdata_pb2_grpc.MarketDataServiceStub(md).GetCandles(pb.GetCandlesRequest(
                        symbol=symbol, timeframe="5m", start_ms=first_ms - 60 * STEP, end_ms=last_ms + STEP))
                    c = reply.candles
                    candles = Candles.from_arrays(c.open_time_ms, c.open, c.high, c.low, c.close)
                    await session.send_candles(list(c.open_time_ms), [list(c.open), list(c.high), list(c.low),
                                                                      list(c.close), list(c.volume)])
                    signals = normalize_signals(await session.signals(), candles).signals
                    base = reply.symbol.split(":")[0].replace("/", "")
                    for index, side, price in zip(signals.index, signals.side, signals.price, strict=True):
                        if first_ms <= candles.time[index] <= last_ms:
                            out.add((base, int(candles.time[index]), SIDE_NAMES[int(side)], float(price)))
            finally:
                await session.close()
        return out
    return asyncio.run(run())
