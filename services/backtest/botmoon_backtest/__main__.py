"""Starts the backtest service."""

import asyncio

from botmoon_backtest.server import run
from botmoon_backtest.settings import BacktestSettings
from botmoon_common import log


def main() -> None:
    settings = BacktestSettings()
    log.setup("backtest", settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
