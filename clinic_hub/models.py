"""The hub's tables. Alembic migrations (``clinic_hub/migrations``) create and change them; a test
checks that the migrations and these models agree.

Clinic records are stored whole in ``sync_record.data`` (JSON, JSONB on PostgreSQL) so new clinic
fields never break the hub; the few fields the hub interprets (referrals) are copied to typed tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


class HubTable(SQLModel, registry=registry()):
    """Base of the hub's tables: their own metadata, apart from the clinic's tables in the same process."""


metadata = HubTable.metadata


def table_of(model: type[SQLModel]) -> sa.Table:
    """``model.__table__``, typed: SQLModel's stubs do not declare the table of a table model."""
    return model.__table__  # type: ignore[attr-defined]


class HubMeta(HubTable, table=True):
    """Small facts about this hub: its epoch id, the hospital's code and name."""

    __tablename__ = "hub_meta"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


class ChangeCounter(HubTable, table=True):
    """One row. Writers bump it inside their transaction: its row lock orders commits by number."""

    __tablename__ = "change_counter"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(sa_type=sa.BigInteger)


class DownReferralCounter(HubTable, table=True):
    """The hub's own sequence of downward referral numbers, one row per China day. Only the desk
    writes it; a clinic cannot move it (see desk.next_down_number)."""

    __tablename__ = "down_referral_counter"
    day: str = Field(primary_key=True, max_length=10)
    value: int = Field(sa_type=sa.BigInteger)


class Clinic(HubTable, table=True):
    __tablename__ = "clinic"
    id: str = Field(primary_key=True, max_length=36)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTC_DATETIME)


class Staff(HubTable, table=True):
    __tablename__ = "staff"
    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    # Disabled by an administrator: no sign-in, no session, no token (clinic_hub/web/auth.disable).
    disabled_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)


class StaffLogin(HubTable, table=True):
    """A staff member's web desk sign-in: login name, argon2 hash, failed attempts and lockout.
    Bearer tokens (``api_token``) are apart and keep working for the JSON API."""

    __tablename__ = "staff_login"
    staff_id: str = Field(primary_key=True, max_length=36)
    login: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=200)
    failed_count: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    password_set_at: datetime = Field(sa_type=UTC_DATETIME)
    department_code: str | None = Field(default=None, max_length=40)  # a doctor's department
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)


class WebSession(HubTable, table=True):
    """A signed-in web desk session. The cookie holds a random id; only its sha256 is stored."""

    __tablename__ = "web_session"
    id_hash: str = Field(primary_key=True, max_length=64)
    staff_id: str = Field(max_length=36, index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    last_seen_at: datetime = Field(sa_type=UTC_DATETIME)


class ApiToken(HubTable, table=True):
    """Bearer tokens, stored only as their sha256. A clinic or staff member has one live token."""

    __tablename__ = "api_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    principal_type: str = Field(max_length=10)  # "clinic" | "staff"
    principal_id: str = Field(max_length=36, index=True)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    revoked_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)


class SyncRecord(HubTable, table=True):
    """Every record version the hub holds: pushed by clinics (origin "clinic", clinic_id = owner)
    or made by the hub (origin "hub", clinic_id = addressee, NULL = every clinic, seq = change no)."""

    __tablename__ = "sync_record"
    __table_args__ = (sa.Index("ix_sync_record_owner_kind", "origin", "clinic_id", "kind"),)
    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=40)
    revision: int
    origin: str = Field(max_length=10)
    clinic_id: str | None = Field(default=None, max_length=36)
    seq: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)
    deleted: bool = False
    data: dict[str, Any] = Field(sa_type=JSONType)
    received_at: datetime = Field(sa_type=UTC_DATETIME)
    # A clinic record's term of the reconcile hash (``record_store.hash_terms``), kept with it so
    # that a clinic's numbers are one sum in SQL; four 32-bit parts of the 128-bit term, whose sums
    # fit in 64 bits, and the revision they were worked out for (a row whose revision was changed
    # any other way is hashed again). NULL for the hub's own records (never reconciled).
    term_revision: int | None = None
    term_0: int | None = Field(default=None, sa_type=sa.BigInteger)
    term_1: int | None = Field(default=None, sa_type=sa.BigInteger)
    term_2: int | None = Field(default=None, sa_type=sa.BigInteger)
    term_3: int | None = Field(default=None, sa_type=sa.BigInteger)


