"""Starts the gateway."""

import logging
import os
import sys

import uvicorn
from pydantic import ValidationError

from botmoon_common import log
from botmoon_gateway.app import create_app
from botmoon_gateway.db import Database
from botmoon_gateway.migrate import SchemaOutOfDate
from botmoon_gateway.settings import GatewaySettings


def main() -> None:
    try:
        settings = GatewaySettings()
    except ValidationError as exc:
        log.setup("gateway", os.environ.get("GATEWAY_LOG_LEVEL", "INFO"))
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            logging.getLogger(__name__).critical("refusing to start: invalid setting",
                                                 extra={"field": field, "reason": error["msg"]})
        sys.exit(2)
    log.setup("gateway", settings.log_level)
    db = Database(settings.database_url)
    try:
        db.prepare(settings.database_migrate)
    except SchemaOutOfDate as exc:
        logging.getLogger(__name__).critical("refusing to start: database schema", extra={"reason": str(exc)})
        sys.exit(2)
    finally:
        db.dispose()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=None,
                access_log=False, timeout_graceful_shutdown=settings.shutdown_grace_s)


if __name__ == "__main__":
    main()
