"""The second bundled set: five years of spot 1h with the exchange's halts as gaps, and 30 days of BTC 1m.

Served from the real bundled files through the service, store only (offline), with the gaps reported and
never filled; the files are the ones SOURCES.md describes (sha256, rows, first and last candle).
"""

import asyncio
import hashlib
import re
from datetime import UTC, datetime

import pytest

from botmoon_marketdata.adapters import bundled
from botmoon_marketdata.adapters.exchange import Exchanges
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain.candles import Source
from botmoon_marketdata.domain.symbols import MarketType, normalize
from botmoon_marketdata.service import CandlesQuery, MarketData

H = 3_600_000
SOURCES = bundled.bundled_files()[0].path.parent / "SOURCES.md"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


# The halts SOURCES.md lists: first missing open time and how many candles are missing.
HALTS = [("2021-02-11 04:00", 1), ("2021-03-06 02:00", 1), ("2021-04-20 02:00", 2), ("2021-04-25 05:00", 3),
         ("2021-08-13 02:00", 4), ("2021-09-29 07:00", 2), ("2023-03-24 13:00", 1)]


class Now:
    def __init__(self, now_ms):
        self.now = now_ms

    def now_ms(self):
        return self.now

    async def sleep(self, seconds):
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    store = CandleStore(tmp_path_factory.mktemp("since2021") / "s.sqlite")
    wanted = [b for b in bundled.bundled_files()
              if b.instrument.market_type is MarketType.SPOT and b.timeframe in ("1h", "1m")]
    bundled.load(store, wanted)
    return MarketData(store, Exchanges({}, down_for_s=60), clock=Now(ms("2026-06-01 00:00")))


def listed_sha256() -> dict[str, str]:
    """file name -> sha256, from the table rows of SOURCES.md."""
    found = {}
    for line in SOURCES.read_text().splitlines():
        if m := re.match(r"\| (binance-[\w-]+) \|.*\| `([0-9a-f]{64})` \|$", line):
            found[f"{m.group(1)}.csv.gz"] = m.group(2)
    return found


def test_the_files_are_the_ones_sources_md_lists():
    listed = listed_sha256()
    assert set(listed) == {"binance-spot-since2021_BTCUSDT_1h.csv.gz", "binance-spot-since2021_ETHUSDT_1h.csv.gz",
                           "binance-spot-since2021_SOLUSDT_1h.csv.gz", "binance-spot_BTCUSDT_1m.csv.gz"}
    for item in bundled.bundled_files():
        if item.path.name in listed:
            assert hashlib.sha256(item.path.read_bytes()).hexdigest() == listed.pop(item.path.name)
    assert listed == {}  # every listed file is bundled


def test_spot_1h_has_one_source_per_symbol():
    spot_1h = [b for b in bundled.bundled_files()
               if b.instrument.market_type is MarketType.SPOT and b.timeframe == "1h"]
    assert sorted(b.path.name for b in spot_1h) == [f"binance-spot-since2021_{s}USDT_1h.csv.gz"
                                                    for s in ("BTC", "ETH", "SOL")]


@pytest.mark.parametrize("symbol", ["BTC/USDT", "ETH/USDT", "SOL/USDT"])
def test_five_years_of_1h_are_served_offline_with_the_seven_halts_as_gaps(service, symbol):
    start, end = ms("2021-01-01 00:00"), ms("2026-05-16 18:00")
    answer = asyncio.run(service.get_candles(CandlesQuery(normalize(symbol), "1h", start_ms=start, end_ms=end,
                                                          store_only=True)))
    c = answer.candles
    assert answer.source is Source.BUNDLED
    assert (c.first_ms, c.last_ms) == (start, ms("2026-05-16 17:00"))
    assert len(c) == 47_068 == (end - start) // H - 14  # every hour but the 14 missing ones
    assert [(g.first_ms, g.missing) for g in answer.gaps] == [(ms(t), n) for t, n in HALTS]
    assert all(g.last_ms == g.first_ms + (g.missing - 1) * H for g in answer.gaps)
    # kept as they are: the flat zero-volume candle before the 2023-03-24 halt
    before = c.between(ms("2023-03-24 12:00"), ms("2023-03-24 13:00"))
    assert len(before) == 1 and before.volume[0] == 0 and before.high[0] == before.low[0] == before.close[0]


def test_a_window_between_halts_has_no_gaps(service):
    answer = asyncio.run(service.get_candles(CandlesQuery(normalize("BTC/USDT"), "1h", start_ms=ms("2024-01-01 00:00"),
                                                          end_ms=ms("2025-01-01 00:00"), store_only=True)))
    assert len(answer.candles) == 366 * 24 and answer.gaps == []


def test_30_days_of_btc_1m_are_served(service):
    start, end = ms("2026-03-23 12:09"), ms("2026-04-22 12:07")
    answer = asyncio.run(service.get_candles(CandlesQuery(normalize("BTC/USDT"), "1m", start_ms=start, end_ms=end,
                                                          store_only=True)))
    c = answer.candles
    assert answer.source is Source.BUNDLED and not answer.resampled_from
    assert len(c) == 43_198 == (end - start) // 60_000 and answer.gaps == []
    assert (c.first_ms, c.last_ms) == (start, ms("2026-04-22 12:06"))


def test_1m_resamples_to_the_1h_it_overlaps(service):
    """The 1m set aggregated to an hour equals the 1h set's candle for that hour (SOURCES.md's cross-check)."""
    btc = normalize("BTC/USDT")
    hour = ms("2026-04-01 10:00")
    minutes = asyncio.run(service.get_candles(CandlesQuery(btc, "1m", start_ms=hour, end_ms=hour + H,
                                                           store_only=True))).candles
    one = asyncio.run(service.get_candles(CandlesQuery(btc, "1h", start_ms=hour, end_ms=hour + H,
                                                       store_only=True))).candles
    assert len(minutes) == 60 and len(one) == 1
    assert [one.open[0], one.high[0], one.low[0], one.close[0]] == [
        minutes.open[0], minutes.high.max(), minutes.low.min(), minutes.close[-1]]