class Referral(HubTable, table=True):
    """The hub's typed view of a referral: upward (pushed by a clinic) or downward (made here)."""

    __tablename__ = "referral"
    # The web desk's queue and its tab counts: per status and urgency, oldest first (clinic_hub/web).
    __table_args__ = (sa.Index("ix_referral_queue", "direction", "deleted", "status", "urgency", "sent_at"),)
    id: str = Field(primary_key=True, max_length=36)
    clinic_id: str = Field(max_length=36, index=True)  # sender (up) or addressee (down)
    direction: str = Field(max_length=4)
    referral_no: str = Field(max_length=64, unique=True)
    urgency: str = Field(max_length=10)
    purpose: str | None = Field(default=None, max_length=40)
    status: str = Field(max_length=20)  # the status the hub holds (both sides' moves)
    clinic_status: str | None = Field(default=None, max_length=20)  # last status the clinic pushed
    to_department_code: str | None = Field(default=None, max_length=40)
    referral_date: str | None = Field(default=None, max_length=10)
    deleted: bool = False
    sent_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)  # first seen as "sent"
    answered_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    appointment_department_code: str | None = Field(default=None, max_length=40)
    appointment_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)


class ReferralMove(HubTable, table=True):
    """Every status move the hub applied or refused, from either side."""

    __tablename__ = "referral_move"
    id: int | None = Field(default=None, primary_key=True)
    referral_id: str = Field(max_length=36, index=True)
    event_id: str | None = Field(default=None, max_length=36)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=10)
    actor_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UTC_DATETIME)


class Department(HubTable, table=True):
    __tablename__ = "department"
    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    daily_outpatient_slots: int = 0
    beds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # inpatient beds (seed 001: 1/4 reserved)
    active: bool = True
    record_id: str = Field(max_length=36)


class SlotPool(HubTable, table=True):
    """Outpatient slots of one department on one day, and the part reserved for primary care."""

    __tablename__ = "slot_pool"
    __table_args__ = (sa.UniqueConstraint("department_code", "day", name="uq_slot_pool_department_day"),)
    id: str = Field(primary_key=True, max_length=36)
    department_code: str = Field(max_length=40)
    day: date
    total: int
    reserved: int
    used: int = 0
    over_quota: int = 0


class BedPool(HubTable, table=True):
    """Inpatient beds of one department on one admission day, and the part reserved for primary care
    (seed 001: at least a quarter). ``used`` counts bed days taken by accepted inpatient referrals."""

    __tablename__ = "bed_pool"
    __table_args__ = (sa.UniqueConstraint("department_code", "day", name="uq_bed_pool_department_day"),)
    id: str = Field(primary_key=True, max_length=36)
    department_code: str = Field(max_length=40)
    day: date
    total: int
    reserved: int
    used: int = 0
    over_quota: int = 0


class PushBatch(HubTable, table=True):
    """Answers already given to a batch, so a resent batch gets them again and changes nothing."""

    __tablename__ = "push_batch"
    clinic_id: str = Field(primary_key=True, max_length=36)
    batch_id: str = Field(primary_key=True, max_length=100)
    results: list[Any] = Field(sa_type=JSONType)
    created_at: datetime = Field(sa_type=UTC_DATETIME)


class SyncConflict(HubTable, table=True):
    __tablename__ = "sync_conflict"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTC_DATETIME)
    clinic_id: str = Field(max_length=36, index=True)
    record_id: str = Field(max_length=36)
    kind: str = Field(max_length=40)
    code: str = Field(max_length=60)
    detail: str | None = Field(default=None, max_length=400)


