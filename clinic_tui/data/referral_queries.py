"""What the referral list and the referral page read: one page of rows, counts, one referral.

The list pages in SQL (LIMIT/OFFSET on an indexed order) and never loads every referral; the sync
state is looked up for the rows of the page only. The page's detail keeps the business status (the
state machine's) apart from the sync state (the outbox's), as the data invariants ask (docs/architecture.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Engine, func, or_, select
from sqlmodel import Session

from clinic_tui.data.db import read_session
from clinic_tui.data.models import Clinic, OutboxEntry, Referral, ReferralEvent, Resident
from clinic_tui.data.referral_status import ordered_events
from clinic_tui.data.search_keys import starts_with
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.domain.referral import Actor, Status, allowed_targets
from clinic_tui.i18n import N_

# The list's status groups, in the order the filter bar cycles through them.
STATUS_GROUPS: dict[str, frozenset[str]] = {
    "drafts": frozenset({Status.DRAFT}),
    "waiting": frozenset({Status.REVIEW, Status.SENT, Status.RECEIVED}),
    "answered": frozenset({Status.ACCEPTED, Status.ARRIVED, Status.ACKNOWLEDGED, Status.IN_FOLLOWUP}),
    "closed": frozenset(
        {Status.REJECTED, Status.CANCELLED, Status.EXPIRED, Status.NO_SHOW, Status.COMPLETED, Status.LOST}
    ),
}
GROUP_LABELS = {
    "all": N_("All statuses"),
    "drafts": N_("Drafts"),
    "waiting": N_("Waiting"),
    "answered": N_("Answered"),
    "closed": N_("Closed"),
}
DIRECTION_FILTER_LABELS = {"all": N_("Both directions"), "up": N_("Upward"), "down": N_("Downward")}
# Sync state, apart from the status: queued (in the outbox), rejected by the hub, or synced.
SYNC_QUEUED, SYNC_REJECTED, SYNC_SYNCED = "queued", "rejected", "synced"


@dataclass(frozen=True)
class ReferralFilter:
    direction: str = "all"  # all | up | down
    group: str = "all"  # all | one of STATUS_GROUPS
    text: str = ""  # patient name (or its pinyin) or a part of the referral number


@dataclass(frozen=True)
class ReferralRow:
    id: str
    referral_no: str
    direction: str
    urgency: str
    status: str
    referral_date: date
    patient_name: str
    counterpart: str  # the department it goes to (upward) or came from (downward); else the hospital
    sync_state: str


@dataclass(frozen=True)
class SyncState:
    state: str  # queued | rejected | synced
    waiting: int = 0  # records of this referral still in the outbox (the slip and its events)
    reject_code: str | None = None
    reject_message: str | None = None  # as the hub said it; the screen says it again (sync/rejections.py)
    reject_params: dict[str, str] | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    origin: str  # clinic | hub
    actor: str
    actor_name: str | None
    from_status: str | None
    to_status: str
    reason: str | None
    appointment_department: str | None
    appointment_doctor: str | None
    appointment_at: datetime | None
    appointment_slot_id: str | None
    admission_at: datetime | None = None  # an inpatient acceptance: the admission day, a reserved bed


@dataclass(frozen=True)
class ReferralDetail:
    referral: Referral
    clinic: Clinic | None  # this database's clinic: the header of the printed slip
    history: list[HistoryEntry]
    answer: HistoryEntry | None  # the hospital's latest decision (accepted with appointment, rejected)
    sync: SyncState
    actions: tuple[Status, ...] = field(default=())  # the statuses the clinic may move it to now

    @property
    def can_cancel(self) -> bool:
        return Status.CANCELLED in self.actions

    @property
    def can_edit(self) -> bool:
        return self.referral.origin == "clinic" and self.referral.status == Status.DRAFT


class ReferralNotFound(DomainError):
    def __init__(self) -> None:
        super().__init__(Problem("referral.missing", N_("This referral is no longer on file.")))


def _filtered(statement, flt: ReferralFilter):
    statement = statement.where(Referral.deleted == False)
    if flt.direction != "all":
        statement = statement.where(Referral.direction == flt.direction)
    if flt.group != "all":
        statement = statement.where(Referral.status.in_(sorted(STATUS_GROUPS[flt.group])))
    text = flt.text.strip()
    if text:
        from clinic_tui.search.pinyin import normalize_query

        folded = normalize_query(text)
        matches = [
            starts_with(Referral.patient_name, text),
            func.instr(func.upper(Referral.referral_no), text.upper()) > 0,
        ]
        if folded:
            matches += [starts_with(Resident.name_initials, folded), starts_with(Resident.name_pinyin, folded)]
        statement = statement.outerjoin(Resident, Resident.id == Referral.resident_id).where(or_(*matches))
    return statement


def list_referrals(engine: Engine, flt: ReferralFilter, *, limit: int = 50, offset: int = 0) -> list[ReferralRow]:
    """One page of referrals matching ``flt``, newest first."""
    columns = (
        Referral.id,
        Referral.referral_no,
        Referral.direction,
        Referral.urgency,
        Referral.status,
        Referral.referral_date,
        Referral.patient_name,
        Referral.to_org_name,
        Referral.to_department_name,
        Referral.from_org_name,
        Referral.from_department,
    )
    statement = (
        _filtered(select(*columns), flt)
        .order_by(Referral.referral_date.desc(), Referral.referral_no.desc())
        .limit(limit)
        .offset(offset)
    )
    with read_session(engine) as session:
        rows = session.execute(statement).all()
        states = _list_sync_states(session, [r.id for r in rows])
    return [
        ReferralRow(
            r.id,
            r.referral_no,
            r.direction,
            r.urgency,
            r.status,
            r.referral_date,
            r.patient_name,
            # The department says most in a narrow column: nearly every slip goes to (or comes
            # from) the one lead hospital, which the referral's page names.
            (r.to_department_name or r.to_org_name if r.direction == "up" else r.from_department or r.from_org_name)
            or "",
            states.get(r.id, SYNC_SYNCED),
        )
        for r in rows
    ]


def count_by_status(engine: Engine, flt: ReferralFilter) -> dict[str, int]:
    """How many referrals of each status match ``flt``'s direction and text (its group aside)."""
    everything = ReferralFilter(direction=flt.direction, group="all", text=flt.text)
    statement = _filtered(select(Referral.status, func.count()), everything).group_by(Referral.status)
    with read_session(engine) as session:
        return {status: count for status, count in session.execute(statement)}


