"""The download command: ccxt against the local exchange server, paged, stored, with a progress bar."""

import io

import numpy as np

from botmoon_marketdata import cli
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.candles import Source, gaps
from botmoon_marketdata.domain.symbols import normalize
from botmoon_marketdata.testing import FakeExchange

T0 = 1_735_689_600_000  # 2025-01-01


def test_download_pages_a_range_into_the_store_with_progress(tmp_path, monkeypatch, capsys):
    fake = FakeExchange.from_bundled(bases=("BTC",), tfs=("1h",)).start()
    try:
        monkeypatch.setenv("MARKETDATA_BINANCE_URL", fake.url)
        monkeypatch.setenv("MARKETDATA_RETRY_BASE_DELAY_S", "0.01")
        fake.fail_next(429)
        out = io.StringIO()
        code = cli.main(["--store", str(tmp_path / "s.sqlite"), "download", "--symbol", "BTCUSDT", "--type",
                         "CRYPTO_SPOT", "--timeframe", "1h", "--start", "2025-01-01", "--end", "2025-03-01"], out)
        assert code == 0, capsys.readouterr().err
    finally:
        fake.stop()
    assert "1416 candles of BTC/USDT CRYPTO_SPOT 1h from binance stored" in out.getvalue()
    err = capsys.readouterr().err
    assert "BTC/USDT 1h" in err and "100%" in err and "1416/1416" in err
    assert [r.status for r in fake.kline_requests()] == [429, 200, 200]
    store = CandleStore(tmp_path / "s.sqlite")
    got = store.read_range(normalize("BTC/USDT"), "1h", 0, 2**62)
    store.close()
    recorded = fake.series[("spot", "BTC", "1h")].between(T0, T0 + 1416 * 3_600_000)
    assert np.array_equal(got.candles.open_time_ms, recorded.open_time_ms)
    assert np.array_equal(got.candles.close, recorded.close)
    assert gaps(got.candles, "1h") == [] and got.fetched_count() == 1416 and got.source() is Source.STORE
