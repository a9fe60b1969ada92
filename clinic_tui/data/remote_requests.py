"""Remote consultations and reads asked of the lead hospital: each function is one read or one
clinic action (docs/protocol.md, ``remote_request`` and ``remote_event``).

The clinic writes a request, may withdraw it before the hospital accepts, marks the report read
and acknowledges a critical value (危急值); each is a new revision of the request, audited and
queued for sync in the same transaction (``records``). Who may make which move is
``domain.remote.transition``'s decision, applied to the state the request is shown in.

That state is derived, never stored: the hospital's latest move (its ``remote_event`` rows in
the order they arrived), else ``requested``; ``withdrawn`` when the clinic withdrew before any
hospital answer beyond "overdue" (a withdrawal the hub refused as late leaves the hospital's move
standing); ``read`` once a reported request's report is marked read. A draft never reaches this
table: the form keeps it in the draft store (data/drafts.py) until it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from clinic_tui.data import attachments, records
from clinic_tui.data.dashboard import CRITICAL_COUNT_SQL
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic, get_resident
from clinic_tui.data.models import Department, Followup, Hospital, RemoteEvent, RemoteRequest, Staff, Visit, utcnow
from clinic_tui.domain import remote
from clinic_tui.domain.codes import CHRONIC_CONDITION
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_, _

# What the form may set; the number, patient copy, doctor and times are set here.
FORM_FIELDS = (
    "service",
    "urgency",
    "question",
    "chief_complaint",
    "present_illness",
    "history",
    "findings",
    "preliminary_diagnoses",
    "department_wished",
    "expert_wished",
    "time_wished",
    "consent",
    "source_kind",
    "source_id",
    "attachments",  # files checked by data/attachments.examine: [{path, name, size, media_type, sha256}]
)
# The list's filters: every request, those the hospital has not answered, reports not yet read,
# critical values not yet acknowledged.
FILTERS = ("all", "waiting", "unread", "critical")
_WAITING = frozenset(
    {remote.Status.REQUESTED, remote.Status.ACCEPTED, remote.Status.SCHEDULED, remote.Status.TIMED_OUT}
)


class RemoteRefused(DomainError):
    """Sending refused: ``problems`` are what stops it, each naming its field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0])
        self.problems = problems


@dataclass(frozen=True)
class Report:
    findings: str
    conclusion: str
    advice: str
    reporting_doctor: str | None
    reviewing_doctor: str | None
    signed_at: datetime | None
    critical: bool
    critical_note: str | None
    fee: str | None


@dataclass(frozen=True)
class Answer:
    """One hospital move, as the page lists it."""

    at: datetime
    to_status: str
    actor_name: str | None
    reason: str | None
    scheduled_at: datetime | None
    expert: str | None


@dataclass(frozen=True)
class RequestDetail:
    request: RemoteRequest
    status: str  # as shown: domain.remote.Status
    answers: tuple[Answer, ...]
    report: Report | None
    can_withdraw: bool
    can_mark_read: bool
    needs_critical_ack: bool
    attachments: tuple[attachments.AttachmentState, ...] = ()


@dataclass(frozen=True)
class RequestRow:
    id: str
    request_no: str
    patient_name: str
    service: str
    urgency: str
    status: str
    requested_at: datetime
    critical: bool  # a critical value not yet acknowledged


# --- the derived state -------------------------------------------------------------------------


def shown_status(clinic_status: str, hospital_status: str | None, report_read: bool) -> str:
    """The state a request is shown in (see the module's docstring)."""
    hospital = hospital_status or remote.Status.REQUESTED
    if clinic_status == remote.Status.WITHDRAWN and hospital in (remote.Status.REQUESTED, remote.Status.TIMED_OUT):
        return remote.Status.WITHDRAWN
    if hospital == remote.Status.REPORTED and report_read:
        return remote.Status.READ
    return hospital


