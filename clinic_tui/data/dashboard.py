"""What the dashboard shows: the day's work, each item a record the doctor can open.

Read with plain SQLite (no ORM): the dashboard is the first thing an ordinary start fills, before
SQLAlchemy has loaded (see data/store.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from clinic_tui import clock
from clinic_tui.data.sqlite_file import read_datetime, stored_datetime

LIMIT = 200  # per section; the list screens page through everything

# The reported critical values not acknowledged (data/remote_requests.py's and data/lab_orders.py's
# rules, in plain SQL: the header and the dashboard read it before the ORM loads). A lab order's
# results count when they are about its current specimen (``attempt``): the latest event holding
# them (a report, a partial one, a correction; a rejection ends them) holds a critical value, and
# the doctor's acknowledgement does not name the latest alert (a correction to critical raises one).
_LAB_LATEST = (
    "(SELECT e.{column} FROM lab_event e WHERE e.order_id = o.id AND e.attempt = o.attempt AND e.deleted = 0"
    " AND {which} ORDER BY e.arrival DESC LIMIT 1)"
)
_LAB_RESULTS = "(e.partial = 1 OR e.to_status IN ('reported', 'rejected'))"
_LAB_ALERT = _LAB_LATEST.format(column="id", which="e.alert = 1")
_LAB_CRITICAL_WHERE = (
    f"o.deleted = 0 AND {_LAB_LATEST.format(column='critical', which=_LAB_RESULTS)} = 1"
    f" AND coalesce(o.critical_ack_event, '') != coalesce({_LAB_ALERT}, "
    f"{_LAB_LATEST.format(column='id', which=_LAB_RESULTS)})"
)
# An examination report (data/exam_bookings.py): reported is final, so any critical report counts.
_EXAM_CRITICAL_WHERE = (
    "b.deleted = 0 AND b.critical_ack_at IS NULL AND e.booking_id = b.id"
    " AND e.deleted = 0 AND e.to_status = 'reported' AND e.critical = 1"
)
CRITICAL_COUNT_SQL = (
    "SELECT (SELECT count(*) FROM remote_request r WHERE r.deleted = 0 AND r.critical_ack_at IS NULL AND EXISTS "
    "(SELECT 1 FROM remote_event e WHERE e.request_id = r.id AND e.deleted = 0 AND e.to_status = 'reported' "
    f"AND e.critical = 1)) + (SELECT count(*) FROM lab_order o WHERE {_LAB_CRITICAL_WHERE})"
    f" + (SELECT count(*) FROM exam_booking b WHERE EXISTS (SELECT 1 FROM exam_event e WHERE {_EXAM_CRITICAL_WHERE}))"
)


@dataclass(frozen=True)
class WorkItem:
    kind: str  # the record to open: resident | referral | contract | visit
    record_id: str
    resident_id: str | None
    when: date | datetime | None
    name: str
    detail: str
    overdue: bool = False
    urgency: str | None = None  # referrals: normal | urgent | emergency (the green channel)


@dataclass(frozen=True)
class Dashboard:
    visits_today: list[WorkItem]
    followups_due: list[WorkItem]  # due within the week, overdue ones first
    referrals_waiting: list[WorkItem]
    downward_received: list[WorkItem]
    contracts_expiring: list[WorkItem]
    critical_values: list[
        WorkItem
    ]  # remote reports, lab results and examination reports whose critical value (危急值) no one acknowledged


def _local_day_bounds(day: date) -> tuple[str, str]:
    start = clock.at(day)  # the clinic's own midnight, in the configured zone
    return stored_datetime(start), stored_datetime(start + timedelta(days=1))


def load_dashboard(connection: sqlite3.Connection, today: date) -> Dashboard:
    return Dashboard(
        visits_today=_visits_today(connection, today),
        followups_due=_followups_due(connection, today),
        referrals_waiting=_referrals(connection, "up", ("review", "sent")),
        downward_received=_referrals(connection, "down", ("received",)),
        contracts_expiring=_contracts_expiring(connection, today),
        critical_values=_critical_values(connection)
        + _lab_critical_values(connection)
        + _exam_critical_values(connection),
    )


def _critical_values(connection: sqlite3.Connection) -> list[WorkItem]:
    """Remote reports with a critical value no doctor has acknowledged: shown first, in red."""
    rows = connection.execute(
        "SELECT q.id, q.resident_id, q.patient_name, q.request_no, e.signed_at, e.critical_note"
        " FROM remote_request q JOIN remote_event e ON e.request_id = q.id"
        " WHERE q.deleted = 0 AND q.critical_ack_at IS NULL AND e.deleted = 0 AND e.to_status = 'reported'"
        " AND e.critical = 1 ORDER BY e.arrival LIMIT ?",
        (LIMIT,),
    )
    return [
        WorkItem(
            "remote_request",
            r["id"],
            r["resident_id"],
            read_datetime(r["signed_at"]),
            r["patient_name"],
            f"{r['request_no']} {r['critical_note'] or ''}".strip(),
            overdue=True,
        )
        for r in rows
    ]


def _lab_critical_values(connection: sqlite3.Connection) -> list[WorkItem]:
    """Lab results with a critical value no doctor has acknowledged (after the remote reports)."""
    rows = connection.execute(
        "SELECT o.id, o.resident_id, o.patient_name, o.order_no, "
        f"{_LAB_LATEST.format(column='at', which=_LAB_RESULTS)} AS alerted_at,"
        f" {_LAB_LATEST.format(column='arrival', which=_LAB_RESULTS)} AS arrival FROM lab_order o"
        f" WHERE {_LAB_CRITICAL_WHERE} ORDER BY arrival LIMIT ?",
        (LIMIT,),
    )
    return [
        WorkItem(
            "lab_order",
            r["id"],
            r["resident_id"],
            read_datetime(r["alerted_at"]),
            r["patient_name"],
            r["order_no"],
            overdue=True,
        )
        for r in rows
    ]


def _exam_critical_values(connection: sqlite3.Connection) -> list[WorkItem]:
    """Examination reports with a critical finding no doctor has acknowledged (after the lab's)."""
    rows = connection.execute(
        "SELECT b.id, b.resident_id, b.patient_name, b.booking_no, b.item_name, e.reported_at"
        f" FROM exam_booking b, exam_event e WHERE {_EXAM_CRITICAL_WHERE} ORDER BY e.arrival LIMIT ?",
        (LIMIT,),
    )
    return [
        WorkItem(
            "exam_booking",
            r["id"],
            r["resident_id"],
            read_datetime(r["reported_at"]),
            r["patient_name"],
            f"{r['booking_no']} {r['item_name']}",
            overdue=True,
        )
        for r in rows
    ]


def _visits_today(connection: sqlite3.Connection, today: date) -> list[WorkItem]:
    start, end = _local_day_bounds(today)
    rows = connection.execute(
        "SELECT v.id, v.resident_id, v.visit_at, r.name, v.chief_complaint FROM visit v"
        " JOIN resident r ON r.id = v.resident_id"
        " WHERE v.visit_at >= ? AND v.visit_at < ? AND NOT v.deleted ORDER BY v.visit_at DESC LIMIT ?",
        (start, end, LIMIT),
    )
    return [
        WorkItem(
            "visit", r["id"], r["resident_id"], read_datetime(r["visit_at"]), r["name"], r["chief_complaint"] or ""
        )
        for r in rows
    ]


def _followups_due(connection: sqlite3.Connection, today: date) -> list[WorkItem]:
    rows = connection.execute(
        "SELECT f.resident_id, f.disease, f.next_date, r.name FROM followup_due f"
        " JOIN resident r ON r.id = f.resident_id WHERE f.next_date <= ? ORDER BY f.next_date LIMIT ?",
        ((today + timedelta(days=7)).isoformat(), LIMIT),
    )
    items = []
    for r in rows:
        due = date.fromisoformat(r["next_date"])
        items.append(
            WorkItem("resident", r["resident_id"], r["resident_id"], due, r["name"], r["disease"], overdue=due < today)
        )
    return items


def _referrals(connection: sqlite3.Connection, direction: str, statuses: tuple[str, ...]) -> list[WorkItem]:
    rows = connection.execute(
        "SELECT id, resident_id, referral_date, patient_name, referral_no, urgency, to_department_name,"
        " from_org_name FROM referral"
        f" WHERE direction = ? AND status IN ({', '.join('?' * len(statuses))}) AND NOT deleted"
        " ORDER BY referral_date LIMIT ?",
        (direction, *statuses, LIMIT),
    )
    return [
        WorkItem(
            "referral",
            r["id"],
            r["resident_id"],
            date.fromisoformat(r["referral_date"]),
            r["patient_name"],
            f"{r['referral_no']} {r['to_department_name'] or r['from_org_name'] or ''}".strip(),
            overdue=r["urgency"] != "normal",
            urgency=r["urgency"],
        )
        for r in rows
    ]


def _contracts_expiring(connection: sqlite3.Connection, today: date) -> list[WorkItem]:
    rows = connection.execute(
        "SELECT c.id, c.resident_id, c.end_date, r.name, c.contract_no FROM contract c"
        " JOIN resident r ON r.id = c.resident_id"
        " WHERE c.status IN ('active', 'expiring') AND c.end_date >= ? AND c.end_date <= ? AND NOT c.deleted"
        " ORDER BY c.end_date LIMIT ?",
        (today.isoformat(), (today + timedelta(days=30)).isoformat(), LIMIT),
    )
    return [
        WorkItem("contract", r["id"], r["resident_id"], date.fromisoformat(r["end_date"]), r["name"], r["contract_no"])
        for r in rows
    ]