class AuditLog(HubTable, table=True):
    """Who read or wrote what, when. Record ids only: never names, ID numbers or phones."""

    __tablename__ = "audit_log"
    # One actor's rows (the audit page's filter; a clinic's last contact: max(at) of its rows).
    __table_args__ = (sa.Index("ix_audit_log_actor", "actor_id", "actor_type", "at"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    at: datetime = Field(sa_type=UTC_DATETIME, index=True)
    actor_type: str = Field(max_length=10)  # clinic | staff | cli
    actor_id: str = Field(max_length=64)
    action: str = Field(max_length=80)
    status_code: int
    record_count: int = 0
    record_ids: list[Any] = Field(sa_type=JSONType)


class RemoteRequest(HubTable, table=True):
    """The hub's typed view of a remote consultation or read asked by a clinic (domain/remote.py):
    the clinic's request (stored whole in ``sync_record``) with the hospital's state and report.
    The clinic's acknowledgements (report read, critical value seen) are copied from its revisions."""

    __tablename__ = "remote_request"
    # The reading rooms' queues (per service, state and urgency, oldest first) and the list of
    # critical values the clinic has not acknowledged yet (clinic_hub/web/remote.py).
    __table_args__ = (
        sa.Index("ix_remote_request_queue", "deleted", "service", "status", "urgency", "requested_at"),
        sa.Index("ix_remote_request_critical", "critical", "critical_ack_at"),
    )
    id: str = Field(primary_key=True, max_length=36)
    clinic_id: str = Field(max_length=36, index=True)
    request_no: str = Field(max_length=64, unique=True)
    service: str = Field(max_length=20)
    urgency: str = Field(max_length=10)
    status: str = Field(max_length=20)  # the state the hub holds (both sides' moves)
    clinic_status: str = Field(max_length=20)  # the last status the clinic pushed
    deleted: bool = False
    requested_at: datetime = Field(sa_type=UTC_DATETIME)  # as the clinic wrote it: the overdue clock
    accepted_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    scheduled_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    expert: str | None = Field(default=None, max_length=100)
    reported_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    findings: str | None = Field(default=None, sa_type=sa.Text)
    conclusion: str | None = Field(default=None, sa_type=sa.Text)
    advice: str | None = Field(default=None, sa_type=sa.Text)
    reporting_doctor: str | None = Field(default=None, max_length=100)
    reviewing_doctor: str | None = Field(default=None, max_length=100)
    service_item_code: str | None = Field(default=None, max_length=40)
    fee: str | None = Field(default=None, max_length=20)
    critical: bool = False
    critical_note: str | None = Field(default=None, max_length=2000)
    report_read_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    report_read_by: str | None = Field(default=None, max_length=100)
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    critical_ack_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)


class RemoteMove(HubTable, table=True):
    """Every state move of a remote request, from either side (its history on the desk)."""

    __tablename__ = "remote_move"
    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=36, index=True)
    event_id: str | None = Field(default=None, max_length=36)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=10)
    actor_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UTC_DATETIME)


class AttachmentBlob(HubTable, table=True):
    """A file whose bytes arrived whole and hashed to ``sha256``: stored once, outside the database,
    under the attachment folder (clinic_hub/attachments.py), however many clinics sent it."""

    __tablename__ = "attachment_blob"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=40)
    stored_at: datetime = Field(sa_type=UTC_DATETIME)


class AttachmentUpload(HubTable, table=True):
    """One clinic's upload of one file: declared (size, type), its chunks arriving, then complete.
    Each clinic sends the bytes itself (a clinic that names a hash has not shown it holds the file),
    so one clinic never learns what another sent; the bytes are still kept once (``AttachmentBlob``)."""

    __tablename__ = "attachment_upload"
    clinic_id: str = Field(primary_key=True, max_length=36)
    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=40)
    chunk_bytes: int
    chunks_total: int
    chunks_received: int = 0
    complete: bool = False
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)
    completed_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)


