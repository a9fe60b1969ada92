"""Remote consultations and reads (远程会诊, 远程心电/影像/病理诊断) asked of the lead hospital.

Ownership (sync invariant 5, docs/architecture-sync.md): the clinic owns ``RemoteRequest`` (it
writes it, withdraws it, marks the report read and acknowledges a critical value, each a new
revision); the hospital's moves (accepted, returned, scheduled, reported, timed out) arrive by pull
as ``RemoteEvent`` rows, which the clinic never edits. The state a request is shown in is derived
from both (``data/remote_requests.py``), so no hospital decision is ever stored as a clinic edit.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from clinic_tui.data.models.base import HubRecord, SyncedRecord, UTCDateTime, json_list, utcnow


class RemoteRequest(SyncedRecord, table=True):
    """One request as the clinic wrote it; every column is its wire form (docs/protocol.md)."""

    __tablename__ = "remote_request"

    request_no: str = Field(unique=True)  # <clinic code>-<YYYYMMDD>-R<seq> (domain.remote)
    service: str  # domain.remote.Service
    urgency: str = "routine"  # routine | urgent
    status: str = Field(default="requested", index=True)  # the clinic's own: requested | withdrawn
    resident_id: str | None = Field(default=None, foreign_key="resident.id", index=True)
    # The patient as they were when the request was written (it travels without the record).
    patient_name: str
    patient_sex: str | None = None
    patient_birth_date: date | None = None
    patient_id_type: str | None = None
    patient_id_number: str | None = None
    patient_phone: str | None = None
    requested_at: datetime = Field(sa_type=UTCDateTime, index=True)
    requesting_doctor: str | None = None
    department_wished: str | None = None  # a department code of the hospital (pulled directory)
    expert_wished: str | None = None
    time_wished: datetime | None = Field(default=None, sa_type=UTCDateTime)  # video consultations
    question: str
    chief_complaint: str = ""
    present_illness: str = ""
    history: str = ""
    findings: str = ""
    preliminary_diagnoses: list[dict] = json_list()  # [{"code", "name", "system"}]
    consent: bool = False
    source_kind: str | None = None  # visit | followup
    source_id: str | None = None
    # The clinic's acknowledgements (names of the signed-in doctor; UTC times).
    report_read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    report_read_by: str | None = None
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    critical_ack_by: str | None = None
    # The files sent with the request: [{"sha256", "size", "media_type", "name"}]; their bytes are
    # kept beside the database (data/attachments.py) and travel apart (docs/protocol.md).
    attachments: list[dict] = Field(default_factory=list, sa_column_kwargs={"server_default": "[]"}, sa_type=JSON)


class AttachmentFile(SQLModel, table=True):
    """A file attached to a remote request, kept in the attachment folder beside the database
    under its SHA-256, and how far its upload to the hub has come (local bookkeeping, never synced)."""

    __tablename__ = "attachment_file"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    media_type: str
    chunks_total: int
    chunks_sent: int = 0  # chunks the hub has confirmed holding
    complete: bool = False  # the hub has the whole file and verified its hash
    problem: str | None = None  # the hub's code when it refused the file (type, size, hash)
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RemoteEvent(HubRecord, table=True):
    """One move of a request by the hospital (or its system), as pulled.

    ``request_id`` is not a foreign key: an event about a request this database does not hold (yet)
    is kept, shown on the sync screen, and attaches itself when the request arrives (a rebuild).
    ``arrival`` orders events as they arrived (the hub's change order), which is how they apply.
    """

    __tablename__ = "remote_event"

    arrival: int = Field(index=True)
    request_id: str = Field(index=True)
    request_no: str | None = None
    from_status: str | None = None
    to_status: str
    actor: str = "hospital"  # hospital | system
    actor_name: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = None
    # scheduled (video)
    scheduled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expert: str | None = None
    # reported
    findings: str | None = None
    conclusion: str | None = None
    advice: str | None = None
    reporting_doctor: str | None = None
    reviewing_doctor: str | None = None
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    critical: bool = False  # 危急值
    critical_note: str | None = None
    service_item_code: str | None = None
    fee: str | None = None  # decimal yuan as the hub wrote it
    received_at: datetime = Field(sa_type=UTCDateTime)
