"""The hub's bulk writes through the driver store exactly what SQLAlchemy's own writes store."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from clinic_hub import migrate
from clinic_hub.db import as_utc, make_engine
from clinic_hub.incoming import Incoming
from clinic_hub.models import SyncRecord
from clinic_hub.record_store import _TERMS, RecordWriter, clinic_numbers, hash_terms
from clinic_tui.sync.wire_rules import record_set_hash
from tests.hub.conftest import BACKENDS

TABLE = SyncRecord.__table__
DATA = {
    "clinic_id": "c-1",
    "name": "张三",
    "note": '引号"与反斜杠\\、换行\n',
    "sbp": 150,
    "temperature": 37.5,
    "diagnoses": [{"code": "I10", "name": "原发性高血压"}],
    "visited": True,
    "empty": None,
}


def _record(revision: int, updated_at: datetime, *, as_text: bool = False, **data) -> Incoming:
    """A record as push reads it: its data as the JSON text it arrived as (the fast way) or parsed."""
    content, record_id = {**DATA, **data}, uuid.uuid4()
    return Incoming(
        "visit",
        record_id,
        str(record_id),
        revision,
        as_utc(updated_at),
        False,
        "c-1",
        data_json=json.dumps(content, ensure_ascii=False) if as_text else None,
        parsed=None if as_text else content,
    )


def _stored(conn, record_id: str) -> dict:
    """The row as read back; its reconcile terms apart (``_terms``), as SQLAlchemy writes none."""
    row = conn.execute(sa.select(TABLE).where(TABLE.c.id == record_id)).mappings().one()
    fields = {key: value for key, value in row.items() if key not in _TERMS}
    return {**fields, "updated_at": as_utc(row["updated_at"]), "received_at": as_utc(row["received_at"])}


def _terms(conn, record_id: str) -> tuple:
    return tuple(conn.execute(sa.select(*(TABLE.c[name] for name in _TERMS)).where(TABLE.c.id == record_id)).one())


@pytest.mark.parametrize("backend", BACKENDS)
def test_driver_writes_read_back_like_sqlalchemy_writes(backend, fresh_db):
    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine)
    now = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    # A time with an offset is stored as the same instant in UTC (SQLAlchemy's SQLite binder would
    # keep the local fields: the hub hands it UTC only).
    updated = datetime(2026, 11, 23, 17, 30, 5, 7, tzinfo=timezone(timedelta(hours=8)))
    as_text, parsed, by_sqlalchemy = _record(1, updated, as_text=True), _record(1, updated), _record(1, updated)
    with engine.begin() as conn:
        RecordWriter(conn, "clinic-1", now).insert([as_text, parsed])
        conn.execute(
            sa.insert(TABLE).values(
                id=by_sqlalchemy.id_text,
                kind="visit",
                revision=1,
                origin="clinic",
                clinic_id="clinic-1",
                seq=None,
                updated_at=as_utc(updated),
                deleted=False,
                data=DATA,
                received_at=now,
            )
        )
    with engine.connect() as conn:
        sqlalchemy_row = _stored(conn, by_sqlalchemy.id_text)
        for written in (as_text, parsed):
            assert _stored(conn, written.id_text) == {**sqlalchemy_row, "id": written.id_text}
            assert _terms(conn, written.id_text) == (1, *hash_terms(written.id_text, 1))
    assert sqlalchemy_row["updated_at"] == updated and sqlalchemy_row["received_at"] == now
    assert sqlalchemy_row["data"] == DATA and sqlalchemy_row["deleted"] is False
    by_driver = as_text

    newer = _record(3, updated + timedelta(minutes=1), as_text=True, name="李四")
    newer.id, newer.id_text, newer.deleted = by_driver.id, by_driver.id_text, True
    stale = _record(2, updated + timedelta(minutes=2), name="王五")
    stale.id, stale.id_text = by_driver.id, by_driver.id_text
    with engine.begin() as conn:
        writer = RecordWriter(conn, "clinic-1", now + timedelta(seconds=1))
        writer.update([newer])
        writer.update([stale])  # older than what is stored now: changes nothing
    with engine.connect() as conn:
        updated_row = _stored(conn, by_driver.id_text)
        assert _terms(conn, by_driver.id_text) == (
            3,
            *hash_terms(by_driver.id_text, 3),
        )  # the stale one changed nothing
    assert (updated_row["revision"], updated_row["deleted"], updated_row["data"]["name"]) == (3, True, "李四")
    assert updated_row["updated_at"] == updated + timedelta(minutes=1)
    assert updated_row["received_at"] == now + timedelta(seconds=1)
    engine.dispose()


def _versions(conn, clinic_id: str) -> dict[str, tuple[int, str]]:
    """What reconcile answered before the terms were kept: every record hashed, per kind."""
    pairs: dict[str, list] = {}
    for kind, record_id, revision in conn.execute(
        sa.select(TABLE.c.kind, TABLE.c.id, TABLE.c.revision).where(
            TABLE.c.origin == "clinic", TABLE.c.clinic_id == clinic_id
        )
    ):
        pairs.setdefault(kind, []).append((record_id, revision))
    return {kind: (len(items), record_set_hash(items)) for kind, items in sorted(pairs.items())}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_clinics_numbers_are_the_sum_of_its_records_terms(backend, fresh_db):
    """clinic_numbers (one SQL sum per kind) answers exactly what hashing every record answers:
    after inserts, newer revisions, stale resends, another clinic's records, and a row written
    without its terms (that kind is hashed the old way)."""
    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine)
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    visits = [_record(1, now, as_text=True) for _ in range(40)]
    followups = [_record(1, now) for _ in range(7)]
    for rec in followups:
        rec.kind = "followup"
    others = [_record(1, now, as_text=True) for _ in range(5)]
    with engine.begin() as conn:
        RecordWriter(conn, "clinic-1", now).insert(visits + followups)
        RecordWriter(conn, "clinic-2", now).insert(others)
    edited = []
    for rec, revision in zip(visits[:10], [2, 5, 2, 3, 9, 2, 2, 4, 2, 7], strict=True):
        newer = _record(revision, now + timedelta(hours=1), as_text=True)
        newer.id, newer.id_text = rec.id, rec.id_text
        edited.append(newer)
    stale = _record(1, now, as_text=True)
    stale.id, stale.id_text = visits[0].id, visits[0].id_text
    with engine.begin() as conn:
        writer = RecordWriter(conn, "clinic-1", now + timedelta(hours=1))
        writer.update(edited)
        writer.update([stale])
    with engine.connect() as conn:
        numbers, expected = clinic_numbers(conn, "clinic-1"), _versions(conn, "clinic-1")
        assert clinic_numbers(conn, "clinic-2") == _versions(conn, "clinic-2")
        assert clinic_numbers(conn, "clinic-3") == {}
    assert numbers == expected and set(numbers) == {"followup", "visit"} and numbers["visit"][0] == 40

    with engine.begin() as conn:  # a row without its terms: written by a path that keeps none
        conn.execute(
            sa.insert(TABLE).values(
                id=str(uuid.uuid4()),
                kind="followup",
                revision=3,
                origin="clinic",
                clinic_id="clinic-1",
                updated_at=now,
                deleted=False,
                data=DATA,
                received_at=now,
            )
        )
    with engine.connect() as conn:
        numbers, expected = clinic_numbers(conn, "clinic-1"), _versions(conn, "clinic-1")
    assert numbers == expected and numbers["followup"][0] == 8

    with engine.begin() as conn:  # a revision changed by hand (its terms are of the one before)
        conn.execute(sa.update(TABLE).where(TABLE.c.id == visits[20].id_text).values(revision=6))
    with engine.connect() as conn:
        numbers, expected = clinic_numbers(conn, "clinic-1"), _versions(conn, "clinic-1")
    assert numbers == expected and numbers["visit"][0] == 40
    engine.dispose()
