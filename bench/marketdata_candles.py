"""Market data: 500 candles from the store through gRPC (p50), and the largest bundled series, every row,
from the store into a pandas DataFrame in this (client) process."""

import tempfile
import time
from pathlib import Path

import grpc
import numpy as np
import pandas as pd

from bench.generated import GENERATED_START_MS, import_minute_candles
from bench.report import summary_ms, verdict, write_section
from botmoon.marketdata.v1 import marketdata_pb2 as pb
from botmoon.marketdata.v1 import marketdata_pb2_grpc
from botmoon_common.grpc_server import GRPC_OPTIONS
from botmoon_testing.processes import ServiceProcess, free_port, wait_grpc_serving

P50_TARGET_MS = 5.0
PER_500K_TARGET_MS = 300.0
HALF_MILLION = 500_000
GENERATED_SYMBOL = "BTC/USDT"


def to_frame(reply: pb.GetCandlesResponse) -> pd.DataFrame:
    c = reply.candles
    index = pd.DatetimeIndex(np.array(c.open_time_ms, dtype="datetime64[ms]"), tz="UTC", name="time")
    return pd.DataFrame({name: np.array(getattr(c, name)) for name in ("open", "high", "low", "close", "volume")},
                        index=index)


def measure(address: str, quick: bool = False) -> dict:
    with grpc.insecure_channel(address, options=GRPC_OPTIONS) as channel:
        stub = marketdata_pb2_grpc.MarketDataServiceStub(channel)
        small = pb.GetCandlesRequest(symbol="BTC/USDT:USDT", timeframe="1h", limit=500, store_only=True)
        for _ in range(50):
            stub.GetCandles(small)
        samples = []
        for _ in range(200 if quick else 2000):
            started = time.perf_counter()
            reply = stub.GetCandles(small)
            samples.append(time.perf_counter() - started)
            assert len(reply.candles.close) == 500
        largest = max((x for s in stub.ListSymbols(pb.ListSymbolsRequest()).symbols for x in s.series
                       if x.count < HALF_MILLION), key=lambda x: x.count)
        symbol = next(s for s in stub.ListSymbols(pb.ListSymbolsRequest()).symbols if largest in s.series)
        whole = pb.GetCandlesRequest(symbol=symbol.symbol, exchange=symbol.exchange, market_type=symbol.market_type,
                                     timeframe=largest.timeframe, start_ms=largest.first_open_ms,
                                     end_ms=largest.last_open_ms + 1, store_only=True)
        frames = _time_frames(stub, whole, largest.count, 3 if quick else 15)
        wire_bytes = stub.GetCandles(whole).ByteSize()
        generated = pb.GetCandlesRequest(symbol=GENERATED_SYMBOL, exchange="binance", market_type="MARKET_TYPE_CRYPTO_SPOT",
                                         timeframe="1m", start_ms=GENERATED_START_MS,
                                         end_ms=GENERATED_START_MS + HALF_MILLION * 60_000, store_only=True)
        half_million = _time_frames(stub, generated, HALF_MILLION, 3 if quick else 15)
        half_million_mb = stub.GetCandles(generated).ByteSize() / 2**20
    full = summary_ms(frames)
    return {"small": summary_ms(samples), "full": full, "rows": largest.count, "wire_mb": wire_bytes / 2**20,
            "series": f"{symbol.exchange} {symbol.symbol} {largest.timeframe}",
            "half_million": summary_ms(half_million), "half_million_mb": half_million_mb}


def _time_frames(stub, request: pb.GetCandlesRequest, rows: int, repeat: int) -> list[float]:
    """Round trip plus conversion into a DataFrame, `repeat` times; every reply must hold `rows` candles."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        frame = to_frame(stub.GetCandles(request))
        samples.append(time.perf_counter() - started)
        assert len(frame) == rows, (len(frame), rows)
    return samples


def run(quick: bool = False) -> dict:
    port = free_port()
    store = Path(tempfile.mkdtemp(prefix="bench-marketdata-")) / "marketdata.sqlite"
    import_minute_candles(store, HALF_MILLION, symbol=GENERATED_SYMBOL)
    service = ServiceProcess("botmoon_marketdata", {
        "MARKETDATA_PORT": str(port), "MARKETDATA_HOST": "127.0.0.1", "MARKETDATA_EXCHANGE_ACCESS": "false",
        "MARKETDATA_STORE_PATH": str(store), "MARKETDATA_LOG_LEVEL": "WARNING",
    }).start()
    try:
        wait_grpc_serving(f"127.0.0.1:{port}", service)
        result = measure(f"127.0.0.1:{port}", quick)
    finally:
        service.stop()
    small, full, half = result["small"], result["full"], result["half_million"]
    body = f"""
The service runs as its own process on loopback with its SQLite store on local disk (bundled candles loaded);
the client is the benchmark process (sync grpcio stub, one warm channel). Times are client round trips, so they
include the service time, the gRPC transport and decoding.

| what | n | p50 | p99 | target | |
|---|---|---|---|---|---|
| 500 candles (BTC/USDT:USDT 1h, `limit=500`, `store_only`) | {small['n']} | {small['p50']:.2f} ms | {small['p99']:.2f} ms | p50 ≤ {P50_TARGET_MS:g} ms | {verdict(small['p50'], P50_TARGET_MS)} |
| every row of the largest bundled series ({result['series']}, {result['rows']:,} candles, {result['wire_mb']:.1f} MiB on the wire) into a pandas DataFrame | {full['n']} | {full['p50']:.1f} ms | {full['p99']:.1f} ms | | |
| 500,000 generated 1m candles (imported into the store; {result['half_million_mb']:.1f} MiB on the wire) into a pandas DataFrame | {half['n']} | {half['p50']:.0f} ms | {half['p99']:.0f} ms | ≤ {PER_500K_TARGET_MS:g} ms | {verdict(half['p50'], PER_500K_TARGET_MS)} |
"""
    write_section("marketdata", "Market data: candles from the store through gRPC", body)
    print(f"marketdata: 500 candles p50 {small['p50']:.2f} ms; {result['rows']} candles into a DataFrame p50 "
          f"{full['p50']:.1f} ms; 500,000 candles p50 {half['p50']:.0f} ms")
    return result
