"""What the hub makes of the ``exam_booking`` records a clinic pushes (issue 18, 检查预约; the
ownership rules of sync invariant 5, as for lab orders).

The clinic owns its booking: the examination, the day, the clinical question, its cancellation
before the examination and the acknowledgement of a critical report, each a revision of the same
record. The hospital owns confirmation, rescheduling, return, 'examined' and the report
(clinic_hub/exam_desk.py, published as ``exam_event``). A new booking takes one reserved slot of
its examination and day (exam_pools.take, atomic); with none left the record is refused with
``no_exam_slots_left`` and nothing of it is stored (the push's savepoint rolls back), so the
clinic shows the refusal in words and books another day. A cancellation gives the slot back; one
after the examination is answered ``conflict`` / ``illegal_transition`` and changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import exam_pools
from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.errors import ApiError
from clinic_hub.incoming import Incoming
from clinic_hub.lab_intake import PATIENT_TEXT
from clinic_hub.models import ExamBooking, table_of
from clinic_hub.referral_intake import ACCEPTED, Outcome, RecordRejected, _conflict, _text
from clinic_hub.remote_intake import NAME_MAX, _time
from clinic_tui.domain import exam
from clinic_tui.domain.problems import DomainError

_bookings = table_of(ExamBooking)
BOOKED, CANCELLED = exam.Status.BOOKED.value, exam.Status.CANCELLED.value
BEFORE_EXAMINATION = tuple(s.value for s in (exam.Status.BOOKED, exam.Status.CONFIRMED, exam.Status.RESCHEDULED))
_PATIENT_TEXT = {k: v for k, v in PATIENT_TEXT.items() if k not in ("ordering_doctor", "collected_by")}


def _owned_number(clinic: Principal, data: dict[str, Any]) -> str:
    number = _text(data, "booking_no", 64, required=True)
    try:
        parsed = exam.parse_booking_number(number)
    except DomainError:
        raise RecordRejected("invalid_value", field="booking_no") from None
    if parsed.clinic_code != (clinic.clinic_code or "").upper():
        raise RecordRejected("invalid_value", field="booking_no")
    return number.upper()


def _day(data: dict[str, Any]) -> date:
    value = _text(data, "day", 10, required=True)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RecordRejected("invalid_value", field="day") from None


def _checked(data: dict[str, Any]) -> date:
    """The domain's checks of a booking, after the types it takes for granted; the first problem
    is the answer, naming its field."""
    for name, limit in (("item_code", 20), ("priority", 10)):
        _text(data, name, limit, required=True)
    for name in ("clinical_diagnosis", "question"):
        _text(data, name, exam.MAX_TEXT)
    day = _day(data)
    problems = exam.booking_problems({**data, "day": day})
    if problems:
        first = problems[0]
        raise RecordRejected("missing_field" if first.code.endswith("_missing") else "invalid_value", field=first.field)
    return day


def interpret_booking(conn: Connection, clinic: Principal, rec: Incoming) -> Outcome:
    data = rec.data
    booking_no = _owned_number(clinic, data)
    status = _text(data, "status", 20, required=True)
    if status not in exam.CLINIC_WIRE_STATUSES:
        raise RecordRejected("status_not_clinic_owned", status=status)
    day = _checked(data)
    for name, limit in _PATIENT_TEXT.items():
        _text(data, name, limit)
    _text(data, "booking_doctor", NAME_MAX)
    booked_at = _time(data, "booked_at", required=True)
    acknowledged = {
        "critical_ack_at": _time(data, "critical_ack_at"),
        "critical_ack_by": _text(data, "critical_ack_by", NAME_MAX),
    }
    rid = str(rec.id)
    taken = conn.execute(
        sa.select(_bookings.c.id).where(_bookings.c.booking_no == booking_no, _bookings.c.id != rid)
    ).first()
    if taken is not None:
        raise RecordRejected("duplicate_booking_no", booking_no=booking_no)
    now = utcnow()
    current = conn.execute(sa.select(_bookings).where(_bookings.c.id == rid).with_for_update()).first()
    if current is None:
        slot: dict[str, Any] = {}
        if status == BOOKED and not rec.deleted:
            try:
                got = exam_pools.take(conn, data["item_code"], day)
            except ApiError as full:
                raise RecordRejected(full.code, **full.params) from None
            slot = {"pool_id": got.pool_id, "slot_number": got.slot_number}
        conn.execute(
            sa.insert(_bookings).values(
                id=rid,
                clinic_id=clinic.id,
                booking_no=booking_no,
                item_code=data["item_code"],
                day=day,
                priority=data["priority"],
                status=status,
                clinic_status=status,
                deleted=rec.deleted,
                booked_at=booked_at,
                created_at=now,
                updated_at=now,
                **slot,
                **acknowledged,
            )
        )
        return ACCEPTED
    if current.clinic_id != clinic.id:
        raise RecordRejected("foreign_record")
    update = sa.update(_bookings).where(_bookings.c.id == rid)
    leaving = status == CANCELLED or (rec.deleted and not current.deleted)
    if leaving and current.status in BEFORE_EXAMINATION:
        # Cancelled before the examination: the slot goes back to the pool for another clinic.
        exam_pools.release(conn, current.pool_id, current.over_quota)
        conn.execute(
            update.values(
                status=CANCELLED,
                clinic_status=status,
                deleted=rec.deleted,
                pool_id=None,
                updated_at=now,
                **acknowledged,
            )
        )
        return ACCEPTED
    if leaving and current.status not in (CANCELLED, exam.Status.RETURNED.value):
        conn.execute(update.values(clinic_status=status, updated_at=now, **acknowledged))
        return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
    # The same booking again (or the clinic's acknowledgement of a critical report): the day,
    # the examination and the slot stay the hospital's.
    conn.execute(update.values(clinic_status=status, updated_at=now, **acknowledged))
    return ACCEPTED


INTERPRETERS = {"exam_booking": interpret_booking}