def _events(session: Session, request_id: str) -> list[RemoteEvent]:
    return list(
        session.execute(
            select(RemoteEvent)
            .where(col(RemoteEvent.request_id) == request_id, col(RemoteEvent.deleted) == False)
            .order_by(col(RemoteEvent.arrival))
        ).scalars()
    )


def _state(request: RemoteRequest, events: list[RemoteEvent]) -> str:
    return shown_status(request.status, events[-1].to_status if events else None, request.report_read_at is not None)


def _report(events: list[RemoteEvent]) -> RemoteEvent | None:
    return next((e for e in reversed(events) if e.to_status == remote.Status.REPORTED), None)


# --- reading -----------------------------------------------------------------------------------


def departments(engine: Engine) -> list[tuple[str, str]]:
    """The lead hospital's active departments (code, name) from the pulled directory; empty before a sync."""
    with read_session(engine) as session:
        rows = session.execute(
            select(col(Department.code), col(Department.name))
            .join(Hospital, col(Hospital.id) == col(Department.hospital_id))
            .where(col(Department.active) == True, col(Department.deleted) == False)
            .order_by(col(Department.code))
        ).all()
    return [(code, name) for code, name in rows]


def prefill(engine: Engine, resident_id: str, *, visit_id: str | None = None, followup_id: str | None = None) -> dict:
    """The clinical summary from the encounter the request is made from (or the latest visit)."""
    with read_session(engine) as session:
        resident = get_resident(session, resident_id)
        history = _(", ").join(
            CHRONIC_CONDITION.label(c) for c in resident.chronic_conditions or [] if CHRONIC_CONDITION.is_valid(c)
        )
        values: dict[str, Any] = {"history": history, "source_kind": None, "source_id": None}
        followup = session.get(Followup, followup_id) if followup_id else None
        visit = session.get(Visit, visit_id) if visit_id else None
        if visit is None and followup is None:
            visit = session.execute(
                select(Visit)
                .where(col(Visit.resident_id) == resident_id, col(Visit.deleted) == False)
                .order_by(col(Visit.visit_at).desc())
                .limit(1)
            ).scalar_one_or_none()
        if followup is not None:
            values.update(
                source_kind="followup",
                source_id=followup.id,
                chief_complaint=followup.symptoms_other or "",
                findings=_followup_findings(followup),
            )
        elif visit is not None:
            values.update(
                source_kind="visit" if visit_id else None,
                source_id=visit.id if visit_id else None,
                chief_complaint=visit.chief_complaint or "",
                present_illness=visit.notes or "",
                findings=_visit_findings(visit),
                preliminary_diagnoses=[
                    {"code": d.get("code"), "name": d.get("name"), "system": d.get("system")}
                    for d in visit.diagnoses or []
                ],
            )
        return values


def _visit_findings(visit: Visit) -> str:
    parts = [
        _("BP {sbp}/{dbp} mmHg").format(sbp=visit.sbp, dbp=visit.dbp) if visit.sbp and visit.dbp else None,
        _("HR {value}/min").format(value=visit.heart_rate) if visit.heart_rate else None,
        _("T {value} °C").format(value=f"{visit.temperature_c:g}") if visit.temperature_c else None,
        _("glucose {value} mmol/L").format(value=f"{visit.glucose_mmol:g}") if visit.glucose_mmol else None,
    ]
    return "; ".join(p for p in parts if p)


def _followup_findings(followup: Followup) -> str:
    parts = [
        _("BP {sbp}/{dbp} mmHg").format(sbp=followup.sbp, dbp=followup.dbp) if followup.sbp and followup.dbp else None,
        _("HR {value}/min").format(value=followup.heart_rate) if followup.heart_rate else None,
        _("fasting glucose {value}").format(value=followup.fasting_glucose) if followup.fasting_glucose else None,
    ]
    return "; ".join(p for p in parts if p)


