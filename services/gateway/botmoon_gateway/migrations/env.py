"""Alembic's environment: runs the revisions on the connection `botmoon_gateway.migrate` hands over (its
transaction and lock), or on `sqlalchemy.url` when Alembic is driven from its own command line."""

from alembic import context
from sqlalchemy import create_engine

from botmoon_gateway import records  # noqa: F401 - the live tables belong to the metadata
from botmoon_gateway.db import Base


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own:
        run(own)
    engine.dispose()
