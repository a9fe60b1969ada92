"""Examinations booked from the lead hospital's reserved pool (检查预约): each function is one read
or one clinic action (docs/protocol.md, ``exam_booking``, ``exam_pool`` and ``exam_event``).

The clinic books an examination on a day whose reserved slots are free as of its last pull
(``exam_pool``, less its own bookings not sent yet), may cancel it before the examination, and
acknowledges a critical report (危急); each is a new revision of the booking, audited and queued
for sync in the same transaction (``records``). The hub takes the slot when the booking arrives;
when the day's slots went meanwhile it refuses the record (``no_exam_slots_left``) and the page
says so in words (sync/rejections.py) until the doctor cancels it and books another day.

The state shown is derived, never stored: the hospital's latest move (its ``exam_event`` rows, in
the order they arrived), else the clinic's own status; ``cancelled`` when the clinic cancelled
before the hospital examined the patient (a late cancellation the hub refused leaves its move).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lab_orders import LabRefused
from clinic_tui.data.lookups import current_clinic, get_resident
from clinic_tui.data.models import ExamBooking, ExamEvent, ExamPool, OutboxEntry, Staff, utcnow
from clinic_tui.data.remote_requests import clinic_day
from clinic_tui.domain import exam
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_

FORM_FIELDS = ("item_code", "day", "priority", "clinical_diagnosis", "question")
KIND = "exam_booking"
NO_FREE_SLOT = N_("No free reserved slot for this examination on that day (as of the last sync).")
_BEFORE = frozenset({exam.Status.BOOKED, exam.Status.CONFIRMED, exam.Status.RESCHEDULED})


class ExamRefused(LabRefused):
    """Booking refused: ``problems`` are what stops it, each naming its field."""


@dataclass(frozen=True)
class FreeSlots:
    """One line of the booking form's picker: a day, an examination, its free reserved slots."""

    day: date
    item_code: str
    item_name: str
    free: int


@dataclass(frozen=True)
class Answer:
    at: datetime
    to_status: str
    actor_name: str | None
    reason: str | None
    day: date | None


@dataclass(frozen=True)
class Report:
    findings: str
    impression: str
    reporter: str | None
    reported_at: datetime | None
    institution: str | None
    recognised: bool  # 互认
    critical: bool


@dataclass(frozen=True)
class BookingDetail:
    booking: ExamBooking
    status: str  # as shown: domain.exam.Status
    day: date  # the slot's day: booked, or the hospital's new one
    slot_number: int | None
    answers: tuple[Answer, ...]
    report: Report | None
    returned_reason: str | None
    refusal: tuple[str | None, dict | None, str | None] | None  # the hub's (code, params, message)
    can_cancel: bool
    needs_critical_ack: bool


def shown_status(clinic_status: str, hospital_status: str | None) -> str:
    if clinic_status == exam.Status.CANCELLED and hospital_status in (None, *_BEFORE):
        return exam.Status.CANCELLED
    return hospital_status or clinic_status


def _events(session: Session, booking_id: str) -> list[ExamEvent]:
    query = (
        select(ExamEvent)
        .where(col(ExamEvent.booking_id) == booking_id, col(ExamEvent.deleted) == False)
        .order_by(col(ExamEvent.arrival))
    )
    return list(session.execute(query).scalars())


def _state(booking: ExamBooking, events: list[ExamEvent]) -> str:
    return shown_status(booking.status, events[-1].to_status if events else None)


# --- reading -------------------------------------------------------------------------------------


def free_slots(engine: Engine, today: date) -> list[FreeSlots]:
    """Days from ``today`` with free reserved slots, as of the last pull, less this clinic's own
    bookings still waiting in the outbox (the hub has not counted them yet): by day, then item."""
    with read_session(engine) as session:
        pools = session.execute(
            select(ExamPool)
            .where(col(ExamPool.day) >= today, col(ExamPool.deleted) == False)
            .order_by(col(ExamPool.day), col(ExamPool.item_code))
        ).scalars()
        waiting: dict[tuple[str, date], int] = {}
        unsent = select(col(ExamBooking.item_code), col(ExamBooking.day)).join(
            OutboxEntry, (col(OutboxEntry.record_id) == col(ExamBooking.id)) & (col(OutboxEntry.kind) == KIND)
        )
        for item_code, day in session.execute(
            unsent.where(col(ExamBooking.status) == exam.Status.BOOKED, col(OutboxEntry.state) == "pending")
        ):
            waiting[(item_code, day)] = waiting.get((item_code, day), 0) + 1
        found = []
        for pool in pools:
            free = pool.remaining - waiting.get((pool.item_code, pool.day), 0)
            if free > 0 and pool.item_code in exam.CATALOGUE:
                found.append(FreeSlots(pool.day, pool.item_code, exam.item_name(pool.item_code), free))
    return found


