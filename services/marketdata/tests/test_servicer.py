"""Candles cross gRPC as packed columns, written from numpy without a per-value loop."""

import numpy as np

from botmoon.common.v1 import candles_pb2
from botmoon.marketdata.v1 import marketdata_pb2
from botmoon_marketdata.domain.candles import Candles
from botmoon_marketdata.servicer import candles_from_proto, candles_to_proto


def test_columns_round_trip_exactly():
    n = 100_000
    rng = np.random.default_rng(1)
    c = Candles(1_735_689_600_000 + 60_000 * np.arange(n, dtype=np.int64), *(rng.random(n) * 1e5 for _ in range(5)))
    response = marketdata_pb2.GetCandlesResponse(symbol="BTC/USDT")
    candles_to_proto(c, response.candles)
    wire = response.SerializeToString()
    assert len(wire) < n * 48 + 1000  # packed: 8 bytes a value, no per-value tags
    back = candles_from_proto(marketdata_pb2.GetCandlesResponse.FromString(wire).candles)
    for a, b in zip(back.columns(), c.columns(), strict=True):
        assert np.array_equal(a, b)


def test_the_bytes_are_what_protobuf_itself_writes():
    c = Candles.from_rows([[1_000, 1.5, 2.0, 1.0, 1.75, 0.0], [61_000, -0.0, 3.0, 0.5, 2.0, 7.25]])
    ours = candles_pb2.Candles()
    candles_to_proto(c, ours)
    theirs = candles_pb2.Candles(open_time_ms=[1_000, 61_000], open=[1.5, -0.0], high=[2.0, 3.0], low=[1.0, 0.5],
                                 close=[1.75, 2.0], volume=[0.0, 7.25])
    assert ours.SerializeToString() == theirs.SerializeToString()
    empty = candles_pb2.Candles()
    candles_to_proto(Candles.empty(), empty)
    assert empty.ByteSize() == 0
