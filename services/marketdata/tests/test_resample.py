"""Resampling checked against pandas on the real bundled candles, and against Binance's own 4h and 1d."""

import numpy as np
import pandas as pd
import pytest

from botmoon_marketdata.adapters import bundled, files
from botmoon_marketdata.domain.candles import Candles, resample
from botmoon_marketdata.domain.symbols import MarketType


def real(base: str, market: MarketType, tf: str) -> Candles:
    (item,) = [b for b in bundled.bundled_files()
               if b.instrument.base == base and b.instrument.market_type is market and b.timeframe == tf]
    return files.read(item.path, "csv")


def pandas_resample(c: Candles, rule: str) -> pd.DataFrame:
    frame = pd.DataFrame({"open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume},
                         index=pd.to_datetime(c.open_time_ms, unit="ms", utc=True))
    agg = frame.resample(rule, origin="epoch", label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    full = frame["open"].resample(rule, origin="epoch", label="left", closed="left").count()
    return agg[full == full.max()]


def pandas_partial_buckets(c: Candles, rule: str) -> int:
    counts = pd.Series(1, index=pd.to_datetime(c.open_time_ms, unit="ms", utc=True)).resample(
        rule, origin="epoch", label="left", closed="left").count()
    return int(((counts > 0) & (counts < counts.max())).sum())


@pytest.mark.parametrize(("base", "market", "src", "dst", "rule"), [
    ("BTC", MarketType.SPOT, "1h", "4h", "4h"),
    ("ETH", MarketType.FUTURE, "1h", "1d", "24h"),
    ("SOL", MarketType.FUTURE, "5m", "15m", "15min"),
    ("BTC", MarketType.FUTURE, "5m", "2h", "2h"),
])
def test_matches_pandas_on_real_data(base, market, src, dst, rule):
    c = real(base, market, src)
    ours, dropped = resample(c, src, dst)
    theirs = pandas_resample(c, rule)
    partial = pandas_partial_buckets(c, rule)
    assert len(ours) == len(theirs) > 100
    assert ours.open_time_ms.tolist() == (theirs.index.as_unit("ms").asi8).tolist()
    for name in ("open", "high", "low", "close"):
        assert np.array_equal(getattr(ours, name), theirs[name].to_numpy()), name
    np.testing.assert_allclose(ours.volume, theirs["volume"].to_numpy(), rtol=1e-12)
    assert dropped == partial  # the partial first or last bucket, and those around the exchange's halts


def test_matches_binances_own_higher_timeframes():
    """The bundled 4h and 1d files are independent of the 1h one: resampling 1h must reproduce them."""
    for tf in ("4h", "1d"):
        ours, _ = resample(real("BTC", MarketType.SPOT, "1h"), "1h", tf)
        binance = real("BTC", MarketType.SPOT, tf)
        common, a, b = np.intersect1d(ours.open_time_ms, binance.open_time_ms, return_indices=True)
        assert len(common) > 400
        for name in ("open", "high", "low", "close"):
            assert np.array_equal(getattr(ours, name)[a], getattr(binance, name)[b]), (tf, name)
        # Volumes are printed with 8 significant digits in the files, so sums agree to that precision.
        np.testing.assert_allclose(ours.volume[a], binance.volume[b], rtol=1e-6)


def test_buckets_are_utc_grid_aligned_and_incomplete_ones_left_out():
    c = real("ETH", MarketType.SPOT, "1h").take(slice(0, 100))
    holed = c.take(np.flatnonzero(c.open_time_ms != c.open_time_ms[30]))
    out, dropped = resample(holed, "1h", "4h")
    assert np.all(out.open_time_ms % (4 * 3_600_000) == 0)
    bucket_of_hole = c.open_time_ms[30] // (4 * 3_600_000) * (4 * 3_600_000)
    assert bucket_of_hole not in out.open_time_ms
    full, _ = resample(c, "1h", "4h")
    assert len(out) == len(full) - 1 and dropped >= 1


def test_rejects_a_non_multiple():
    with pytest.raises(ValueError, match="not a multiple"):
        resample(Candles.empty(), "5m", "1m")
