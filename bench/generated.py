"""Generated 1m candles (a seeded random walk) imported into a market data store, for the benchmarks that
need more rows than the bundle has."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

GENERATED_START_MS = int(pd.Timestamp("2025-01-01", tz="UTC").timestamp() * 1000)


def write_minute_candles(path: Path, count: int, seed: int = 11) -> None:
    """`count` 1m candles from 2025-01-01 as plain CSV (timestamp in ms, OHLCV)."""
    rng = np.random.default_rng(seed)
    start = GENERATED_START_MS
    close = 90_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, count)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    spread = np.abs(rng.normal(0, 0.0005, count)) * close
    frame = pd.DataFrame({"timestamp": start + np.arange(count, dtype=np.int64) * 60_000,
                          "open": open_, "high": np.maximum(open_, close) + spread,
                          "low": np.minimum(open_, close) - spread, "close": close,
                          "volume": rng.uniform(1, 100, count)})
    frame.to_csv(path, index=False)


def import_minute_candles(store: Path, count: int, symbol: str = "BTC/USDT:USDT") -> None:
    """Generated candles into `store` through the market data CLI, as a user would import a CSV."""
    csv = store.with_suffix(".minutes.csv")
    write_minute_candles(csv, count)
    market_type = "CRYPTO_FUTURE" if ":" in symbol else "CRYPTO_SPOT"
    subprocess.run([sys.executable, "-m", "botmoon_marketdata.cli", "--store", str(store), "import", str(csv),
                    "--symbol", symbol, "--timeframe", "1m", "--exchange", "binance", "--type", market_type],
                   check=True, capture_output=True)
    csv.unlink()
