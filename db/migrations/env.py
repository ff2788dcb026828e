"""Alembic environment: one script for SQLite and PostgreSQL."""

from alembic import context
from sqlmodel import SQLModel

import db.schema  # noqa: F401  (registers every table on SQLModel.metadata)
from db.engine import get_engine

config = context.config
target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with get_engine(config.get_main_option("sqlalchemy.url") or None).connect() as conn:
        _run(conn)
