"""The database's own bookkeeping: audit trail, sync outbox, pull cursor, settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from clinic_tui.data.models.base import UTCDateTime, json_dict, utcnow


class AuditEntry(SQLModel, table=True):
    """Who changed what, when (data invariant 2). Written in the same transaction as the change."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: str | None = None
    action: str  # create | update | delete | receive (applied from the hub)
    kind: str  # sync kind of the record
    record_id: str = Field(index=True)
    revision: int
    changes: dict = json_dict()  # {field: [old, new]}


class OutboxEntry(SQLModel, table=True):
    """A record waiting to reach the hub (sync invariant 2, a table, not a status flag:
    docs/architecture-sync.md).

    One row per record, holding the latest revision to send. The row goes only when the hub has
    confirmed that exact revision; an edit made meanwhile bumps ``revision`` and keeps it here.
    """

    __tablename__ = "outbox"
    # Pending rows in send order (sync/outbox.py walks them 2,000 at a time; rowid is in every index).
    __table_args__ = (Index("ix_outbox_send_order", "state", "queued_at"),)

    kind: str = Field(primary_key=True)
    record_id: str = Field(primary_key=True)
    revision: int
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    state: str = "pending"  # pending | rejected
    reject_code: str | None = None
    reject_message: str | None = None
    # sync/rejections.py. None is SQL NULL, not the JSON text 'null': "no rejection" is one value.
    reject_params: dict[str, str] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    attempts: int = 0
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SyncCursor(SQLModel, table=True):
    """Where the last pull stopped (the hub's opaque change-sequence cursor) and the hub's epoch."""

    __tablename__ = "sync_cursor"

    name: str = Field(primary_key=True)  # "pull"
    value: str | None = None
    epoch: str | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AppSetting(SQLModel, table=True):
    """Facts about this database, e.g. which clinic it belongs to ("clinic_id")."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True)
    value: str


class Draft(SQLModel, table=True):
    """A form being typed, saved as the user types so a crash or power cut loses nothing.

    Local only, never synced: it becomes a record when the user saves the form.
    """

    id: str = Field(primary_key=True)  # form + record being edited (or "new"), one draft each
    form: str  # which form: resident | visit | followup ...
    record_id: str | None = None  # the record being edited; None for a new one
    context: dict = json_dict()  # what the form was opened with (e.g. the resident id)
    user_id: str | None = Field(default=None, index=True)
    title: str = ""  # shown when the draft is offered back
    data: dict = json_dict()  # the raw text of every field
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SyncRun(SQLModel, table=True):
    """One sync with the hub and its receipt: what was sent, what the hub confirmed holding.

    Kept so the doctor (and the sync screen) can see when the hospital last confirmed the work.
    """

    __tablename__ = "sync_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trigger: str = "cli"  # cli | auto | manual
    outcome: str = "running"  # running | ok | offline | auth | rejected | config | error | busy
    pushed: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    pulled: int = 0
    resent: int = 0
    confirmed_counts: dict = json_dict()  # kind -> records the hub confirmed holding (reconcile)
    today_counts: dict = json_dict()  # kind -> records changed today that the hub has confirmed
    conflicts: dict = json_dict()  # "kind:id" -> the hub's message (stored, the hospital's decision stands)
    epoch: str | None = None
    error_message: str | None = None


class Broadcast(SQLModel, table=True):
    """A notice the lead hospital sent to every clinic (hub kind "broadcast"), kept as received."""

    id: str = Field(primary_key=True, max_length=36)
    revision: int = Field(default=1)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted: bool = Field(default=False)
    title: str = ""
    body: str = ""
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
