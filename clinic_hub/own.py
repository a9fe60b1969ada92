"""A clinic takes back its own records (docs/bad-day.md), the service behind ``GET /api/v1/sync/own``.

After a clinic restored its database from a backup (or lost it), what it had sent since is only on
the hub. These read the records that clinic pushed, as the hub holds them, one kind at a time in
pages keyed by record id, and who the clinic is for a rebuild on a new PC. Only the clinic's own
records are ever read; each read is in the audit log.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from clinic_hub import audit
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc
from clinic_hub.models import Clinic, SyncRecord, table_of
from clinic_tui.sync.wire import OwnClinic, OwnPage, OwnRecord

_records = table_of(SyncRecord)
_clinics = table_of(Clinic)


def own_records(engine: Engine, clinic: Principal, kind: str, after: str | None, limit: int) -> OwnPage:
    """One page of the clinic's records of ``kind``, ordered by id, after the id ``after``."""
    where = [_records.c.origin == "clinic", _records.c.clinic_id == clinic.id, _records.c.kind == kind]
    if after:
        where.append(_records.c.id > after)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(_records.c.id, _records.c.revision, _records.c.updated_at, _records.c.deleted, _records.c.data)
            .where(*where)
            .order_by(_records.c.id)
            .limit(limit + 1)
        ).all()
        page = rows[:limit]
        audit.record(conn, clinic, "sync.own", [row.id for row in page])
    records = [
        OwnRecord(
            kind=kind, id=r.id, revision=r.revision, updated_at=as_utc(r.updated_at), deleted=r.deleted, data=r.data
        )
        for r in page
    ]
    return OwnPage(kind=kind, records=records, next_after=page[-1].id if len(rows) > limit else None)


def own_clinic(engine: Engine, clinic: Principal) -> OwnClinic:
    """The clinic's code and name as registered, and the clinic id its records carry."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(_clinics.c.code, _clinics.c.name).where(_clinics.c.id == clinic.id)).one()
        # Every record a clinic pushes carries the clinic's own id (the staff first: a clinic has staff).
        data = conn.execute(
            sa.select(_records.c.data)
            .where(_records.c.origin == "clinic", _records.c.clinic_id == clinic.id)
            .order_by(_records.c.kind != "user", _records.c.id)
            .limit(1)
        ).scalar()
        audit.record(conn, clinic, "sync.own_clinic", [row.code])
    record_clinic_id = data.get("clinic_id") if isinstance(data, dict) else None
    return OwnClinic(code=row.code, name=row.name, record_clinic_id=record_clinic_id)