class AttachmentChunk(HubTable, table=True):
    """A chunk of an upload that has arrived (its bytes in the folder's ``incoming`` part until the
    file is whole); the same chunk sent again finds its row and is stored once."""

    __tablename__ = "attachment_chunk"
    clinic_id: str = Field(primary_key=True, max_length=36)
    sha256: str = Field(primary_key=True, max_length=64)
    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    size: int


class RemoteAttachment(HubTable, table=True):
    """A file named by a remote request (its ``attachments`` list as the clinic pushed it)."""

    __tablename__ = "remote_attachment"
    request_id: str = Field(primary_key=True, max_length=36)
    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(sa_type=sa.BigInteger)
    media_type: str = Field(max_length=40)
    name: str = Field(max_length=200)


class LabOrder(HubTable, table=True):
    """The hub's typed view of a lab order a clinic sent (domain/lab.py): the clinic's order (stored
    whole in ``sync_record``) with the lab's state and results. ``attempt`` is the clinic's current
    specimen (a recollection after a rejection is the next one); the clinic's acknowledgement of a
    critical value is copied from its revisions."""

    __tablename__ = "lab_order"
    __table_args__ = (
        sa.Index("ix_lab_order_queue", "deleted", "status", "priority", "ordered_at"),
        sa.Index("ix_lab_order_critical", "critical", "critical_ack_at"),
    )
    id: str = Field(primary_key=True, max_length=36)
    clinic_id: str = Field(max_length=36, index=True)
    order_no: str = Field(max_length=64, unique=True)
    specimen: str = Field(max_length=20)
    priority: str = Field(max_length=10)
    status: str = Field(max_length=20)  # the state the hub holds (both sides' moves)
    clinic_status: str = Field(max_length=20)  # the last status the clinic pushed
    attempt: int = 1
    deleted: bool = False
    barcode: str | None = Field(default=None, max_length=40)
    ordered_at: datetime = Field(sa_type=UTC_DATETIME)
    sent_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    received_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    rejected_reason: str | None = Field(default=None, max_length=2000)
    reported_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    results: list[Any] = Field(default_factory=list, sa_type=JSONType)
    reporter: str | None = Field(default=None, max_length=100)
    reviewer: str | None = Field(default=None, max_length=100)
    institution: str | None = Field(default=None, max_length=200)
    recognised: bool = False
    critical: bool = False
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    critical_ack_by: str | None = Field(default=None, max_length=100)
    # The lab_event that last raised the critical alert (a report, or a correction that made a
    # value critical) and the one the clinic's acknowledgement names: unacknowledged while they differ.
    critical_event: str | None = Field(default=None, max_length=36)
    critical_ack_event: str | None = Field(default=None, max_length=36)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)


class LabCorrection(HubTable, table=True):
    """A reported result corrected by the lab (更正报告): the earlier value stays here, never
    overwritten silently; the order's ``results`` hold the corrected one."""

    __tablename__ = "lab_correction"
    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=36, index=True)
    event_id: str = Field(max_length=36)
    attempt: int = 1
    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    previous_value: str = Field(max_length=100)
    previous_flag: str = Field(max_length=10)
    value: str = Field(max_length=100)
    flag: str = Field(max_length=10)
    reason: str = Field(max_length=2000)
    corrected_by: str | None = Field(default=None, max_length=100)
    at: datetime = Field(sa_type=UTC_DATETIME)


class LabCatalogueVersion(HubTable, table=True):
    """One imported version of the county lab's catalogue (the file as it was, its hash, who, when)."""

    __tablename__ = "lab_catalogue_version"
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    sha256: str = Field(max_length=64)
    content: str = Field(sa_type=sa.Text)
    items: int
    imported_by: str = Field(max_length=64)
    imported_at: datetime = Field(sa_type=UTC_DATETIME)


