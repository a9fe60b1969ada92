"""The examination desk (检查预约台): what the lead hospital does with the clinics' examination
bookings (issue 18). Used by the web desk (/desk/exams, clinic_hub/web/exams.py).

Every move is checked by the domain's state machine (clinic_tui.domain.exam.transition), made in
the caller's transaction with the booking's row locked, and becomes a hub-owned ``exam_event``
record addressed to the booking clinic (the hospital never edits the clinic's record). A
reschedule takes a slot of the new day's pool and gives the old one back (exam_pools); with none
left it is refused (409 ``no_exam_slots_left``) unless the desk decides over quota with a reason,
as with bed pools. A return gives the slot back too.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from clinic_hub import desk_moves, directory, exam_pools
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_hub.models import Clinic, ExamBooking, SyncRecord, table_of
from clinic_tui.domain import exam
from clinic_tui.domain.exam import Status
from clinic_tui.sync.wire import EXAM_EVENT

_bookings = table_of(ExamBooking)
_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
MAX_REPORT = 4000
# A booking moved or cancelled since the page was shown is refused with its state's name.
EXAM = desk_moves.Desk("exam", "booking", _bookings, EXAM_EVENT, exam.WORKFLOW, state=exam.status_label)


def _query():
    urgent_first = sa.case((_bookings.c.priority == exam.Priority.URGENT.value, 0), else_=1)
    return (
        sa.select(_bookings, _clinics.c.code.label("clinic_code"), _records.c.data)
        .join(_clinics, _clinics.c.id == _bookings.c.clinic_id)
        .join(_records, _records.c.id == _bookings.c.id)
        .order_by(_bookings.c.day, urgent_first, _bookings.c.booked_at, _bookings.c.booking_no)
    )


def list_bookings(conn: Connection, first: date, last: date, limit: int = 200) -> list[Row]:
    """The bookings of the days from ``first`` to ``last``, by day, urgent first, then the oldest;
    cancelled and deleted ones left out (their slot is back in the pool)."""
    query = _query().where(
        _bookings.c.deleted.is_(False),
        _bookings.c.status != Status.CANCELLED.value,
        _bookings.c.day >= first,
        _bookings.c.day <= last,
    )
    return list(conn.execute(query.limit(limit)))


def unacknowledged_critical(conn: Connection, limit: int = 100) -> list[Row]:
    query = _query().where(
        _bookings.c.critical.is_(True), _bookings.c.critical_ack_at.is_(None), _bookings.c.deleted.is_(False)
    )
    return list(conn.execute(query.limit(limit)))


def find(conn: Connection, booking_no: str, lock: bool = False) -> Row:
    """The booking; one its clinic deleted is found too (a move refuses it as taken: ``_check``)."""
    return desk_moves.find(conn, EXAM, _query(), booking_no, lock, deleted=False)


def _check(row: Row, target: str, reason: str | None = None, expected: str | None = None) -> None:
    """The move checked (desk_moves.check) after the booking's cancellation or deletion by its
    clinic, refused as taken too."""
    if row.deleted or row.status == Status.CANCELLED:
        raise desk_moves.taken(EXAM, row)
    desk_moves.check(EXAM, row, target, reason, expected)


def _move(
    conn: Connection,
    row: Row,
    target: str,
    actor: Principal,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """The move (desk_moves.move), its event saying the booking's day and slot as they now are."""
    values = values or {}
    where = {"day": values.get("day", row.day).isoformat(), "slot_number": values.get("slot_number", row.slot_number)}
    return desk_moves.move(conn, EXAM, row, target, actor, reason, values=values, extra={**where, **(extra or {})})


def confirm(conn: Connection, actor: Principal, booking_no: str, expected: str | None = None) -> str:
    """已确认: the hospital keeps the slot the clinic booked."""
    row = find(conn, booking_no, lock=True)
    _check(row, Status.CONFIRMED, expected=expected)
    return _move(conn, row, Status.CONFIRMED.value, actor)


