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
from clinic_hub.record_store import RecordWriter
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
    row = conn.execute(sa.select(TABLE).where(TABLE.c.id == record_id)).mappings().one()
    return {**row, "updated_at": as_utc(row["updated_at"]), "received_at": as_utc(row["received_at"])}


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
    assert (updated_row["revision"], updated_row["deleted"], updated_row["data"]["name"]) == (3, True, "李四")
    assert updated_row["updated_at"] == updated + timedelta(minutes=1)
    assert updated_row["received_at"] == now + timedelta(seconds=1)
    engine.dispose()