def detail(engine: Engine, booking_id: str) -> BookingDetail:
    """What the booking's page shows; raises ``DomainError`` when it is not on file."""
    with read_session(engine) as session:
        booking = _existing(session, booking_id)
        events = _events(session, booking_id)
        outbox = session.get(OutboxEntry, (KIND, booking_id))
        session.expunge(booking)
    status = _state(booking, events)
    moved = [(e.day, e.slot_number) for e in events if e.day is not None]
    reported = next((e for e in reversed(events) if e.to_status == exam.Status.REPORTED), None)
    report = None
    if reported is not None:
        report = Report(
            reported.findings or "",
            reported.impression or "",
            reported.reporter,
            reported.reported_at,
            reported.institution,
            reported.recognised,
            reported.critical,
        )
    returned = next((e.reason for e in reversed(events) if e.to_status == exam.Status.RETURNED), None)
    refusal = None
    if outbox is not None and outbox.state == "rejected" and not events:
        refusal = (outbox.reject_code, outbox.reject_params, outbox.reject_message)
    return BookingDetail(
        booking,
        status,
        moved[-1][0] if moved else booking.day,
        moved[-1][1] if moved else None,
        tuple(Answer(e.at, e.to_status, e.actor_name, e.reason, e.day) for e in events),
        report,
        returned if status == exam.Status.RETURNED else None,
        refusal if status != exam.Status.CANCELLED else None,
        can_cancel=exam.Status.CANCELLED in exam.allowed_targets(status, exam.Actor.CLINIC),
        needs_critical_ack=bool(report and report.critical and booking.critical_ack_at is None),
    )


def for_resident(engine: Engine, resident_id: str) -> list[tuple[ExamBooking, str]]:
    """The resident's bookings, newest first, each with its state as shown."""
    with read_session(engine) as session:
        bookings = list(
            session.execute(
                select(ExamBooking)
                .where(col(ExamBooking.resident_id) == resident_id, col(ExamBooking.deleted) == False)
                .order_by(col(ExamBooking.booked_at).desc())
            ).scalars()
        )
        shown = [(b, _state(b, _events(session, b.id))) for b in bookings]
        for booking in bookings:
            session.expunge(booking)
    return shown


@dataclass(frozen=True)
class BookingRow:
    """One line of the clinic's list of bookings."""

    id: str
    booking_no: str
    day: date  # the slot's day: booked, or the hospital's new one
    item_name: str
    patient_name: str
    priority: str
    status: str  # as shown: domain.exam.Status
    critical: bool  # a critical report not yet acknowledged


def page(engine: Engine, *, today: date, limit: int = 50, offset: int = 0) -> tuple[list[BookingRow], int, int]:
    """One page of the clinic's bookings, the total and how many hold an unacknowledged critical
    report. Those come first, then the examinations still ahead (from ``today``, nearest day first),
    then the rest, latest day first. A clinic books a few a day: the states are derived in Python
    over them all, as the lab list does."""
    with read_session(engine) as session:
        bookings = list(
            session.execute(
                select(ExamBooking).where(col(ExamBooking.deleted) == False).order_by(col(ExamBooking.booked_at).desc())
            ).scalars()
        )
        events: dict[str, list[ExamEvent]] = {}
        for event in session.execute(
            select(ExamEvent).where(col(ExamEvent.deleted) == False).order_by(col(ExamEvent.arrival))
        ).scalars():
            events.setdefault(event.booking_id, []).append(event)
        rows = []
        for b in bookings:
            mine = events.get(b.id, [])
            moved = [e.day for e in mine if e.day is not None]
            reported = next((e for e in reversed(mine) if e.to_status == exam.Status.REPORTED), None)
            rows.append(
                BookingRow(
                    b.id,
                    b.booking_no,
                    moved[-1] if moved else b.day,
                    b.item_name,
                    b.patient_name,
                    b.priority,
                    _state(b, mine),
                    bool(reported and reported.critical and b.critical_ack_at is None),
                )
            )

    def order(row: BookingRow) -> tuple[int, int]:
        if row.critical:
            return (0, 0)
        if row.status in _BEFORE and row.day >= today:
            return (1, row.day.toordinal())
        return (2, -row.day.toordinal())

    rows.sort(key=order)  # stable: the same day keeps the latest booked first
    return rows[offset : offset + limit], len(rows), sum(r.critical for r in rows)


# --- writing -------------------------------------------------------------------------------------


