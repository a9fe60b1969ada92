"""Alembic environment of clinic-hub. Run through ``clinic_hub.migrate`` (``clinic-hub migrate``),
which passes an open connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from clinic_hub.models import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line: build an engine from the ini URL
        from clinic_hub.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        assert url is not None, "alembic.ini names the database (sqlalchemy.url)"
        engine = make_engine(url)
        with engine.begin() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:
    # render_as_batch: SQLite can only ALTER a table by copying it; batch mode does that for us.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