def reschedule(
    conn: Connection,
    actor: Principal,
    booking_no: str,
    day: date,
    over_quota_reason: str | None = None,
    expected: str | None = None,
) -> str:
    """已改期: another day; its reserved slot is taken (over the quota only with a reason) and the
    old one given back."""
    row = find(conn, booking_no, lock=True)
    reason = (over_quota_reason or "").strip() or None
    _check(row, Status.RESCHEDULED, expected=expected)
    got = exam_pools.take(conn, row.item_code, day, over_quota=reason is not None)
    exam_pools.release(conn, row.pool_id, row.over_quota)
    values = {
        "day": day,
        "pool_id": got.pool_id,
        "slot_number": got.slot_number,
        "over_quota": got.over_quota,
        "over_quota_reason": reason if got.over_quota else None,
    }
    return _move(conn, row, Status.RESCHEDULED.value, actor, reason if got.over_quota else None, values)


def return_booking(
    conn: Connection, actor: Principal, booking_no: str, reason: str, expected: str | None = None
) -> str:
    """已退回 with a reason (contraindication, pool full...): the slot goes back to the pool."""
    row = find(conn, booking_no, lock=True)
    reason = (reason or "").strip()
    _check(row, Status.RETURNED, reason=reason, expected=expected)
    exam_pools.release(conn, row.pool_id, row.over_quota)
    values = {"returned_reason": reason[:2000], "pool_id": None}
    return _move(conn, row, Status.RETURNED.value, actor, reason[:2000], values)


def mark_examined(conn: Connection, actor: Principal, booking_no: str, expected: str | None = None) -> str:
    row = find(conn, booking_no, lock=True)
    _check(row, Status.EXAMINED, expected=expected)
    now = utcnow()
    return _move(conn, row, Status.EXAMINED.value, actor, values={"examined_at": now})


def report(
    conn: Connection,
    actor: Principal,
    booking_no: str,
    findings: str,
    impression: str,
    recognised: bool = True,
    critical: bool = False,
    expected: str | None = None,
) -> str:
    """已报告: findings (所见) and impression (诊断意见), signed by the caller; a critical report is
    listed on the desk until the clinic acknowledges it."""
    findings, impression = (findings or "").strip(), (impression or "").strip()
    if exam.report_problems(findings, impression):
        raise ApiError(422, "missing_field", field="findings" if not findings else "impression")
    if len(findings) > MAX_REPORT or len(impression) > MAX_REPORT // 2:
        raise ApiError(422, "invalid_value", field="findings")
    row = find(conn, booking_no, lock=True)
    _check(row, Status.REPORTED, expected=expected)
    now = utcnow()
    _code, hospital_name = directory.hospital(conn)
    fields = {
        "findings": findings,
        "impression": impression,
        "reporter": desk_moves.signer(conn, actor),
        "institution": hospital_name or None,
        "recognised": recognised,
        "critical": critical,
    }
    extra = {**fields, "reported_at": now.isoformat()}
    return _move(conn, row, Status.REPORTED.value, actor, values={**fields, "reported_at": now}, extra=extra)


def today() -> date:
    return directory.today_in_china()


def parse_day(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ApiError(422, "bad_day") from None


def as_day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def turnaround(conn: Connection, month: str) -> tuple[int, float | None, float | None]:
    """The bookings reported in ``month`` (YYYY-MM, China time), the median time from the booking
    to its report and the median from the examination to its report, in minutes (None when none
    was reported). The first is the queue's turnaround as for the lab and the reading rooms; it
    includes the wait for the booked day, so the second tells how fast the hospital reads."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=directory.CHINA_TZ)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=directory.CHINA_TZ)
    rows = conn.execute(
        sa.select(_bookings.c.booked_at, _bookings.c.examined_at, _bookings.c.reported_at).where(
            _bookings.c.reported_at >= start.astimezone(UTC),
            _bookings.c.reported_at < end.astimezone(UTC),
            _bookings.c.deleted.is_(False),
        )
    )
    booked: list[float] = []
    examined: list[float] = []
    for booked_at, examined_at, reported_at in rows:
        reported = as_utc(reported_at)
        booked.append(max((reported - as_utc(booked_at)).total_seconds() / 60, 0.0))
        if examined_at is not None:  # always set by the desk's moves; kept safe for odd rows
            examined.append(max((reported - as_utc(examined_at)).total_seconds() / 60, 0.0))
    return (
        len(booked),
        statistics.median(booked) if booked else None,
        statistics.median(examined) if examined else None,
    )
