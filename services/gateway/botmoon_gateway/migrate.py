"""The gateway's schema, by Alembic revisions (botmoon_gateway/migrations): upgraded on start, or checked.

A database made by the first release (tables from `create_all`, no `alembic_version`) is stamped with the
baseline first. On PostgreSQL an advisory lock makes gateways starting together upgrade one after the other.

    python -m botmoon_gateway.migrate upgrade            # GATEWAY_DATABASE_URL to the newest revision
    python -m botmoon_gateway.migrate current            # the revision it is at
    python -m botmoon_gateway.migrate revision "what"    # a new revision: the models' changes since the newest
"""

import logging
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, text

log = logging.getLogger(__name__)

SCRIPTS = Path(__file__).parent / "migrations"
BASELINE = "0001"
LOCK_ID = 0x626F746D6F6F6E  # "botmoon": the advisory lock of schema changes on PostgreSQL


class SchemaOutOfDate(RuntimeError):
    """The database is not at the revision this gateway needs, and it may not (or cannot) upgrade it."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def prepare(engine: Engine, upgrade: bool) -> str:
    """Brings the schema to the newest revision (`upgrade`), or checks it is there; returns the revision."""
    target = head()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
        found = current(connection)
        if found == target:
            return target
        known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if found is not None and found not in known:
            raise SchemaOutOfDate(f"the database is at revision {found}, which this gateway does not know (a newer "
                                  f"gateway upgraded it; this one needs {target}): run the newer version")
        legacy = found is None and inspect(connection).has_table("algorithms")
        was = found or ("the first release's tables" if legacy else "empty")
        if not upgrade:
            raise SchemaOutOfDate(f"the database schema is at {was}, this gateway needs revision {target}, and "
                                  "GATEWAY_DATABASE_MIGRATE=false: back the database up, then start one gateway "
                                  "with GATEWAY_DATABASE_MIGRATE=true or run `python -m botmoon_gateway.migrate "
                                  "upgrade`")
        config = alembic_config()
        config.attributes["connection"] = connection
        if legacy:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
    log.info("database schema upgraded", extra={"from_revision": was, "to_revision": target})
    return target


def new_revision(message: str) -> None:
    """Writes the next revision with what the models have that the newest revision does not (to be reviewed)."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/head.db"
        engine = create_engine(url)
        prepare(engine, upgrade=True)
        engine.dispose()
        number = f"{int(head()) + 1:04d}"
        command.revision(alembic_config(url), message, autogenerate=True, rev_id=number)


def main(argv: list[str]) -> None:
    from botmoon_gateway.db import Database
    from botmoon_gateway.settings import GatewaySettings

    if argv[:1] == ["revision"] and len(argv) == 2:
        new_revision(argv[1])
        return
    if argv not in (["upgrade"], ["current"]):
        sys.exit(__doc__)
    db = Database(GatewaySettings().database_url)
    try:
        if argv == ["upgrade"]:
            print(prepare(db.engine, upgrade=True))
        else:
            with db.engine.connect() as connection:
                print(current(connection) or "none")
    finally:
        db.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(sys.argv[1:])
