"""Residents for the two resident screens: register, edit, find likely duplicates, and the page
with the resident's facts and timeline.

Each function is one read or one user action; writes go through ``records`` so the change, its
audit entry and its outbox row commit together. Every query is an indexed lookup on the resident
and is capped, so a resident with years of visits opens as fast as a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from clinic_tui import clock
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.exam_bookings import latest_event as exam_latest_event
from clinic_tui.data.exam_bookings import timeline_line as exam_timeline_line
from clinic_tui.data.models import (
    Contract,
    ExamBooking,
    Followup,
    LabEvent,
    LabOrder,
    Referral,
    RemoteEvent,
    RemoteRequest,
    Resident,
    Task,
    Visit,
)
from clinic_tui.data.resident_views import (
    TIMELINE_LIMIT,
    ContractFacts,
    Duplicate,
    ResidentFacts,
    ResidentNotFound,
    Timeline,
    TimelineItem,
)
from clinic_tui.data.residents import likely_duplicates
from clinic_tui.domain.age import completed_years
from clinic_tui.domain.codes import CITIZEN_ID_CARD, KEY_POPULATION, VISIT_MODE
from clinic_tui.domain.contract import (
    CHRONIC_CODE_TAGS,
    MANUAL_TAGS,
    derive_key_populations,
)
from clinic_tui.domain.contract import (
    STATUS_LABELS as CONTRACT_STATUS_LABELS,
)
from clinic_tui.domain.followup import CLASSIFICATION_LABELS, DISEASE_LABELS, Classification
from clinic_tui.domain.idnumber import mask_citizen_id, validate_citizen_id
from clinic_tui.domain.phone import validate_phone
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.domain.referral import DIRECTION_LABELS, status_label
from clinic_tui.i18n import N_, _

# The resident columns the form edits, named as in the model.
FORM_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_type",
    "id_number",
    "phone",
    "address",
    "division_name",
    "health_record_no",
    "insurance_type",
    "insurance_no",
    "emergency_contact",
    "emergency_phone",
    "chronic_conditions",
    "manual_population_tags",
)
_LIST_FIELDS = ("chronic_conditions", "manual_population_tags")
_PHONE_FIELDS = ("phone", "emergency_phone")
SEX_NOT_STATED = "9"
_ACTIVE_CONTRACT = ("active", "expiring")


# --- registering and editing ---------------------------------------------------------------


def resident_values(engine: Engine, resident_id: str) -> dict[str, Any]:
    """The stored values of the form's fields (lists for the code lists)."""
    with read_session(engine) as session:
        resident = _resident(session, resident_id)
        return {name: getattr(resident, name) for name in FORM_FIELDS}


def _stored_row(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as they are stored, or DomainError for one that must never be stored.

    A citizen ID is normalised to 18 upper-case characters (a 15-digit one upgraded) and fills
    the sex and birth date left empty; phones are kept in their normal form; empty text is None.
    """
    row = {name: _blank_to_none(values.get(name)) for name in FORM_FIELDS}
    if not row["name"]:
        raise DomainError(Problem("resident.name_missing", N_("Enter the resident's name."), field="name"))
    row["id_type"] = row["id_type"] or CITIZEN_ID_CARD
    if row["id_type"] == CITIZEN_ID_CARD:
        check = validate_citizen_id(row["id_number"] or "")
        if not check.ok:
            raise DomainError(next(p for p in check.problems if p.severity is Severity.ERROR))
        row["id_number"] = check.normalized
        row["sex"] = row["sex"] or check.sex
        row["birth_date"] = row["birth_date"] or check.birth_date
    else:
        row["id_number"] = _document_number(row["id_type"], row["id_number"])
    row["sex"] = row["sex"] or SEX_NOT_STATED
    for name in _PHONE_FIELDS:
        if row[name]:
            phone = validate_phone(row[name], field=name)
            if not phone.ok:
                raise DomainError(phone.problems[0])
            row[name] = phone.normalized
    for name in _LIST_FIELDS:
        row[name] = list(values.get(name) or [])
    return row


def register_resident(engine: Engine, values: dict[str, Any], user_id: str | None, clinic_id: str) -> str:
    """Register a new resident in one transaction; returns the new record's id."""
    row = _stored_row(values)
    with _document_must_be_unique(row), unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic_id, **row), user_id)
    return resident.id