def group_counts(by_status: dict[str, int]) -> dict[str, int]:
    """The filter bar's numbers: each group's total, and "all"."""
    counts = Counter({"all": sum(by_status.values())})
    for group, statuses in STATUS_GROUPS.items():
        counts[group] = sum(n for status, n in by_status.items() if status in statuses)
    return dict(counts)


def referral_detail(engine: Engine, referral_id: str) -> ReferralDetail:
    """Everything the referral page shows; ``ReferralNotFound`` when it is gone."""
    from clinic_tui.data.lookups import current_clinic

    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.deleted:
            raise ReferralNotFound()
        try:
            clinic = current_clinic(session)
        except DomainError:
            clinic = None
        history = [_entry(event) for event in ordered_events(session, referral_id)]
        answers = [h for h in history if h.origin == "hub" and h.to_status in (Status.ACCEPTED, Status.REJECTED)]
        actions = tuple(s for s in allowed_targets(referral.direction, referral.status, Actor.CLINIC))
        return ReferralDetail(
            referral, clinic, history, answers[-1] if answers else None, _sync_state(session, referral_id), actions
        )


def _entry(event: ReferralEvent) -> HistoryEntry:
    return HistoryEntry(
        event.at,
        event.origin,
        event.actor,
        event.actor_name,
        event.from_status,
        event.to_status,
        event.reason,
        event.appointment_department_name or event.appointment_department_code,
        event.appointment_doctor,
        event.appointment_at,
        event.appointment_slot_id,
        event.admission_at,
    )


def _sync_state(session: Session, referral_id: str) -> SyncState:
    """The outbox rows of the slip and of the clinic's events about it: the worst one decides."""
    event_ids = select(ReferralEvent.id).where(ReferralEvent.referral_id == referral_id)
    rows = (
        session.execute(
            select(OutboxEntry).where(
                or_(
                    (OutboxEntry.kind == "referral") & (OutboxEntry.record_id == referral_id),
                    (OutboxEntry.kind == "referral_event") & OutboxEntry.record_id.in_(event_ids),
                )
            )
        )
        .scalars()
        .all()
    )
    rejected = next((row for row in rows if row.state == "rejected"), None)
    if rejected is not None:
        return SyncState(
            SYNC_REJECTED, len(rows), rejected.reject_code, rejected.reject_message, rejected.reject_params
        )
    return SyncState(SYNC_QUEUED if rows else SYNC_SYNCED, len(rows))


def _list_sync_states(session: Session, referral_ids: list[str]) -> dict[str, str]:
    """The sync state of each referral of one page (two small queries, whatever the page)."""
    if not referral_ids:
        return {}
    owner: dict[str, str] = dict(
        session.execute(
            select(ReferralEvent.id, ReferralEvent.referral_id).where(ReferralEvent.referral_id.in_(referral_ids))
        ).all()
    )
    queued = session.execute(
        select(OutboxEntry.kind, OutboxEntry.record_id, OutboxEntry.state).where(
            or_(
                (OutboxEntry.kind == "referral") & OutboxEntry.record_id.in_(referral_ids),
                (OutboxEntry.kind == "referral_event") & OutboxEntry.record_id.in_(list(owner)),
            )
        )
    ).all()
    states: dict[str, str] = {}
    for kind, record_id, state in queued:
        referral_id = record_id if kind == "referral" else owner[record_id]
        if states.get(referral_id) != SYNC_REJECTED:
            states[referral_id] = SYNC_REJECTED if state == "rejected" else SYNC_QUEUED
    return states
