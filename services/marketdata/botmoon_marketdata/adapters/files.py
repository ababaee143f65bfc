"""Reads candle files: Binance's public kline CSV dumps, freqtrade's JSON and feather, plain CSV."""

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from botmoon_marketdata.domain.candles import Candles

FORMATS = ("auto", "binance-csv", "freqtrade-json", "freqtrade-feather", "csv")
_TIME_NAMES = ("timestamp", "open_time", "time", "date", "datetime", "ts")


@dataclass(frozen=True)
class FileHints:
    """What a file's name says about its content (None where it says nothing)."""

    symbol: str | None = None
    timeframe: str | None = None
    futures: bool | None = None
    exchange: str | None = None


def hints(path: Path) -> FileHints:
    """Reads the naming schemes of the bundled files, freqtrade and Binance's dumps."""
    name = path.name
    for suffix in (".gz", ".csv", ".json", ".feather"):
        name = name.removesuffix(suffix)
    # binance-spot_BTCUSDT_1h, or with a data set's tag: binance-spot-since2021_BTCUSDT_1h
    if m := re.fullmatch(r"(binance|okx)-(spot|futures)(?:-[a-z0-9]+)?_([A-Z0-9]+)_(\w+)", name):
        return FileHints(m.group(3), m.group(4), m.group(2) == "futures", m.group(1))
    if m := re.fullmatch(r"([A-Z0-9]+)_([A-Z0-9]+)(_[A-Z0-9]+)?-(\w+?)(-futures|-mark|-funding_rate)?", name):
        futures = bool(m.group(3)) or m.group(5) == "-futures"
        return FileHints(f"{m.group(1)}/{m.group(2)}" + (f":{m.group(2)}" if futures else ""), m.group(4), futures)
    if m := re.fullmatch(r"([A-Z0-9]+)-(\d+[smhdwM])-\d{4}-\d{2}(-\d{2})?", name):
        return FileHints(m.group(1), m.group(2))
    return FileHints()


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".feather", ".arrow")):
        return "freqtrade-feather"
    if name.endswith((".json", ".json.gz")):
        return "freqtrade-json"
    with (gzip.open(path, "rt") if name.endswith(".gz") else path.open()) as f:
        first = f.readline()
    cells = [c.strip().lower() for c in first.split(",")]
    if cells and cells[0].replace(".", "", 1).isdigit() and len(cells) >= 11:
        return "binance-csv"
    if len(cells) >= 11 and cells[0] == "open_time" and "close_time" in cells:
        return "binance-csv"
    return "csv"


def _to_ms(values: pd.Series) -> np.ndarray:
    """Open times as UTC ms from ms, s or µs numbers, or date strings / datetimes."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values.dt.tz_convert("UTC") if values.dt.tz is not None else values.dt.tz_localize("UTC")
                ).astype("datetime64[ms, UTC]").astype("int64").to_numpy()
    if pd.api.types.is_numeric_dtype(values):
        t = values.to_numpy(dtype=np.int64)
        if len(t) and t.max() > 10**14:  # microseconds (Binance spot dumps since 2025)
            return t // 1000
        if len(t) and t.max() < 10**11:  # seconds
            return t * 1000
        return t
    parsed = pd.to_datetime(values, utc=True)
    return parsed.astype("datetime64[ms, UTC]").astype("int64").to_numpy()


def _frame_to_candles(frame: pd.DataFrame, time_column: str) -> Candles:
    frame = frame.sort_values(time_column, kind="stable")
    return Candles.from_columns(_to_ms(frame[time_column]), *(frame[c].to_numpy(np.float64)
                                                             for c in ("open", "high", "low", "close", "volume")))


def read(path: str | Path, fmt: str = "auto") -> Candles:
    """Candles of one file, ascending; validation is the store's job."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "binance-csv":
        names = ["open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
                 "taker_buy_volume", "taker_buy_quote_volume", "ignore"]
        frame = pd.read_csv(path, header=None, names=names, usecols=range(6))
        if not str(frame["open_time"].iloc[0]).isdigit():
            frame = frame.iloc[1:].astype({c: "float64" for c in names[1:6]}).astype({"open_time": "int64"})
        return _frame_to_candles(frame, "open_time")
    if fmt == "freqtrade-json":
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt") as f:
            rows = json.load(f)
        return Candles.from_rows(rows).take(np.argsort(np.asarray([r[0] for r in rows]), kind="stable"))
    if fmt == "freqtrade-feather":
        return _frame_to_candles(pd.read_feather(path), "date")
    if fmt == "csv":
        frame = pd.read_csv(path)
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        time_column = next((c for c in _TIME_NAMES if c in frame.columns), None)
        missing = [c for c in ("open", "high", "low", "close", "volume") if c not in frame.columns]
        if time_column is None or missing:
            raise ValueError(f"{path.name}: a plain CSV needs a time column ({', '.join(_TIME_NAMES)}) and "
                             f"open, high, low, close, volume; missing {missing or ['time']}")
        return _frame_to_candles(frame, time_column)
    raise ValueError(f"unknown format '{fmt}'; one of {', '.join(FORMATS)}")