def update_resident(engine: Engine, resident_id: str, values: dict[str, Any], user_id: str | None) -> None:
    """Save the edited form in one transaction (nothing is written when nothing changed)."""
    row = _stored_row(values)
    with _document_must_be_unique(row), unit_of_work(engine) as session:
        records.update(session, _resident(session, resident_id), row, user_id)


@contextmanager
def _document_must_be_unique(row: dict[str, Any]) -> Iterator[None]:
    """Turn the database's refusal of a second record with the same document into a message.

    The form points the duplicate out first (``duplicates``); this covers a resident arriving by
    sync in the meantime.
    """
    try:
        yield
    except IntegrityError as error:
        if "resident.id_number" not in str(error.orig):
            raise
        raise DomainError(
            Problem(
                "resident.document_taken",
                N_("Another resident is already registered with the number {number}."),
                {"number": mask_citizen_id(row["id_number"])},
                field="id_number",
            )
        ) from error


def duplicates(engine: Engine, values: dict[str, Any], exclude_id: str | None = None) -> list[Duplicate]:
    """Residents who are probably the person on the form (an unusable ID number is left out)."""
    id_type = values.get("id_type") or CITIZEN_ID_CARD
    number = _document_number(id_type, _blank_to_none(values.get("id_number")))
    with read_session(engine) as session:
        hits = likely_duplicates(
            session,
            name=(values.get("name") or "").strip(),
            birth_date=values.get("birth_date"),
            id_type=id_type,
            id_number=number,
            exclude_id=exclude_id,
        )
    return [Duplicate(hit, bool(number) and hit.id_type == id_type and hit.id_number == number) for hit in hits]


# --- the resident page ---------------------------------------------------------------------


def resident_facts(engine: Engine, resident_id: str, today: date) -> ResidentFacts:
    with read_session(engine) as session:
        r = _resident(session, resident_id)
        contract = session.execute(
            select(col(Contract.contract_no), col(Contract.start_date), col(Contract.end_date), col(Contract.status))
            .where(
                col(Contract.resident_id) == resident_id,
                col(Contract.deleted) == False,
                col(Contract.status).in_(_ACTIVE_CONTRACT),
                col(Contract.start_date) <= today,
                col(Contract.end_date) >= today,
            )
            .order_by(col(Contract.start_date).desc())
            .limit(1)
        ).first()
    return ResidentFacts(
        id=r.id,
        name=r.name,
        sex=r.sex,
        birth_date=r.birth_date,
        age=age_on(r.birth_date, today) if r.birth_date else None,
        id_type=r.id_type,
        masked_id_number=mask_citizen_id(r.id_number) if r.id_number else "",
        phone=r.phone,
        address=r.address,
        chronic_conditions=list(r.chronic_conditions),
        key_populations=_key_populations(r, today),
        contract=ContractFacts(
            contract.contract_no, contract.start_date, contract.end_date, _(CONTRACT_STATUS_LABELS[contract.status])
        )
        if contract
        else None,
    )


age_on = completed_years  # kept under the name the screens and tests use


def _key_populations(r: Resident, today: date) -> list[str]:
    # Tags synced from elsewhere may hold derived ones: only the manual kinds are taken as typed.
    manual = [tag for tag in r.manual_population_tags if tag in MANUAL_TAGS]
    tags: AbstractSet[str]
    if r.birth_date is not None:
        tags = derive_key_populations(r.birth_date, r.sex, r.chronic_conditions, manual, today)
    else:  # no age to derive from: the conditions and the hand-entered tags still count
        tags = {CHRONIC_CODE_TAGS[c] for c in r.chronic_conditions if c in CHRONIC_CODE_TAGS} | set(manual)
    return [code for code in KEY_POPULATION.codes() if code in tags]  # in the order of the code set


