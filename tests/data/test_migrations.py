"""The schema is migrated, never recreated: old databases open with every row intact."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, datetime

import pytest
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, MetaData, select, text

from clinic_tui.data.db import DatabaseError, open_engine
from clinic_tui.data.migrate import current_revision, head_revision, open_database, upgrade_to


def _value_for(table: str, column, index: int):
    if isinstance(column.type, Boolean):
        return index % 2 == 0
    if isinstance(column.type, Integer):
        return index + 7
    if isinstance(column.type, Float):
        return 36.5 + index
    if isinstance(column.type, DateTime):
        return datetime(2025, 3, 1 + index, 8, 30)
    if isinstance(column.type, Date):
        return date(2025, 3, 1 + index)
    if isinstance(column.type, JSON):
        return ["02", f"{table}-{index}"]
    return f"{table}-{column.name}-{index}"


def _fill_every_table(engine) -> dict[str, list[dict]]:
    """Insert two rows in every table of the current schema, following foreign keys."""
    metadata = MetaData()
    metadata.reflect(engine)
    written: dict[str, list[dict]] = {}
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = []
            for index in range(2):
                row = {}
                for column in table.columns:
                    if column.primary_key and isinstance(column.type, Integer):
                        continue
                    (fk,) = column.foreign_keys or [None]
                    if fk is not None:
                        parent = fk.column.table.name
                        row[column.name] = written[parent][index][fk.column.name] if parent != table.name else None
                    else:
                        row[column.name] = _value_for(table.name, column, index)
                rows.append(row)
            if table.name == "resident":  # real names, so the backfilled keys can be checked
                rows[0]["name"], rows[1]["name"] = "曾小明", "单丽"
                rows[0]["id_number"], rows[1]["id_number"] = "11010519491231002X", None
                rows[0]["phone"], rows[1]["phone"] = "13800138000", None
            connection.execute(table.insert(), rows)
            written[table.name] = rows
    return written


def _read(engine, table: str, columns: list[str]) -> list[tuple]:
    metadata = MetaData()
    metadata.reflect(engine, only=[table])
    t = metadata.tables[table]
    with engine.connect() as connection:
        return sorted(tuple(r) for r in connection.execute(select(*[t.c[c] for c in columns])))


def test_a_new_database_is_created_at_head(tmp_path):
    opened = open_database(tmp_path / "new.db")
    assert opened.created and opened.backup is None
    assert current_revision(opened.engine) == head_revision()


def test_data_written_at_the_first_revision_survives_the_upgrade_to_head(tmp_path):
    path = tmp_path / "old.db"
    engine = open_engine(path)
    upgrade_to(engine, "0001")
    written = _fill_every_table(engine)
    before = {table: _read(engine, table, list(rows[0])) for table, rows in written.items()}
    engine.dispose()

    opened = open_database(path, backup_dir=tmp_path / "backups")

    assert opened.upgraded_from == "0001"
    assert current_revision(opened.engine) == head_revision()
    for table, rows in written.items():
        assert _read(opened.engine, table, list(rows[0])) == before[table], table
    # The upgrade computed the search keys of residents that existed before it.
    with opened.engine.connect() as connection:
        keys = connection.execute(
            text("SELECT name, name_pinyin, name_initials, id_number_rev, phone_rev FROM resident ORDER BY name")
        ).all()
    assert ("单丽", "shanli", "sl", None, None) in keys
    assert ("曾小明", "zengxiaoming", "zxm", "X20013219491501011", "00083100831") in keys
    # ... and kept a copy of the database as it was.
    assert opened.backup is not None and opened.backup.exists()
    backup = sqlite3.connect(opened.backup)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    backup.close()


def test_the_upgrade_stores_a_cleared_rejections_params_as_null(tmp_path):
    """Before 0016 an edit cleared ``reject_params`` to the JSON text 'null', which a new hub epoch
    read as a rejection still to clear; a real rejection's parameters stay as they are."""
    path = tmp_path / "old.db"
    engine = open_engine(path)
    upgrade_to(engine, "0015")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outbox (kind, record_id, revision, queued_at, state, attempts, reject_code, "
                "reject_params) VALUES ('visit', 'a', 2, '2026-12-01 08:00:00.000000', 'pending', 0, NULL, 'null'), "
                "('visit', 'b', 1, '2026-12-01 08:00:01.000000', 'rejected', 1, 'invalid_value', "
                '\'{"field": "sbp"}\')'
            )
        )
    engine.dispose()

    opened = open_database(path, backup_dir=tmp_path / "backups")

    with opened.engine.connect() as connection:
        rows = connection.execute(text("SELECT record_id, reject_params FROM outbox ORDER BY record_id")).all()
    assert rows == [("a", None), ("b", '{"field": "sbp"}')]


def test_opening_at_head_makes_no_backup(tmp_path):
    open_database(tmp_path / "db.db").engine.dispose()
    again = open_database(tmp_path / "db.db", backup_dir=tmp_path / "backups")
    assert again.upgraded_from is None and again.backup is None
    assert not (tmp_path / "backups").exists()


def test_the_models_and_the_migrations_agree(tmp_path):
    """Forgetting a migration for a model change fails here, not on a clinic's PC."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import clinic_tui.data.models  # noqa: F401

    opened = open_database(tmp_path / "db.db")
    with opened.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_a_database_from_a_newer_version_is_refused_clearly(tmp_path):
    path = tmp_path / "db.db"
    open_database(path).engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    with pytest.raises(DatabaseError) as caught:
        open_database(path)
    assert caught.value.kind == "too_new"


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库" * 100, encoding="utf-8")
    with pytest.raises(DatabaseError) as caught:
        open_database(path)
    assert caught.value.kind == "not_a_database"


def test_a_corrupt_database_is_refused_clearly(tmp_path):
    path = tmp_path / "db.db"
    open_database(path).engine.dispose()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE filler (x TEXT)")
    connection.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(500).hex(),) for _ in range(400)])
    connection.commit()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    for offset in range(8192, len(data) - 4096, 4096):  # scribble over page headers, keep the file header
        data[offset : offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError) as caught:
        open_database(path)
    assert caught.value.kind == "corrupt"


def test_a_database_the_user_cannot_write_is_refused_clearly(tmp_path, monkeypatch):
    # Root (as in CI) may write anything, so the permission check is answered "no" here.
    path = tmp_path / "db.db"
    open_database(path).engine.dispose()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    with pytest.raises(DatabaseError) as caught:
        open_database(path)
    assert caught.value.kind == "read_only"


def test_a_database_locked_by_another_writer_is_refused_clearly(tmp_path):
    path = tmp_path / "db.db"
    open_database(path).engine.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError) as caught:
            open_database(path)
        assert caught.value.kind == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
