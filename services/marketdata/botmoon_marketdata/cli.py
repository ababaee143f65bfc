"""The candle command line, run as `botmoon candles` (the botmoon CLI in libs/botmoon-client) or
`python -m botmoon_marketdata.cli`: import candle files into the store, download ranges from an exchange, list.

    botmoon candles import FILE... [--symbol BTC/USDT:USDT] [--timeframe 1h] [--exchange binance] [--type ...]
    botmoon candles download --symbol BTCUSDT --timeframe 1h --start 2025-01-01 [--end 2025-02-01]
    botmoon candles list

The store is MARKETDATA_STORE_PATH (or --store); exchange settings come from the MARKETDATA_ variables.
"""

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

from tqdm import tqdm

from botmoon_marketdata.adapters import files
from botmoon_marketdata.adapters.exchange import CcxtExchange, RetryPolicy
from botmoon_marketdata.adapters.store import CandleStore
from botmoon_marketdata.domain import symbols, timeframes
from botmoon_marketdata.domain.candles import Source
from botmoon_marketdata.domain.errors import MarketDataError
from botmoon_marketdata.domain.symbols import MarketType
from botmoon_marketdata.settings import MarketDataSettings

SEGMENT = 50_000  # candles fetched, then written, at a time: an interrupted download keeps what it got


def _ms(text: str) -> int:
    if text.isdigit():
        return int(text)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp() * 1000)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botmoon candles", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="the SQLite store (default: MARKETDATA_STORE_PATH)")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import candle files (Binance kline CSV dumps, freqtrade JSON/feather, CSV)")
    imp.add_argument("files", nargs="+", type=Path)
    imp.add_argument("--format", default="auto", choices=files.FORMATS)
    for p in (imp,):
        p.add_argument("--symbol", help="any spelling; default: from the file name")
        p.add_argument("--timeframe", help="default: from the file name")
        p.add_argument("--exchange", help="binance or okx; default: from the file name, else binance")
        p.add_argument("--type", help="CRYPTO_SPOT or CRYPTO_FUTURE; default: from the symbol or file name")

    down = sub.add_parser("download", help="download a range from an exchange into the store")
    down.add_argument("--symbol", required=True)
    down.add_argument("--timeframe", required=True)
    down.add_argument("--exchange")
    down.add_argument("--type")
    down.add_argument("--start", required=True, help="ISO 8601 date/time (UTC) or epoch ms")
    down.add_argument("--end", help="ISO 8601 date/time (UTC) or epoch ms; default: now")
    down.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("list", help="list the stored series")
    return parser


def _import(args, store: CandleStore, out) -> int:
    total = 0
    for path in tqdm(args.files, desc="files", unit="file", file=sys.stderr, disable=len(args.files) < 2):
        hint = files.hints(path)
        symbol, timeframe = args.symbol or hint.symbol, args.timeframe or hint.timeframe
        if not symbol or not timeframe:
            raise MarketDataError(f"{path.name}: give --symbol and --timeframe (the file name does not say)")
        named = {True: MarketType.FUTURE, False: MarketType.SPOT}.get(hint.futures)
        market = args.type or named
        instrument = symbols.normalize(symbol, args.exchange or hint.exchange, market)
        tf = timeframes.parse(timeframe)
        candles = files.read(path, args.format)
        store.upsert(instrument, tf, candles, Source.STORE)
        total += len(candles)
        print(f"{path.name}: {len(candles)} candles of {instrument.symbol} {instrument.market_type.value} {tf} on "
              f"{instrument.exchange}, {_iso(candles.first_ms)} .. {_iso(candles.last_ms)}", file=out)
    return total


def tqdm_bar(total: int, desc: str, disable: bool):
    """The default progress bar of a download: anything with update(n) and close() will do."""
    return tqdm(total=total, unit="candle", desc=desc, file=sys.stderr, disable=disable)


async def _download(args, store: CandleStore, settings: MarketDataSettings, out, progress=tqdm_bar) -> int:
    instrument = symbols.normalize(args.symbol, args.exchange, args.type, default_exchange=settings.default_exchange)
    tf = timeframes.parse(args.timeframe)
    step = timeframes.ms(tf)
    now = int(time.time() * 1000)
    start = _ms(args.start)
    end = min(_ms(args.end) if args.end else now, timeframes.last_closed_open(now, tf) + step)
    retry = RetryPolicy(settings.retry_attempts, settings.retry_base_delay_s, settings.retry_max_delay_s)
    url = {"binance": settings.binance_url, "okx": settings.okx_url}[instrument.exchange]
    exchange = CcxtExchange(instrument.exchange, retry, settings.exchange_timeout_s, url)
    written = 0
    bar = progress(max(0, -(-(end - start) // step)), f"{instrument.symbol} {tf}", args.quiet)
    try:
        cursor = start
        while cursor < end:
            segment_end = min(end, cursor + SEGMENT * step)
            candles = await exchange.fetch_closed(instrument, tf, cursor, segment_end, now, progress=bar.update)
            if len(candles):
                await asyncio.to_thread(store.upsert, instrument, tf, candles, Source.EXCHANGE)
                written += len(candles)
            bar.update(max(0, (segment_end - cursor) // step - len(candles)))  # candles the exchange does not have
            cursor = segment_end
    finally:
        bar.close()
        await exchange.close()
    print(f"{written} candles of {instrument.symbol} {instrument.market_type.value} {tf} from {instrument.exchange} "
          f"stored ({_iso(start)} .. {_iso(end - step)} asked)", file=out)
    return written


def main(argv: list[str] | None = None, out=None, progress=tqdm_bar) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    settings = MarketDataSettings()
    store = CandleStore(args.store or settings.store_path)
    try:
        if args.command == "import":
            _import(args, store, out)
        elif args.command == "download":
            asyncio.run(_download(args, store, settings, out, progress))
        else:
            for s in store.summaries():
                print(f"{s.instrument.exchange:8} {s.instrument.market_type.value:13} {s.instrument.symbol:16} "
                      f"{s.timeframe:4} {s.count:>8} {_iso(s.first_ms)} .. {_iso(s.last_ms)}  {s.source.value}",
                      file=out)
    except (MarketDataError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
