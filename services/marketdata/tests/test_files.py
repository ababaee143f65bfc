"""Candle files: Binance's kline dumps, freqtrade's JSON and feather, plain CSV, and what names tell."""

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from botmoon_marketdata.adapters import files

T0 = 1_735_689_600_000
ROWS = [[T0 + i * 60_000, 100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i, 1.5 * i] for i in range(5)]


def check(c):
    assert c.open_time_ms.tolist() == [r[0] for r in ROWS]
    assert c.close.tolist() == [r[4] for r in ROWS] and c.volume.tolist() == [r[5] for r in ROWS]


def binance_line(row, unit=1):
    t = row[0] * unit
    return f"{t},{row[1]},{row[2]},{row[3]},{row[4]},{row[5]},{t + 59_999 * unit},0,0,0,0,0"


def test_binance_dump_without_header(tmp_path):
    path = tmp_path / "BTCUSDT-1m-2025-01.csv"
    path.write_text("\n".join(binance_line(r) for r in ROWS))
    assert files.detect_format(path) == "binance-csv"
    check(files.read(path))
    assert files.hints(path) == files.FileHints("BTCUSDT", "1m")


def test_binance_dump_with_header_and_microseconds(tmp_path):
    path = tmp_path / "BTCUSDT-1m-2025-01-02.csv"
    header = ("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,"
              "taker_buy_quote_volume,ignore")
    path.write_text(header + "\n" + "\n".join(binance_line(r, 1000) for r in reversed(ROWS)))
    assert files.detect_format(path) == "binance-csv"
    check(files.read(path))


def test_freqtrade_json_and_its_names(tmp_path):
    path = tmp_path / "ETH_USDT_USDT-1m-futures.json"
    path.write_text(json.dumps(ROWS))
    check(files.read(path))
    assert files.hints(path) == files.FileHints("ETH/USDT:USDT", "1m", True)
    gz = tmp_path / "ETH_USDT-1m.json.gz"
    with gzip.open(gz, "wt") as f:
        json.dump(ROWS, f)
    check(files.read(gz))
    assert files.hints(gz) == files.FileHints("ETH/USDT", "1m", False)


def test_freqtrade_feather(tmp_path):
    frame = pd.DataFrame(ROWS, columns=["date", "open", "high", "low", "close", "volume"])
    frame["date"] = pd.to_datetime(frame["date"], unit="ms", utc=True)
    path = tmp_path / "SOL_USDT-1m.feather"
    frame.to_feather(path)
    check(files.read(path))


@pytest.mark.parametrize("times", ["ms", "s", "iso"])
def test_plain_csv(tmp_path, times):
    frame = pd.DataFrame(ROWS, columns=["Timestamp", "Open", "High", "Low", "Close", "Volume"])
    if times == "s":
        frame["Timestamp"] //= 1000
    elif times == "iso":
        frame["Timestamp"] = pd.to_datetime(frame["Timestamp"], unit="ms", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "candles.csv"
    frame.to_csv(path, index=False)
    assert files.detect_format(path) == "csv"
    check(files.read(path))


def test_plain_csv_without_the_columns_says_which(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("time,open,high,low\n1,2,3,1\n")
    with pytest.raises(ValueError, match=r"missing \['close', 'volume'\]"):
        files.read(path)


def test_the_bundled_naming():
    hint = files.hints(Path("binance-futures_SOLUSDT_5m.csv.gz"))
    assert hint == files.FileHints("SOLUSDT", "5m", True, "binance")
    assert np.dtype(files.read(Path(__file__).parents[1] / "botmoon_marketdata/bundled/binance-spot_BTCUSDT_1d.csv.gz",
                                "csv").open_time_ms.dtype) == np.int64
