"""Alembic environment: uses the connection tensorgrade hands over, or ``sqlalchemy.url`` from the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from autograder.gradebook.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:
    # SQLite cannot ALTER most things in place: batch mode rebuilds tables for later revisions
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as conn:
            run_migrations(conn)
            conn.commit()
        engine.dispose()
