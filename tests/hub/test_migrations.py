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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_desk_database_of_0003_upgrades_with_its_staff_and_logins(fresh_db, backend):
    """0004 adds staff.disabled_at, staff_login.last_sign_in_at and an audit index:
    the staff, logins and audit rows of a 0003 database come through, enabled, sign-in unknown."""
    import sqlalchemy as sa

    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO staff (id, name, role, created_at) VALUES ('s1', '王护士', 'desk', CURRENT_TIMESTAMP)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO staff_login (staff_id, login, password_hash, failed_count, password_set_at) "
                "VALUES ('s1', 'wang', '$argon2id$x', 0, CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        staff = conn.execute(sa.text("SELECT name, role, disabled_at FROM staff")).one()
        login = conn.execute(sa.text("SELECT login, last_sign_in_at FROM staff_login")).one()
    assert tuple(staff) == ("王护士", "desk", None) and tuple(login) == ("wang", None)
    engine.dispose()