def detail(engine: Engine, request_id: str) -> RequestDetail:
    """What the request's page shows; raises ``DomainError`` when it is not on file."""
    with read_session(engine) as session:
        request = _existing(session, request_id)
        events = _events(session, request_id)
        status = _state(request, events)
        report = _report(events)
        files = tuple(attachments.states(session, list(request.attachments or [])))
        session.expunge(request)
    answers = tuple(Answer(e.at, e.to_status, e.actor_name, e.reason, e.scheduled_at, e.expert) for e in events)
    shown_report = None
    if report is not None:
        shown_report = Report(
            report.findings or "",
            report.conclusion or "",
            report.advice or "",
            report.reporting_doctor,
            report.reviewing_doctor,
            report.signed_at,
            report.critical,
            report.critical_note,
            report.fee,
        )
    return RequestDetail(
        request,
        status,
        answers,
        shown_report,
        can_withdraw=remote.Status.WITHDRAWN in remote.allowed_targets(status, remote.Actor.CLINIC),
        can_mark_read=remote.Status.READ in remote.allowed_targets(status, remote.Actor.CLINIC),
        needs_critical_ack=bool(shown_report and shown_report.critical and request.critical_ack_at is None),
        attachments=files,
    )


def page(engine: Engine, which: str = "all", *, limit: int = 50, offset: int = 0) -> tuple[list[RequestRow], dict]:
    """One page of the list under filter ``which`` (FILTERS), newest first, and the count of each filter.

    A clinic sends a few remote requests a week: the states are derived in Python over them all.
    """
    if which not in FILTERS:
        raise ValueError(f"unknown filter {which!r}")
    with read_session(engine) as session:
        requests = session.execute(
            select(RemoteRequest)
            .where(col(RemoteRequest.deleted) == False)
            .order_by(col(RemoteRequest.requested_at).desc())
        ).scalars()
        latest = _latest_hospital_moves(session)
        rows = [
            RequestRow(
                r.id,
                r.request_no,
                r.patient_name,
                r.service,
                r.urgency,
                shown_status(r.status, latest.get(r.id, (None, False))[0], r.report_read_at is not None),
                r.requested_at,
                latest.get(r.id, (None, False))[1] and r.critical_ack_at is None,
            )
            for r in requests
        ]
    groups = {
        "all": rows,
        "waiting": [r for r in rows if r.status in _WAITING],
        "unread": [r for r in rows if r.status == remote.Status.REPORTED],
        "critical": [r for r in rows if r.critical],
    }
    return groups[which][offset : offset + limit], {name: len(found) for name, found in groups.items()}


def _latest_hospital_moves(session: Session) -> dict[str, tuple[str, bool]]:
    """Per request: the hospital's latest state, and whether a report flagged a critical value."""
    found: dict[str, tuple[str, bool]] = {}
    for request_id, to_status, critical in session.execute(
        select(col(RemoteEvent.request_id), col(RemoteEvent.to_status), col(RemoteEvent.critical))
        .where(col(RemoteEvent.deleted) == False)
        .order_by(col(RemoteEvent.arrival))
    ):
        was_critical = found.get(request_id, ("", False))[1]
        found[request_id] = (to_status, was_critical or (to_status == remote.Status.REPORTED and bool(critical)))
    return found


def critical_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return int(session.execute(text(CRITICAL_COUNT_SQL)).scalar_one())


# --- writing -----------------------------------------------------------------------------------


def submit(
    engine: Engine, *, resident_id: str, values: dict[str, Any], user_id: str | None, now: datetime | None = None
) -> tuple[str, str]:
    """Send a request: checked, numbered, written ``requested`` and queued. Returns (id, number).

    Raises ``RemoteRefused`` with every problem (each names its field); nothing is written then.
    """
    unknown = set(values) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not remote request form fields: {sorted(unknown)}")
    problems = remote.submission_problems(values)
    if problems:
        raise RemoteRefused(problems)
    now = now or utcnow()
    values = dict(values)
    # The files are copied beside the database first (content-addressed: a copy left by a failed
    # write below is harmless), then named by the request in the same transaction as its upload rows.
    files = attachments.keep(engine, [attachments.Candidate(**c) for c in values.pop("attachments", None) or []])
    with unit_of_work(engine) as session:
        remote.transition(None, remote.Status.REQUESTED, remote.Actor.CLINIC)
        attachments.register(session, files)
        resident = get_resident(session, resident_id)
        clinic = current_clinic(session)
        doctor = session.get(Staff, user_id) if user_id else None
        request = RemoteRequest(
            clinic_id=clinic.id,
            request_no=_next_number(session, clinic.code, clinic_day(now)),
            status=remote.Status.REQUESTED,
            resident_id=resident.id,
            patient_name=resident.name,
            patient_sex=resident.sex,
            patient_birth_date=resident.birth_date,
            patient_id_type=resident.id_type,
            patient_id_number=resident.id_number,
            patient_phone=resident.phone,
            requested_at=now,
            requesting_doctor=doctor.name if doctor else None,
            attachments=files,
            **_cleaned(values),
        )
        records.create(session, request, user_id)
        return request.id, request.request_no