class LabImport(HubTable, table=True):
    """A CSV of results from the lab system, uploaded to the desk: kept as decoded text between its
    preview and its commit (the plan is made again at the commit, against the orders as they are)."""

    __tablename__ = "lab_import"
    id: str = Field(primary_key=True, max_length=36)
    filename: str = Field(max_length=200)
    encoding: str = Field(max_length=20)
    content: str = Field(sa_type=sa.Text)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = Field(sa_type=UTC_DATETIME)
    committed_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    committed_by: str | None = Field(default=None, max_length=64)


class LabImportException(HubTable, table=True):
    """An imported result for an order the hub does not know, or one cancelled: on the desk's
    exceptions list, never dropped."""

    __tablename__ = "lab_import_exception"
    id: int | None = Field(default=None, primary_key=True)
    import_id: str = Field(max_length=36, index=True)
    line: int
    order_ref: str = Field(max_length=64)
    code: str = Field(max_length=20)
    value: str = Field(max_length=100)
    problem: str = Field(max_length=40)  # order_unknown | order_cancelled
    row: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    at: datetime = Field(sa_type=UTC_DATETIME)


class LabMove(HubTable, table=True):
    """Every state move of a lab order, from either side (its history on the desk)."""

    __tablename__ = "lab_move"
    id: int | None = Field(default=None, primary_key=True)
    order_id: str = Field(max_length=36, index=True)
    event_id: str | None = Field(default=None, max_length=36)
    attempt: int = 1
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor: str = Field(max_length=10)
    actor_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime = Field(sa_type=UTC_DATETIME)


class ExamPool(HubTable, table=True):
    """Slots of one examination (domain/exam.py's catalogue: CT, MRI, ultrasound...) on one day,
    and the part reserved for primary care; ``used`` counts the clinics' bookings holding one."""

    __tablename__ = "exam_pool"
    __table_args__ = (sa.UniqueConstraint("item_code", "day", name="uq_exam_pool_item_day"),)
    id: str = Field(primary_key=True, max_length=36)
    item_code: str = Field(max_length=20)
    day: date
    total: int
    reserved: int
    used: int = 0
    over_quota: int = 0


class ExamBooking(HubTable, table=True):
    """The hub's typed view of an examination booking a clinic pushed (stored whole in
    ``sync_record``): the slot it holds, the hospital's state and the report."""

    __tablename__ = "exam_booking"
    __table_args__ = (sa.Index("ix_exam_booking_queue", "deleted", "day", "status"),)
    id: str = Field(primary_key=True, max_length=36)
    clinic_id: str = Field(max_length=36, index=True)
    booking_no: str = Field(max_length=64, unique=True)
    item_code: str = Field(max_length=20)
    day: date  # the slot's day: the booked one, or the hospital's new one after rescheduling
    priority: str = Field(max_length=10)
    status: str = Field(max_length=20)  # the state the hub holds (both sides' moves)
    clinic_status: str = Field(max_length=20)  # the last status the clinic pushed
    deleted: bool = False
    pool_id: str | None = Field(default=None, max_length=36)  # None once the slot is given back
    slot_number: int | None = None
    over_quota: bool = False
    over_quota_reason: str | None = Field(default=None, max_length=2000)
    booked_at: datetime = Field(sa_type=UTC_DATETIME)
    returned_reason: str | None = Field(default=None, max_length=2000)
    examined_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    reported_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    findings: str | None = Field(default=None, max_length=4000)
    impression: str | None = Field(default=None, max_length=2000)
    reporter: str | None = Field(default=None, max_length=100)
    institution: str | None = Field(default=None, max_length=200)
    recognised: bool = False
    critical: bool = False
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTC_DATETIME)
    critical_ack_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTC_DATETIME)
    updated_at: datetime = Field(sa_type=UTC_DATETIME)
