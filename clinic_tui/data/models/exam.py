"""Examinations booked from the lead hospital's reserved pool (检查预约; domain/exam.py).

Ownership (sync invariant 5, docs/architecture-sync.md): the clinic owns ``ExamBooking`` (it writes
it, may cancel it before the examination, and acknowledges a critical report, each a new revision);
the hospital's moves (confirmed, rescheduled, returned, examined, reported with the report) arrive
by pull as ``ExamEvent`` rows, which the clinic never edits; the pools as ``ExamPool`` rows. The
state a booking is shown in is derived from both (``data/exam_bookings.py``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

from clinic_tui.data.models.base import HubRecord, SyncedRecord, UTCDateTime


class ExamPool(HubRecord, table=True):
    """One examination's slots on one day and the free part reserved for primary care, as of the
    last pull (the clinic only reads it)."""

    __tablename__ = "exam_pool"
    __table_args__ = (Index("ix_exam_pool_day_item", "day", "item_code"),)

    item_code: str
    item_name: str = ""
    day: date
    total: int
    reserved_for_primary: int
    remaining: int


class ExamBooking(SyncedRecord, table=True):
    """One booking as the clinic wrote it; every column is its wire form (docs/protocol.md)."""

    __tablename__ = "exam_booking"

    booking_no: str = Field(unique=True)  # <clinic code>-<YYYYMMDD>-E<seq> (domain.exam)
    status: str = Field(default="booked", index=True)  # the clinic's own: booked | cancelled
    item_code: str
    item_name: str
    day: date  # the day booked (the hospital's reschedule is an event)
    priority: str = "routine"
    clinical_diagnosis: str = ""
    question: str = ""
    resident_id: str | None = Field(default=None, foreign_key="resident.id", index=True)
    patient_name: str
    patient_sex: str | None = None
    patient_birth_date: date | None = None
    patient_id_number: str | None = None
    booked_at: datetime = Field(sa_type=UTCDateTime, index=True)
    booking_doctor: str | None = None
    critical_ack_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    critical_ack_by: str | None = None


class ExamEvent(HubRecord, table=True):
    """One move of a booking by the hospital, as pulled; ``booking_id`` is not a foreign key (an
    answer about a booking this database does not hold yet is kept, like LabEvent)."""

    __tablename__ = "exam_event"

    arrival: int = Field(index=True)
    booking_id: str = Field(index=True)
    booking_no: str | None = None
    from_status: str | None = None
    to_status: str
    actor_name: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)
    reason: str | None = None
    day: date | None = None  # the slot's day after this move
    slot_number: int | None = None
    findings: str | None = None  # 所见
    impression: str | None = None  # 诊断意见
    reporter: str | None = None
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    institution: str | None = None
    recognised: bool = False  # 互认
    critical: bool = False
    received_at: datetime = Field(sa_type=UTCDateTime)
