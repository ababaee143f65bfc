"""Starts the market data service."""

import asyncio

from botmoon_common import log
from botmoon_marketdata.server import run
from botmoon_marketdata.settings import MarketDataSettings


def main() -> None:
    settings = MarketDataSettings()
    log.setup("marketdata", settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
