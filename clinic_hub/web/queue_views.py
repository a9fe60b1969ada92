"""The referral desk's reads beside the desk's own queries (clinic_hub/desk.py): the queue's pages
and tab counts, department names, the reserved-slot matrix of the pools page, the resident's recent
follow-ups and the slips sent down from an upward one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import desk
from clinic_hub.directory import SLOTS, PoolKind
from clinic_hub.models import Clinic, Department, Referral, SyncRecord, table_of
from clinic_hub.referral_rules import UP, URGENCIES
from clinic_hub.schemas.desk import ReferralSummary
from clinic_hub.web.views import T, label, text
from clinic_tui.domain.followup import CLASSIFICATION_LABELS, DISEASE_LABELS
from clinic_tui.domain.referral import Status
from clinic_tui.sync.wire import FOLLOWUP, REFERRAL

_records = table_of(SyncRecord)
_referrals = table_of(Referral)
_clinics = table_of(Clinic)
_departments = table_of(Department)

RECENT_FOLLOWUPS = 5
# Statuses a slip reaches only after it was sent.
INDEXED_TABS = (Status.SENT.value, Status.ACCEPTED.value, Status.ARRIVED.value)

# --- reads the pages need beside the desk's own -----------------------------------------------------


def _page_query(department: str | None = None):
    query = (
        sa.select(_referrals, _clinics.c.code.label("clinic_code"))
        .join(_clinics, _clinics.c.id == _referrals.c.clinic_id)
        .where(_referrals.c.direction == UP, _referrals.c.deleted.is_(False))
    )
    if department:
        query = query.where(_referrals.c.appointment_department_code == department)
    return query


def _sorted_page(
    conn: Connection, status: str | None, limit: int, offset: int, department: str | None = None
) -> Sequence[Any]:
    """The page by one sort of the matching rows, in the desk's order (clinic_hub.desk.QUEUE_ORDER,
    as list_referrals)."""
    query = desk.in_tab(_page_query(department), status).order_by(*desk.QUEUE_ORDER).limit(limit).offset(offset)
    return conn.execute(query).all()


def _indexed_page(conn: Connection, status: str, limit: int, offset: int, department: str | None = None) -> list:
    """The same page for one status, read from the (direction, deleted, status, urgency, sent_at)
    index: how many of each urgency, then only the rows of the page, urgency by urgency. A queue of
    thousands costs no more than a queue of fifty. (Every slip of these statuses has a sent_at.)"""
    count_query = (
        sa.select(_referrals.c.urgency, sa.func.count())
        .where(_referrals.c.direction == UP, _referrals.c.deleted.is_(False), _referrals.c.status == status)
        .group_by(_referrals.c.urgency)
    )
    if department:
        count_query = count_query.where(_referrals.c.appointment_department_code == department)
    counts: dict[str, int] = dict(conn.execute(count_query).all())
    rows: list = []
    for urgency in (*URGENCIES, *sorted(set(counts) - set(URGENCIES))):
        here = counts.get(urgency, 0)
        if offset >= here:
            offset -= here
            continue
        take = min(limit - len(rows), here - offset)
        rows += conn.execute(
            _page_query(department)
            .where(_referrals.c.status == status, _referrals.c.urgency == urgency)
            .order_by(_referrals.c.sent_at, _referrals.c.referral_no)
            .limit(take)
            .offset(offset)
        ).all()
        offset = 0
        if len(rows) >= limit:
            break
    return rows


def queue_page(
    conn: Connection, status: str | None, limit: int, offset: int, department: str | None = None
) -> list[ReferralSummary]:
    """One page of the upward queue in the desk's order: green channel, urgent, normal, then the
    longest waiting (as clinic_hub.desk.list_referrals); with ``department``, only the referrals
    booked into it (a doctor's view). The patients' names are read for the page's rows only."""
    rows: Sequence[Any]
    if status in INDEXED_TABS:
        rows = _indexed_page(conn, status, limit, offset, department)
    else:
        rows = _sorted_page(conn, status, limit, offset, department)
    data = _records.c.data
    patients = (
        {
            record_id: (name, sex)
            for record_id, name, sex in conn.execute(
                sa.select(_records.c.id, data["patient_name"].as_string(), data["patient_sex"].as_string()).where(
                    _records.c.id.in_([row.id for row in rows])
                )
            )
        }
        if rows
        else {}
    )
    return [desk.summary_of(row, *patients.get(row.id, (None, None))) for row in rows]


def status_counts(conn: Connection, direction: str = "up", department: str | None = None) -> dict[str, int]:
    """Referrals per status (the queue's tabs), from the queue's index."""
    query = (
        sa.select(_referrals.c.status, sa.func.count())
        .where(_referrals.c.direction == direction, _referrals.c.deleted.is_(False))
        .group_by(_referrals.c.status)
    )
    if department:
        query = query.where(_referrals.c.appointment_department_code == department)
    return {status: count for status, count in conn.execute(query)}


def department_names(conn: Connection) -> dict[str, str]:
    return {
        code: name
        for code, name in conn.execute(
            sa.select(_departments.c.code, _departments.c.name)
            .where(_departments.c.active.is_(True))
            .order_by(_departments.c.code)
        )
    }


@dataclass
class PoolCell:
    reserved: int
    used: int
    over_quota: int
    total: int = 0

    @property
    def remaining(self) -> int:
        return max(self.reserved - self.used, 0)


def pool_matrix(
    conn: Connection, start: date, days: int = 7, kind: PoolKind = SLOTS
) -> tuple[list[date], dict[str, dict[date, PoolCell]]]:
    """Reserved primary-care slots (or beds) per department and day for the next days, as opened (a
    day never opened is made from the department's daily count when first booked, so it shows as
    blank)."""
    dates = [start + timedelta(days=i) for i in range(days)]
    cells: dict[str, dict[date, PoolCell]] = {}
    table = kind.table
    rows = conn.execute(sa.select(table).where(table.c.day >= start, table.c.day < start + timedelta(days=days)))
    for row in rows:
        cells.setdefault(row.department_code, {})[row.day] = PoolCell(row.reserved, row.used, row.over_quota, row.total)
    return dates, cells


@dataclass
class FollowupRow:
    id: str
    date: str
    disease: str
    blood_pressure: str
    glucose: str
    classification: str
    next_date: str


def recent_followups(
    t: T, conn: Connection, clinic_id: str, resident_id: Any, limit: int = RECENT_FOLLOWUPS
) -> list[FollowupRow]:
    """The resident's latest follow-ups the hub holds from the referring clinic."""
    if not resident_id or not isinstance(resident_id, str):
        return []
    data = _records.c.data
    query = (
        sa.select(_records.c.id, data)
        .where(
            _records.c.origin == "clinic",
            _records.c.clinic_id == clinic_id,
            _records.c.kind == FOLLOWUP,
            _records.c.deleted.is_(False),
            data["resident_id"].as_string() == resident_id,
        )
        .order_by(data["followup_date"].as_string().desc())
        .limit(limit)
    )
    rows = []
    for record_id, f in conn.execute(query):
        f = f or {}
        bp = f"{text(f.get('sbp'))}/{text(f.get('dbp'))}" if f.get("sbp") or f.get("dbp") else ""
        glucose = text(f.get("fasting_glucose"))
        rows.append(
            FollowupRow(
                record_id,
                text(f.get("followup_date")),
                label(t, DISEASE_LABELS, f.get("disease")),
                bp,
                glucose,
                label(t, CLASSIFICATION_LABELS, f.get("classification")),
                text(f.get("next_date")),
            )
        )
    return rows


def sent_down_from(conn: Connection, up_referral_id: str) -> list[tuple[str, str]]:
    """(number, status) of the downward referrals the hospital made from this upward one."""
    data = _records.c.data
    ids = (
        conn.execute(
            sa.select(_records.c.id).where(
                _records.c.origin == "hub",
                _records.c.kind == REFERRAL,
                data["up_referral_id"].as_string() == up_referral_id,
            )
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    return [
        (row.referral_no, row.status)
        for row in conn.execute(
            sa.select(_referrals.c.referral_no, _referrals.c.status)
            .where(_referrals.c.id.in_(ids))
            .order_by(_referrals.c.created_at)
        )
    ]
