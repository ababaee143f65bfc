"""Starts the sandbox service."""

import asyncio

from botmoon_common import log
from botmoon_sandbox.server import run
from botmoon_sandbox.settings import SandboxSettings


def main() -> None:
    settings = SandboxSettings()
    log.setup("sandbox", settings.log_level)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
