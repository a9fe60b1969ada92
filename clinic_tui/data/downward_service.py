"""Downward referrals (下转) received from the lead hospital: the inbox, and acknowledging one.

A downward referral is the hub's row: the clinic never edits it (docs/protocol.md, "Referrals and
ownership"). Acknowledging it is one user action in one transaction: the clinic's own
``ReferralEvent`` (received -> acknowledged, written through ``records`` so it is audited and
queued), the referral's effective status recomputed from its events (``referral_status``), and a
``Task`` for each follow-up the hospital asked for, due that many days after the referral date.
When the slip names no local resident, the doctor matches one (same ID number, or same name and
birth date) or registers the patient from the slip, in the same transaction; the tasks carry the
resident, which is how the clinic remembers whom the referral is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, case, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import (
    Referral,
    ReferralEvent,
    Resident,
    Staff,
    Task,
    utcnow,
)
from clinic_tui.data.referral_status import recompute_status
from clinic_tui.data.residents import ResidentHit, likely_duplicates
from clinic_tui.domain.idnumber import validate_citizen_id
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.domain.referral import (
    CHECK_UP_DAYS,
    Actor,
    Direction,
    Status,
    transition,
)
from clinic_tui.i18n import N_

TASK_KIND = "downward_followup"
INBOX_LIMIT = 200
CITIZEN_ID_CARD = "01"


@dataclass(frozen=True)
class InboxRow:
    id: str
    referral_no: str
    patient_name: str
    referral_date: date
    status: str
    from_org_name: str | None
    resident_id: str | None  # the slip's, or the one matched when it was acknowledged


@dataclass(frozen=True)
class DownwardDetails:
    id: str
    referral_no: str
    status: str
    referral_date: date
    from_org_name: str | None
    from_department: str | None
    from_doctor_name: str | None
    patient_name: str
    patient_sex: str | None
    patient_birth_date: date | None
    patient_id_number: str | None
    patient_phone: str | None
    discharge_diagnoses: list[dict]
    outcome: str | None
    treatment_plan: str | None
    rehab_guidance: str | None
    medication_to_continue: str | None
    followup_schedule: list[dict]
    resident_id: str | None
    tasks: list[tuple[date, str, bool]]  # (due, title, done)


def _resident_of(session: Session, referral: Referral) -> str | None:
    if referral.resident_id:
        return referral.resident_id
    return session.execute(
        select(col(Task.resident_id))
        .where(
            col(Task.source_kind) == "referral",
            col(Task.source_id) == referral.id,
            col(Task.resident_id).is_not(None),
            col(Task.deleted) == False,
        )
        .limit(1)
    ).scalar_one_or_none()


def inbox(engine: Engine, *, waiting_only: bool = False, limit: int = INBOX_LIMIT) -> list[InboxRow]:
    """Downward referrals, those awaiting acknowledgement first, then the newest first."""
    query = select(Referral).where(col(Referral.direction) == Direction.DOWN, col(Referral.deleted) == False)
    if waiting_only:
        query = query.where(col(Referral.status) == Status.RECEIVED)
    waiting_first = case((col(Referral.status) == Status.RECEIVED, 0), else_=1)
    query = query.order_by(waiting_first, col(Referral.referral_date).desc(), col(Referral.referral_no)).limit(limit)
    with read_session(engine) as session:
        return [
            InboxRow(
                r.id,
                r.referral_no,
                r.patient_name,
                r.referral_date,
                r.status,
                r.from_org_name,
                _resident_of(session, r),
            )
            for r in session.execute(query).scalars()
        ]


def _downward(session: Session, referral_id: str) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or referral.deleted or referral.direction != Direction.DOWN:
        raise DomainError(Problem("referral.missing", N_("This referral is no longer on file.")))
    return referral


def details(engine: Engine, referral_id: str) -> DownwardDetails:
    with read_session(engine) as session:
        r = _downward(session, referral_id)
        tasks = session.execute(
            select(col(Task.due_date), col(Task.title), col(Task.done_at))
            .where(col(Task.source_kind) == "referral", col(Task.source_id) == r.id, col(Task.deleted) == False)
            .order_by(col(Task.due_date))
        ).all()
        return DownwardDetails(
            r.id,
            r.referral_no,
            r.status,
            r.referral_date,
            r.from_org_name,
            r.from_department,
            r.from_doctor_name,
            r.patient_name,
            r.patient_sex,
            r.patient_birth_date,
            r.patient_id_number,
            r.patient_phone,
            list(r.discharge_diagnoses or []),
            r.outcome,
            r.treatment_plan,
            r.rehab_guidance,
            r.medication_to_continue,
            list(r.followup_schedule or []),
            _resident_of(session, r),
            [(t.due_date, t.title, t.done_at is not None) for t in tasks],
        )


def candidates(engine: Engine, referral_id: str) -> list[ResidentHit]:
    """Residents who are probably the patient on the slip: same ID number, or same name and birth date."""
    with read_session(engine) as session:
        r = _downward(session, referral_id)
        return likely_duplicates(
            session,
            name=r.patient_name,
            birth_date=r.patient_birth_date,
            id_type=r.patient_id_type,
            id_number=r.patient_id_number,
        )


def schedule_dates(referral_date: date, schedule: list[dict]) -> list[tuple[date, str]]:
    """(due date, what) for each follow-up asked for; a slip that asks for none still gets one
    check within two weeks, so no discharged patient is forgotten."""
    planned = [
        (referral_date + timedelta(days=int(item.get("after_days") or 0)), str(item.get("what") or ""))
        for item in schedule
    ]
    return sorted(planned) or [(referral_date + timedelta(days=CHECK_UP_DAYS), "")]


def acknowledge(
    engine: Engine,
    referral_id: str,
    *,
    user_id: str | None,
    resident_id: str | None = None,
    register_patient: bool = False,
) -> list[str]:
    """Acknowledge the referral (received -> acknowledged) and schedule its follow-ups; returns
    the new tasks' ids. ``resident_id`` matches a slip without a local resident; with
    ``register_patient`` the patient is registered from the slip instead. Raises ``DomainError``
    (nothing written) when the move is refused or no resident is known."""
    with unit_of_work(engine) as session:
        referral = _downward(session, referral_id)
        current = referral.status
        transition(referral.direction, current, Status.ACKNOWLEDGED, Actor.CLINIC)
        who = referral.resident_id or resident_id
        if who is None and register_patient:
            who = _register_from_slip(session, referral, user_id)
        if who is None or (resident := session.get(Resident, who)) is None or resident.deleted:
            raise DomainError(
                Problem(
                    "downward.resident_missing",
                    N_("Choose the resident this referral is about, or register the patient."),
                )
            )
        staff = session.get(Staff, user_id) if user_id else None
        clinic_id = current_clinic(session).id  # the event and the tasks are the clinic's own
        event = ReferralEvent(
            clinic_id=clinic_id,
            referral_id=referral.id,
            origin="clinic",
            from_status=current,
            to_status=Status.ACKNOWLEDGED,
            actor=Actor.CLINIC,
            actor_name=staff.name if staff else None,
            at=utcnow(),
        )
        records.create(session, event, user_id)
        session.flush()
        recompute_status(session, referral)
        task_ids = []
        for due, what in schedule_dates(referral.referral_date, list(referral.followup_schedule or [])):
            title = f"{what} · {referral.referral_no}" if what else referral.referral_no
            task = Task(
                clinic_id=clinic_id,
                resident_id=who,
                kind=TASK_KIND,
                title=title,
                due_date=due,
                source_kind="referral",
                source_id=referral.id,
            )
            task_ids.append(records.create(session, task, user_id).id)
        return task_ids


def _register_from_slip(session: Session, referral: Referral, user_id: str | None) -> str:
    id_type = referral.patient_id_type or CITIZEN_ID_CARD
    number = referral.patient_id_number
    if id_type == CITIZEN_ID_CARD and number:
        check = validate_citizen_id(number)
        if not check.ok:
            raise DomainError(next(p for p in check.problems if p.severity is Severity.ERROR))
        number = check.normalized
    if likely_duplicates(
        session, name=referral.patient_name, birth_date=referral.patient_birth_date, id_type=id_type, id_number=number
    ):
        raise DomainError(
            Problem(
                "downward.already_registered",
                N_("This patient seems to be registered already: choose them from the list."),
            )
        )
    resident = Resident(
        clinic_id=current_clinic(session).id,
        name=referral.patient_name,
        sex=referral.patient_sex or "9",
        birth_date=referral.patient_birth_date,
        id_type=id_type,
        id_number=number or None,
        phone=referral.patient_phone,
        address=referral.patient_address,
        insurance_type=referral.patient_insurance_type,
        insurance_no=referral.patient_insurance_no,
    )
    return records.create(session, resident, user_id).id
