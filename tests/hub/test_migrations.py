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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_records_of_0010_get_their_reconcile_terms(fresh_db, backend):
    """0011 keeps each clinic record's term of the reconcile hash: the records stored before it
    get theirs, so a clinic's numbers after the upgrade are the sum and equal the full hash."""
    import uuid

    import sqlalchemy as sa

    from clinic_hub.record_store import clinic_numbers, hash_terms
    from clinic_tui.sync.wire_rules import record_set_hash

    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine, "0010")
    rows = [(str(uuid.uuid4()), "visit" if n % 3 else "resident", 1 + n % 4) for n in range(12)]
    with engine.begin() as conn:
        for record_id, kind, revision in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO sync_record (id, kind, revision, origin, clinic_id, updated_at, deleted, data, "
                    "received_at) VALUES (:id, :kind, :revision, 'clinic', 'c-1', CURRENT_TIMESTAMP, false, '{}', "
                    "CURRENT_TIMESTAMP)"
                ),
                {"id": record_id, "kind": kind, "revision": revision},
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        stored = {
            row[0]: tuple(row[1:])
            for row in conn.execute(
                sa.text("SELECT id, term_revision, term_0, term_1, term_2, term_3 FROM sync_record")
            )
        }
        numbers = clinic_numbers(conn, "c-1")
    assert stored == {record_id: (revision, *hash_terms(record_id, revision)) for record_id, _, revision in rows}
    expected = {}
    for kind in ("resident", "visit"):
        pairs = [(record_id, revision) for record_id, k, revision in rows if k == kind]
        expected[kind] = (len(pairs), record_set_hash(pairs))
    assert numbers == expected
    engine.dispose()
