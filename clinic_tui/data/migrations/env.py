"""Alembic environment: always handed a connection by clinic_tui.data.migrate."""

from alembic import context
from sqlmodel import SQLModel

import clinic_tui.data.models  # noqa: F401  (registers the tables for autogenerate)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through clinic_tui.data.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