def timeline(engine: Engine, resident_id: str, today: date, limit: int = TIMELINE_LIMIT) -> Timeline:
    """The resident's newest ``limit`` records of every kind, newest first, and how many are left.

    Each kind is read newest first up to ``limit`` through its resident index, so the merge never
    needs more than ``limit`` rows of any kind whatever the resident's history.
    """
    with read_session(engine) as session:
        rows = []
        total = 0
        for kind, model, day_column, summarize in _SOURCES:
            alive = (model.resident_id == resident_id, model.deleted == False)
            total += session.execute(select(func.count()).select_from(model).where(*alive)).scalar_one()
            for record in session.execute(
                select(model).where(*alive).order_by(day_column.desc()).limit(limit)
            ).scalars():
                line = summarize
                if kind == "task":
                    line = partial(_task_line, number=_referral_number(session, record))
                elif kind == "remote_request":
                    line = partial(_remote_line, answer=_remote_answer(session, record))
                elif kind == "lab_order":
                    line = partial(_lab_line, answer=_lab_answer(session, record))
                elif kind == "exam_booking":
                    line = partial(exam_timeline_line, answer=exam_latest_event(session, record))
                rows.append((_day_of(getattr(record, day_column.key)), record.created_at, kind, record, line))
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    items = [
        TimelineItem(kind, record.id, day, summarize(record, today))
        for day, _created, kind, record, summarize in rows[:limit]
    ]
    return Timeline(items, total - len(items))


def _day_of(value: date | datetime) -> date:
    # A visit has a UTC time: it belongs to the clinic's local day.
    return clock.local(value).date() if isinstance(value, datetime) else value


