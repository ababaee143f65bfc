"""The bundled candles: which files ship, what each holds, and loading them into the store once."""

import hashlib
import logging
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from botmoon_marketdata.adapters import files
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain import symbols, timeframes
from botmoon_marketdata.domain.candles import Source
from botmoon_marketdata.domain.symbols import Instrument, MarketType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledFile:
    path: Path
    instrument: Instrument
    timeframe: str


def bundled_files(directory: Path | None = None) -> list[BundledFile]:
    """Every bundled file, read from the package (or `directory`)."""
    root = Path(directory) if directory else Path(str(resources.files("botmoon_marketdata.bundled")))
    found = []
    for path in sorted(root.glob("*.csv.gz")):
        hint = files.hints(path)
        if not (hint.symbol and hint.timeframe and hint.exchange):
            continue
        market = MarketType.FUTURE if hint.futures else MarketType.SPOT
        found.append(BundledFile(path, symbols.normalize(hint.symbol, hint.exchange, market),
                                 timeframes.parse(hint.timeframe)))
    return found


def load(store: CandleStore, only: list[BundledFile] | None = None) -> int:
    """Loads the bundled files the store has not loaded yet (or whose content changed); returns rows written."""
    written = 0
    for item in only if only is not None else bundled_files():
        digest = hashlib.sha256(item.path.read_bytes()).hexdigest()
        name = f"bundled/{item.path.name}"
        if store.imported(name) == digest:
            continue
        started = time.perf_counter()
        candles = files.read(item.path, "csv")
        store.upsert(item.instrument, item.timeframe, candles, Source.BUNDLED)
        store.mark_imported(name, digest, len(candles), int(time.time() * 1000))
        written += len(candles)
        log.info("bundled candles loaded", extra={"file": item.path.name, "rows": len(candles),
                                                  "ms": round((time.perf_counter() - started) * 1000)})
    return written