def clinic_day(moment: datetime) -> date:
    from clinic_tui import clock

    return clock.local(moment).date()


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in remote.SUMMARY_FIELDS:
        cleaned[name] = (cleaned.get(name) or "").strip()
    cleaned["question"] = str(cleaned.get("question")).strip()
    for name in ("department_wished", "expert_wished"):
        cleaned[name] = (cleaned.get(name) or "").strip() or None
    cleaned["preliminary_diagnoses"] = [
        {"code": d.get("code"), "name": d.get("name"), "system": d.get("system")}
        for d in cleaned.get("preliminary_diagnoses") or []
    ]
    return cleaned


def _next_number(session: Session, clinic_code: str, day: date) -> str:
    prefix = remote.make_request_number(clinic_code, day, 1)[:-4]
    taken = session.execute(
        select(col(RemoteRequest.request_no)).where(col(RemoteRequest.request_no).startswith(prefix))
    ).scalars()
    return remote.request_number_after(clinic_code, day, taken)


def withdraw(engine: Engine, request_id: str, *, user_id: str | None) -> None:
    """Withdraw the request; ``DomainError`` when the hospital has already taken it."""
    with unit_of_work(engine) as session:
        request = _existing(session, request_id)
        remote.transition(_state(request, _events(session, request_id)), remote.Status.WITHDRAWN, remote.Actor.CLINIC)
        records.update(session, request, {"status": remote.Status.WITHDRAWN}, user_id)


def mark_read(engine: Engine, request_id: str, *, user_id: str | None, now: datetime | None = None) -> None:
    """已阅: the signed-in doctor has read the report."""
    with unit_of_work(engine) as session:
        request = _existing(session, request_id)
        remote.transition(_state(request, _events(session, request_id)), remote.Status.READ, remote.Actor.CLINIC)
        records.update(
            session, request, {"report_read_at": now or utcnow(), "report_read_by": _name(session, user_id)}, user_id
        )


def acknowledge_critical(engine: Engine, request_id: str, *, user_id: str | None, now: datetime | None = None) -> None:
    """The signed-in doctor acknowledges the report's critical value (who and when go to the hub)."""
    with unit_of_work(engine) as session:
        request = _existing(session, request_id)
        report = _report(_events(session, request_id))
        if report is None or not report.critical:
            raise DomainError(
                Problem("remote.no_critical", N_("This request's report holds no critical value to acknowledge."))
            )
        if request.critical_ack_at is not None:
            template = N_("The critical value was already acknowledged by {name}.")
            raise DomainError(Problem("remote.critical_acknowledged", template, {"name": request.critical_ack_by}))
        records.update(
            session, request, {"critical_ack_at": now or utcnow(), "critical_ack_by": _name(session, user_id)}, user_id
        )


def _name(session: Session, user_id: str | None) -> str | None:
    staff = session.get(Staff, user_id) if user_id else None
    return staff.name if staff else None


def _existing(session: Session, request_id: str) -> RemoteRequest:
    request = session.get(RemoteRequest, request_id)
    if request is None or request.deleted:
        raise DomainError(Problem("remote.missing", N_("This remote request is no longer on file.")))
    return request