def _line(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def _blood_pressure(sbp: int | None, dbp: int | None) -> str | None:
    return _("BP {sbp}/{dbp}").format(sbp=sbp, dbp=dbp) if sbp and dbp else None


def _visit_line(v: Visit, today: date) -> str:
    # What the doctor looks for first comes first, as the page cuts the line at its end: the
    # complaint and the diagnosis; the mode is short and says where it happened.
    diagnosis = v.diagnoses[0] if v.diagnoses else None
    return _line(
        VISIT_MODE.label(v.mode) if VISIT_MODE.is_valid(v.mode) else None,
        v.chief_complaint,
        f"{diagnosis.get('code') or ''} {diagnosis.get('name') or ''}".strip() if diagnosis else None,
        _blood_pressure(v.sbp, v.dbp),
    )


def _followup_line(f: Followup, today: date) -> str:
    return _line(
        _(DISEASE_LABELS[f.disease]) if f.disease in DISEASE_LABELS else f.disease,
        _blood_pressure(f.sbp, f.dbp),
        _("fasting glucose {value}").format(value=f.fasting_glucose) if f.fasting_glucose else None,
        _(CLASSIFICATION_LABELS[Classification(f.classification)])
        if f.classification in CLASSIFICATION_LABELS
        else None,
        _("next {date}").format(date=f.next_date.isoformat()) if f.next_date else None,
    )


def _referral_line(r: Referral, today: date) -> str:
    other_side = r.to_org_name if r.direction == "up" else r.from_org_name
    return _line(
        _(DIRECTION_LABELS[r.direction]) if r.direction in DIRECTION_LABELS else r.direction,
        r.referral_no,
        other_side,
        status_label(r.status),
    )


def _contract_line(c: Contract, today: date) -> str:
    period = _("{start} to {end}").format(start=c.start_date.isoformat(), end=c.end_date.isoformat())
    return _line(
        c.contract_no, period, _(CONTRACT_STATUS_LABELS[c.status]) if c.status in CONTRACT_STATUS_LABELS else c.status
    )


def _remote_answer(session: Session, request: RemoteRequest) -> RemoteEvent | None:
    """The hospital's latest move on the request (its report, once reported)."""
    return session.execute(
        select(RemoteEvent)
        .where(col(RemoteEvent.request_id) == request.id, col(RemoteEvent.deleted) == False)
        .order_by(col(RemoteEvent.arrival).desc())
        .limit(1)
    ).scalar_one_or_none()


def _remote_line(r: RemoteRequest, today: date, answer: RemoteEvent | None = None) -> str:
    """What was asked and where it stands; a report's conclusion, and its critical value first."""
    from clinic_tui.data.remote_requests import shown_status
    from clinic_tui.domain.remote import service_label, status_label

    status = shown_status(r.status, answer.to_status if answer else None, r.report_read_at is not None)
    critical = answer is not None and answer.critical and r.critical_ack_at is None
    return _line(
        _("CRITICAL") if critical else None,
        service_label(r.service),
        status_label(status),
        answer.conclusion if answer is not None and answer.conclusion else r.question,
    )


def _lab_answer(session: Session, order: LabOrder) -> list[LabEvent]:
    """The lab's moves about the order's current specimen, in the order they arrived."""
    return list(
        session.execute(
            select(LabEvent)
            .where(
                col(LabEvent.order_id) == order.id,
                col(LabEvent.attempt) == order.attempt,
                col(LabEvent.deleted) == False,
            )
            .order_by(col(LabEvent.arrival))
        ).scalars()
    )


def _lab_line(o: LabOrder, today: date, answer: list[LabEvent] | None = None) -> str:
    """The tests and where they stand; once reported (in part too), the results out of range (a
    critical one first), as corrected."""
    from clinic_tui.data.lab_orders import critical_pending, shown_status
    from clinic_tui.domain.lab import status_label

    events = answer or []
    latest = events[-1] if events else None
    status = shown_status(o.status, latest.to_status if latest else None)
    critical = critical_pending(o, events)
    names = "、".join(str(i.get("name") or i.get("code")) for i in o.items)
    flagged = ""
    shown = next((e for e in reversed(events) if e.partial or e.to_status in ("reported", "rejected")), None)
    if shown is not None and shown.to_status != "rejected":
        flagged = " ".join(
            f"{r.get('name')} {r.get('value')}{'!' if r.get('flag') == 'critical' else r.get('flag')}"
            for r in shown.results
            if r.get("flag") not in (None, "N")
        )
    return _line(_("CRITICAL") if critical else None, names, status_label(status), flagged or None)


def _task_line(t: Task, today: date, number: str | None = None) -> str:
    if t.done_at is not None:
        state = _("done")
    else:
        state = _("overdue") if t.due_date < today else _("to do")
    # A title the clinic wrote itself is made again in the reader's language: the stored one is in
    # the language of whoever created the task (and is what the hub received).
    title = _("Check on referral {number}").format(number=number) if number else t.title
    return _line(title, _("due {date}").format(date=t.due_date.isoformat()), state)


def _referral_number(session: Session, task: Task) -> str | None:
    """The referral number of a referral-check task (None for other tasks)."""
    if task.kind != "referral_check" or task.source_kind != "referral" or not task.source_id:
        return None
    referral = session.get(Referral, task.source_id)
    return referral.referral_no if referral is not None else None


# kind, model, the date it is placed at (its column), its one-line summary
_SOURCES: tuple[tuple[str, type[Any], Any, Callable[[Any, date], str]], ...] = (
    ("visit", Visit, Visit.visit_at, _visit_line),
    ("followup", Followup, Followup.followup_date, _followup_line),
    ("referral", Referral, Referral.referral_date, _referral_line),
    ("contract", Contract, Contract.start_date, _contract_line),
    ("task", Task, Task.due_date, _task_line),
    ("remote_request", RemoteRequest, RemoteRequest.requested_at, _remote_line),
    ("lab_order", LabOrder, LabOrder.ordered_at, _lab_line),
    ("exam_booking", ExamBooking, ExamBooking.booked_at, exam_timeline_line),
)


def _resident(session: Session, resident_id: str) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.deleted:
        raise ResidentNotFound(resident_id)
    return resident


def _document_number(id_type: str, text: str | None) -> str | None:
    """The number as stored: a citizen ID in its 18-character form (None when unusable), any
    other document's without spaces, in upper case."""
    if not text:
        return None
    if id_type == CITIZEN_ID_CARD:
        return validate_citizen_id(text).normalized
    return "".join(text.split()).upper()


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value
