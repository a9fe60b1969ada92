"""The hub's schema comes from its Alembic migrations, and they agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from clinic_hub import changes, migrate
from clinic_hub.db import make_engine
from clinic_hub.models import metadata


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models_and_go_down_and_up(fresh_db, backend):
    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
        first_epoch = changes.current_epoch(conn)
        assert changes.last_change_number(conn) == 0
    assert diff == []
    migrate.upgrade(engine)  # idempotent
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(connection=conn), "base")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert changes.current_epoch(conn) != first_epoch  # a rebuilt database is a new history
    engine.dispose()
