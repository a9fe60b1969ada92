"""Writing clinic-owned records: every change bumps the revision, is audited and queued for sync.

All three happen in the caller's transaction (``db.unit_of_work``), so a change, its audit entry
and its outbox row commit together or not at all (sync invariant 2,
docs/architecture-sync.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from clinic_tui.data.models import (
    SYNCED_KINDS,
    AuditEntry,
    Followup,
    OutboxEntry,
    Resident,
    SyncedRecord,
    table_of,
    utcnow,
)
from clinic_tui.data.search_keys import resident_search_keys

R = TypeVar("R", bound=SyncedRecord)

KIND_OF: dict[type[SyncedRecord], str] = {model: kind for kind, model in SYNCED_KINDS.items()}
# Fields that never leave the clinic nor appear in the audit trail.
PRIVATE_FIELDS = {"pin_hash"}


def kind_of(record: SyncedRecord) -> str:
    return KIND_OF[type(record)]


def _refresh_derived(record: SyncedRecord) -> None:
    if isinstance(record, Resident):
        for key, value in resident_search_keys(record.name, record.id_number, record.phone).items():
            setattr(record, key, value)


def _refresh_dependents(session: Session, record: SyncedRecord) -> None:
    """Derived tables that depend on this record, updated in the same transaction."""
    if isinstance(record, (Resident, Followup)):
        from clinic_tui.data.followup_due import refresh_for

        refresh_for(session, record.id if isinstance(record, Resident) else record.resident_id)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _snapshot(record: SyncedRecord) -> dict[str, Any]:
    return {name: _jsonable(getattr(record, name)) for name in type(record).model_fields if name not in PRIVATE_FIELDS}


def queue_for_sync(session: Session, kind: str, record_id: str, revision: int) -> None:
    """Put (or move up) the record's outbox row to ``revision``; a rejection is cleared by an edit."""
    statement = sqlite_insert(table_of(OutboxEntry)).values(
        kind=kind,
        record_id=record_id,
        revision=revision,
        queued_at=utcnow(),
        state="pending",
        attempts=0,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "record_id"],
        set_={
            "revision": statement.excluded.revision,
            "queued_at": statement.excluded.queued_at,
            "state": "pending",
            "reject_code": None,
            "reject_message": None,
            "reject_params": None,
        },
    )
    session.execute(statement)


def _audit(session: Session, action: str, record: SyncedRecord, user_id: str | None, changes: dict) -> None:
    session.add(
        AuditEntry(
            user_id=user_id,
            action=action,
            kind=kind_of(record),
            record_id=record.id,
            revision=record.revision,
            changes=changes,
        )
    )


def create(session: Session, record: R, user_id: str | None) -> R:
    """Add a new record written by ``user_id``."""
    now = utcnow()
    record.author_id = record.author_id or user_id
    record.created_at = record.updated_at = now
    record.revision = 1
    _refresh_derived(record)
    session.add(record)
    session.flush()
    _refresh_dependents(session, record)
    _audit(session, "create", record, user_id, {k: [None, v] for k, v in _snapshot(record).items()})
    queue_for_sync(session, kind_of(record), record.id, record.revision)
    return record


def existing(session: Session, model: type[R], record_id: str) -> R:
    """The record ``record_id`` of ``model``, which the caller knows is on file."""
    record = session.get(model, record_id)
    if record is None:
        raise LookupError(f"{model.__name__} {record_id} is not on file")
    return record


def update(session: Session, record: R, changes: dict[str, Any], user_id: str | None) -> R:
    """Apply ``changes`` to ``record``; nothing is written when no value actually changes."""
    fields = type(record).model_fields
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValueError(f"unknown fields for {kind_of(record)}: {sorted(unknown)}")
    before = _snapshot(record)
    for name, value in changes.items():
        setattr(record, name, value)
    _refresh_derived(record)
    after = _snapshot(record)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not diff:
        return record
    record.revision += 1
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    _refresh_dependents(session, record)
    _audit(session, "update", record, user_id, diff)
    queue_for_sync(session, kind_of(record), record.id, record.revision)
    return record


def tombstone(session: Session, record: R, user_id: str | None) -> R:
    """Delete a record the only way medical records are deleted: a tombstone that syncs."""
    if record.deleted:
        return record
    record.deleted = True
    record.revision += 1
    record.updated_at = utcnow()
    session.add(record)
    session.flush()
    _refresh_dependents(session, record)
    _audit(session, "delete", record, user_id, {"deleted": [False, True]})
    queue_for_sync(session, kind_of(record), record.id, record.revision)
    return record


def sync_payload(record: SyncedRecord) -> dict[str, Any]:
    """The record as it goes on the wire: every column but the private ones, JSON-ready."""
    return _snapshot(record)
