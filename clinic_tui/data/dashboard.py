"""What the dashboard shows: the day's work, each item a record the doctor can open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlmodel import Session

from clinic_tui.data.models import Contract, FollowupDue, Referral, Resident, Visit

LIMIT = 200  # per section; the list screens page through everything


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


def _local_day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min).astimezone()  # the clinic's own midnight
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def load_dashboard(session: Session, today: date) -> Dashboard:
    return Dashboard(
        visits_today=_visits_today(session, today),
        followups_due=_followups_due(session, today),
        referrals_waiting=_referrals(session, "up", ("review", "sent")),
        downward_received=_referrals(session, "down", ("received",)),
        contracts_expiring=_contracts_expiring(session, today),
    )


def _visits_today(session: Session, today: date) -> list[WorkItem]:
    start, end = _local_day_bounds(today)
    rows = session.execute(
        select(Visit.id, Visit.resident_id, Visit.visit_at, Resident.name, Visit.chief_complaint)
        .join(Resident, Resident.id == Visit.resident_id)
        .where(Visit.visit_at >= start, Visit.visit_at < end, Visit.deleted == False)  # noqa: E712
        .order_by(Visit.visit_at.desc()).limit(LIMIT)
    )
    return [WorkItem("visit", r.id, r.resident_id, r.visit_at, r.name, r.chief_complaint or "") for r in rows]


def _followups_due(session: Session, today: date) -> list[WorkItem]:
    rows = session.execute(
        select(FollowupDue.resident_id, FollowupDue.disease, FollowupDue.next_date, Resident.name)
        .join(Resident, Resident.id == FollowupDue.resident_id)
        .where(FollowupDue.next_date <= today + timedelta(days=7))
        .order_by(FollowupDue.next_date).limit(LIMIT)
    )
    return [WorkItem("resident", r.resident_id, r.resident_id, r.next_date, r.name, r.disease,
                     overdue=r.next_date < today) for r in rows]


def _referrals(session: Session, direction: str, statuses: tuple[str, ...]) -> list[WorkItem]:
    rows = session.execute(
        select(Referral.id, Referral.resident_id, Referral.referral_date, Referral.patient_name,
               Referral.referral_no, Referral.urgency, Referral.to_department_name, Referral.from_org_name)
        .where(Referral.direction == direction, Referral.status.in_(statuses), Referral.deleted == False)  # noqa: E712
        .order_by(Referral.referral_date).limit(LIMIT)
    )
    return [WorkItem("referral", r.id, r.resident_id, r.referral_date, r.patient_name,
                     f"{r.referral_no} {r.to_department_name or r.from_org_name or ''}".strip(),
                     overdue=r.urgency != "normal", urgency=r.urgency) for r in rows]


def _contracts_expiring(session: Session, today: date) -> list[WorkItem]:
    rows = session.execute(
        select(Contract.id, Contract.resident_id, Contract.end_date, Resident.name, Contract.contract_no)
        .join(Resident, Resident.id == Contract.resident_id)
        .where(Contract.status.in_(("active", "expiring")), Contract.end_date >= today,
               Contract.end_date <= today + timedelta(days=30), Contract.deleted == False)  # noqa: E712
        .order_by(Contract.end_date).limit(LIMIT)
    )
    return [WorkItem("contract", r.id, r.resident_id, r.end_date, r.name, r.contract_no) for r in rows]
