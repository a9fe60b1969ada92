"""Change numbers, hub-owned records and the epoch.

Pull hands out hub records in the order of their change number (``sync_record.seq``). Numbers come
from the single ``change_counter`` row, bumped with UPDATE ... RETURNING inside the writing
transaction. The row lock is held until that transaction ends, so writers that publish changes
commit strictly in number order: a reader can never see number N+1 committed while N is still to
come. (A PostgreSQL SEQUENCE gives numbers out of commit order and a pull would skip the late row.)
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import utcnow
from clinic_hub.models import ChangeCounter, HubMeta, SyncRecord, table_of

_counter = table_of(ChangeCounter)
_records = table_of(SyncRecord)
_meta = table_of(HubMeta)

HUB_AUTHOR = "hub"
# Fixed namespace so directory records keep their identity across imports and hub restarts.
DIRECTORY_NAMESPACE = uuid.UUID("6f1c3f0e-8a59-4f77-9a59-2f9b7c1d0a11")


def directory_record_id(*parts: str) -> str:
    return str(uuid.uuid5(DIRECTORY_NAMESPACE, ":".join(parts)))


def allocate(conn: Connection, count: int = 1) -> int:
    """Reserve ``count`` change numbers; returns the last. Locks the counter until commit."""
    stmt = (
        sa.update(_counter).where(_counter.c.id == 1).values(value=_counter.c.value + count).returning(_counter.c.value)
    )
    return conn.execute(stmt).scalar_one()


def last_change_number(conn: Connection) -> int:
    return conn.execute(sa.select(_counter.c.value).where(_counter.c.id == 1)).scalar_one()


def publish(
    conn: Connection,
    *,
    kind: str,
    record_id: str,
    fields: dict[str, Any],
    addressee_clinic_id: str | None,
    clinic_code: str | None,
    author_id: str = HUB_AUTHOR,
    deleted: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Create or update a hub-owned record and give it a new change number. Returns its data.

    ``addressee_clinic_id`` None means every clinic receives it (the directory, broadcasts).
    The common columns every record carries are filled in here, the same way clinics fill them.
    """
    now = now or utcnow()
    seq = allocate(conn)
    existing = conn.execute(
        sa.select(_records.c.revision, _records.c.data, _records.c.origin).where(_records.c.id == record_id)
    ).first()
    if existing is not None and existing.origin != "hub":
        raise ValueError("a hub record id collides with a clinic record")  # uuid4/uuid5: never
    revision = existing.revision + 1 if existing else 1
    created_at = existing.data.get("created_at") if existing else now.isoformat()
    data = {
        **fields,
        "clinic_id": clinic_code,
        "author_id": author_id,
        "created_at": created_at,
        "updated_at": now.isoformat(),
        "revision": revision,
        "deleted": deleted,
    }
    values = dict(
        kind=kind,
        revision=revision,
        origin="hub",
        clinic_id=addressee_clinic_id,
        seq=seq,
        updated_at=now,
        deleted=deleted,
        data=data,
        received_at=now,
    )
    if existing:
        conn.execute(sa.update(_records).where(_records.c.id == record_id).values(**values))
    else:
        conn.execute(sa.insert(_records).values(id=record_id, **values))
    return data


# --- hub_meta -------------------------------------------------------------------------------------


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(_meta.c.value).where(_meta.c.key == key)).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    if conn.execute(sa.update(_meta).where(_meta.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(sa.insert(_meta).values(key=key, value=value))


def current_epoch(conn: Connection) -> str:
    epoch = get_meta(conn, "epoch")
    if epoch is None:
        raise RuntimeError("the hub database has no epoch: run `clinic-hub migrate`")
    return epoch


def new_epoch(conn: Connection) -> str:
    """A new epoch id, after restoring a backup: clinics see it, drop their cursor and resend."""
    epoch = str(uuid.uuid4())
    set_meta(conn, "epoch", epoch)
    set_meta(conn, "epoch_created_at", utcnow().isoformat())
    return epoch