def book(
    engine: Engine, *, resident_id: str, values: dict[str, Any], user_id: str | None, now: datetime | None = None
) -> tuple[str, str]:
    """Write a booking (``booked``) for a day with a free reserved slot as of the last pull.
    Returns (id, number). Raises ``ExamRefused`` with every problem; nothing is written then."""
    unknown = set(values) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not exam booking form fields: {sorted(unknown)}")
    now = now or utcnow()
    today = clinic_day(now)
    cleaned = {
        **values,
        "priority": values.get("priority") or exam.Priority.ROUTINE.value,
        "clinical_diagnosis": (values.get("clinical_diagnosis") or "").strip(),
        "question": (values.get("question") or "").strip(),
    }
    problems = exam.booking_problems(cleaned, today=today)
    if not problems and not any(
        s.day == cleaned["day"] and s.item_code == cleaned["item_code"] for s in free_slots(engine, today)
    ):
        problems.append(Problem("exam.no_free_slot", NO_FREE_SLOT, field="day"))
    if problems:
        raise ExamRefused(problems)
    exam.transition(None, exam.Status.BOOKED, exam.Actor.CLINIC)
    with unit_of_work(engine) as session:
        resident = get_resident(session, resident_id)
        clinic = current_clinic(session)
        prefix = exam.make_booking_number(clinic.code, today, 1)[:-4]
        taken = session.execute(
            select(col(ExamBooking.booking_no)).where(col(ExamBooking.booking_no).startswith(prefix))
        ).scalars()
        record = ExamBooking(
            clinic_id=clinic.id,
            booking_no=exam.booking_number_after(clinic.code, today, list(taken)),
            status=exam.Status.BOOKED,
            item_name=exam.item_name(cleaned["item_code"]),
            resident_id=resident.id,
            patient_name=resident.name,
            patient_sex=resident.sex,
            patient_birth_date=resident.birth_date,
            patient_id_number=resident.id_number,
            booked_at=now,
            booking_doctor=_name(session, user_id),
            **cleaned,
        )
        records.create(session, record, user_id)
        return record.id, record.booking_no


def cancel(engine: Engine, booking_id: str, *, user_id: str | None) -> None:
    """撤销, before the examination; ``DomainError`` after. A booking the hub refused is cancelled
    too (it then reaches the hub cancelled, holding no slot)."""
    with unit_of_work(engine) as session:
        record = _existing(session, booking_id)
        exam.transition(_state(record, _events(session, booking_id)), exam.Status.CANCELLED, exam.Actor.CLINIC)
        records.update(session, record, {"status": exam.Status.CANCELLED}, user_id)


def acknowledge_critical(engine: Engine, booking_id: str, *, user_id: str | None, now: datetime | None = None) -> None:
    """The signed-in doctor acknowledges the report's critical finding (who and when go to the hub)."""
    with unit_of_work(engine) as session:
        record = _existing(session, booking_id)
        reported = [e for e in _events(session, booking_id) if e.to_status == exam.Status.REPORTED]
        if not reported or not reported[-1].critical:
            raise DomainError(Problem("exam.no_critical", N_("This report holds no critical finding.")))
        if record.critical_ack_at is not None:
            template = N_("The critical value was already acknowledged by {name}.")
            raise DomainError(Problem("exam.critical_acknowledged", template, {"name": record.critical_ack_by}))
        ack = {"critical_ack_at": now or utcnow(), "critical_ack_by": _name(session, user_id)}
        records.update(session, record, ack, user_id)


def _name(session: Session, user_id: str | None) -> str | None:
    staff = session.get(Staff, user_id) if user_id else None
    return staff.name if staff else None


def _existing(session: Session, booking_id: str) -> ExamBooking:
    record = session.get(ExamBooking, booking_id)
    if record is None or record.deleted:
        raise DomainError(Problem("exam.missing", N_("This examination booking is no longer on file.")))
    return record


# --- the resident's timeline (data/resident_service.py) -------------------------------------------


def latest_event(session: Session, booking: ExamBooking) -> ExamEvent | None:
    events = _events(session, booking.id)
    return events[-1] if events else None


def timeline_line(b: ExamBooking, today: date, answer: ExamEvent | None = None) -> str:
    """The examination, where it stands and its day; once reported, the impression first (a critical
    one marked)."""
    from clinic_tui.i18n import _

    status = shown_status(b.status, answer.to_status if answer else None)
    reported = answer is not None and answer.to_status == exam.Status.REPORTED
    critical = reported and answer is not None and answer.critical and b.critical_ack_at is None
    day = answer.day if answer is not None and answer.day else b.day
    # The impression first once reported: what the doctor needs fits 80 columns before the rest.
    impression = answer.impression if reported and answer is not None else None
    parts = [_("CRITICAL") if critical else None, impression, b.item_name, exam.status_label(status), day.isoformat()]
    return " · ".join(p for p in parts if p)
