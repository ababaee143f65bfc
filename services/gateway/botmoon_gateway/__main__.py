"""Starts the gateway."""

import uvicorn

from botmoon_common import log
from botmoon_gateway.app import create_app
from botmoon_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    log.setup("gateway", settings.log_level)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                access_log=False, timeout_graceful_shutdown=10)


if __name__ == "__main__":
    main()
