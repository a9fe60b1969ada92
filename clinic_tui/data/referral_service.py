"""What the upward referral form (上转单) reads and writes: each function is one read or one action.

The form starts from what the clinic already knows (the resident block, the latest visit and
follow-ups, the clinic and the signed-in doctor) so the doctor confirms rather than retypes.
``save_draft`` keeps an unfinished slip; ``submit`` checks it with the domain's
``submission_problems`` and, in one transaction, numbers it, moves it draft -> sent with its
status events and creates the clinic's 2-week check task (``records`` audits and queues each row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui import clock
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.followup_service import REFERRAL_DIAGNOSIS
from clinic_tui.data.lookups import catalogue_diagnosis, current_clinic, get_resident, next_referral_number
from clinic_tui.data.models import (
    AppSetting,
    Department,
    Followup,
    Hospital,
    Referral,
    ReferralEvent,
    Resident,
    SlotPool,
    Staff,
    Task,
    Visit,
    utcnow,
)
from clinic_tui.data.slip_results import preselection
from clinic_tui.domain.codes import CHRONIC_CONDITION
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.domain.record_text import medications_text
from clinic_tui.domain.reference_ranges import Verdict, blood_pressure_verdict, verdict
from clinic_tui.domain.referral import check_due_date, submission_problems, transition
from clinic_tui.domain.slip_results import MAX_RESULTS, SlipResult
from clinic_tui.i18n import N_, _

# What the form may set; the resident block, numbers, clinic and doctor are set here.
FORM_FIELDS = (
    "purpose",
    "urgency",
    "to_org_code",
    "to_org_name",
    "to_department_code",
    "to_department_name",
    "wished_date",
    "diagnoses",
    "reason",
    "chief_complaint",
    "past_history",
    "examinations",
    "results",  # the lead hospital's results chosen for the slip (domain/slip_results.py)
    "medications",
    "treatment_so_far",
    "allergies",
    "consent_given",
    "consent_by",
    "consent_signer",
    "transport",
    "to_doctor_wished",
    "precautions",
)
# Common reasons of a county's referral catalogue; a county sets its own list in the app setting
# REASON_TEMPLATES_SETTING (a JSON list of strings), which then replaces these.
REASON_TEMPLATES = (
    N_("Diagnosis unclear: needs a specialist's assessment"),
    N_("Condition not controlled by treatment at this clinic"),
    N_("Needs examinations this clinic cannot do"),
    N_("Acute or critical condition: needs emergency care"),
    N_("Needs inpatient treatment"),
    N_("Needs surgery or a specialist procedure"),
)
REASON_TEMPLATES_SETTING = "referral_reason_templates"


class ReferralRefused(DomainError):
    """Submission refused: ``problems`` are what stops it (each names its field)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0])
        self.problems = problems


@dataclass(frozen=True)
class DepartmentChoice:
    code: str
    name: str
    remaining: int | None  # today's slots left for primary care; None when none are published


@dataclass(frozen=True)
class HospitalChoice:
    code: str
    name: str
    phone: str | None
    departments: tuple[DepartmentChoice, ...]


@dataclass(frozen=True)
class Directory:
    """The synced hospital directory, the lead hospital first. Empty until the first sync."""

    hospitals: tuple[HospitalChoice, ...]
    lead_code: str | None
    lead_name: str | None

    @property
    def synced(self) -> bool:
        return bool(self.hospitals)

    def hospital(self, code: str | None) -> HospitalChoice | None:
        return next((h for h in self.hospitals if h.code == code), None)


@dataclass(frozen=True)
class Prefill:
    """What the slip starts with for a resident: values by Referral field name."""

    resident_id: str
    resident_name: str
    values: dict[str, Any] = field(default_factory=dict)


# --- reading -----------------------------------------------------------------------------------


def directory(engine: Engine, today: date) -> Directory:
    with read_session(engine) as session:
        clinic = current_clinic(session)
        hospitals = (
            session.execute(select(Hospital).where(col(Hospital.deleted) == False).order_by(col(Hospital.name)))
            .scalars()
            .all()
        )
        remaining: dict[str, int] = dict(
            session.execute(
                select(col(SlotPool.department_id), col(SlotPool.remaining)).where(
                    col(SlotPool.day) == today, col(SlotPool.deleted) == False
                )
            ).all()
        )
        choices = []
        for hospital in sorted(hospitals, key=lambda h: (h.code != clinic.lead_hospital_code, h.name)):
            departments = (
                session.execute(
                    select(Department)
                    .where(
                        col(Department.hospital_id) == hospital.id,
                        col(Department.active) == True,
                        col(Department.deleted) == False,
                    )
                    .order_by(col(Department.code))
                )
                .scalars()
                .all()
            )
            choices.append(
                HospitalChoice(
                    hospital.code,
                    hospital.name,
                    hospital.phone,
                    tuple(DepartmentChoice(d.code, d.name, remaining.get(d.id)) for d in departments),
                )
            )
        return Directory(tuple(choices), clinic.lead_hospital_code, clinic.lead_hospital_name)


def reason_templates(engine: Engine) -> list[str]:
    """The referral catalogue's reasons, in the user's language (a county's own list as written)."""
    with read_session(engine) as session:
        setting = session.get(AppSetting, REASON_TEMPLATES_SETTING)
    if setting is not None:
        try:
            own = json.loads(setting.value)
        except ValueError:
            own = None
        if isinstance(own, list) and own and all(isinstance(t, str) and t.strip() for t in own):
            return [t.strip() for t in own]
    return [_(t) for t in REASON_TEMPLATES]


def prefill(
    engine: Engine, resident_id: str, *, visit_id: str | None = None, followup_id: str | None = None
) -> Prefill:
    """The slip's clinical part from the records: the given (or latest) visit and follow-ups."""
    with read_session(engine) as session:
        resident = get_resident(session, resident_id)
        visit = session.get(Visit, visit_id) if visit_id else _latest_visit(session, resident_id)
        followups = _latest_followups(session, resident_id, followup_id)
        diagnoses = list(visit.diagnoses or []) if visit else []
        for followup in followups:
            for diagnosis in catalogue_diagnosis(session, REFERRAL_DIAGNOSIS[followup.disease]):
                if not any(d.get("code") == diagnosis["code"] for d in diagnoses):
                    diagnoses.append(diagnosis)
        medications = [_medication(m) for f in followups for m in (f.medications or [])]
        values = {
            "diagnoses": diagnoses,
            "chief_complaint": (visit.chief_complaint if visit else None) or None,
            "past_history": _(", ").join(
                CHRONIC_CONDITION.label(c) for c in resident.chronic_conditions or [] if CHRONIC_CONDITION.is_valid(c)
            )
            or None,
            "examinations": _examinations(visit, followups, _source(visit, visit_id, followups, followup_id)),
            "medications": medications,
            "treatment_so_far": _treatment(visit, medications) or None,
        }
    values["results"] = preselection(engine, resident_id)
    return Prefill(resident.id, resident.name, values)


def load_referral(engine: Engine, referral_id: str) -> dict[str, Any]:
    """A referral's form values by field name, with its resident, status, number and source visit."""
    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.deleted:
            raise DomainError(Problem("referral.missing", N_("This referral is no longer on file.")))
        extra = ("resident_id", "status", "referral_no", "source_visit_id", "patient_name")
        return {name: getattr(referral, name) for name in FORM_FIELDS + extra}


def _source(
    visit: Visit | None, visit_id: str | None, followups: list[Followup], followup_id: str | None
) -> Visit | Followup | None:
    """The encounter the referral is made from: the given follow-up, else the given visit."""
    if followup_id:
        return next((f for f in followups if f.id == followup_id), None)
    return visit if visit_id else None


def _latest_visit(session: Session, resident_id: str) -> Visit | None:
    return session.execute(
        select(Visit)
        .where(col(Visit.resident_id) == resident_id, col(Visit.deleted) == False)
        .order_by(col(Visit.visit_at).desc())
        .limit(1)
    ).scalar_one_or_none()


def _latest_followups(session: Session, resident_id: str, followup_id: str | None) -> list[Followup]:
    """The latest follow-up of each disease (the given one for its disease)."""
    rows = (
        session.execute(
            select(Followup)
            .where(col(Followup.resident_id) == resident_id, col(Followup.deleted) == False)
            .order_by(col(Followup.followup_date).desc(), col(Followup.created_at).desc())
        )
        .scalars()
        .all()
    )
    chosen: dict[str, Followup] = {}
    for row in sorted(rows, key=lambda f: f.id != followup_id):  # the given one first, then newest
        chosen.setdefault(row.disease, row)
    return list(chosen.values())


def _medication(entry: dict) -> dict:
    times = entry.get("times_per_day")
    return {
        "drug": entry.get("name"),
        "dose": entry.get("dose"),
        "unit": None,
        "frequency": _("{times} times a day").format(times=times) if times else None,
        "route": None,
        "days": None,
    }


def _examinations(visit: Visit | None, followups: list[Followup], first: Visit | Followup | None) -> list[dict]:
    """The readings as the slip's 检查及结果, each with when it was taken and its verdict.

    ``first`` is the encounter the referral is made from: its readings come first, so a slip made
    from a follow-up at 185/115 states 185/115, not an earlier visit's reading. The other records,
    newest first, add only what that encounter did not measure. Each verdict comes from the domain's reference
    ranges; a measurement without a range gets none (None: the slip says "not judged").
    """
    others = sorted((e for e in (visit, *followups) if e is not None and e is not first), key=_when, reverse=True)
    encounters = ([first] if first is not None else []) + others
    found: list[dict] = []
    for encounter in encounters:
        readings = _visit_readings(encounter) if isinstance(encounter, Visit) else _followup_readings(encounter)
        when = _when(encounter)
        for item, result, judged in readings:
            if any(e["item"] == item for e in found):
                continue
            abnormal = None if judged is None else judged is Verdict.ABNORMAL
            found.append({"item": item, "result": f"{result} ({when})", "abnormal": abnormal})
    return found


def _when(encounter: Visit | Followup) -> str:
    """The date and time a reading was taken: a visit's time; a follow-up's date, with the time
    it was recorded when that was the same day."""
    if isinstance(encounter, Visit):
        return clock.local(encounter.visit_at).strftime("%Y-%m-%d %H:%M")
    recorded = clock.local(encounter.created_at) if encounter.created_at else None
    if recorded is not None and recorded.date() == encounter.followup_date:
        return recorded.strftime("%Y-%m-%d %H:%M")
    return encounter.followup_date.isoformat()


Reading = tuple[str, str, Verdict | None]
_VISIT_GLUCOSE = {  # Visit.glucose_kind -> (item, reference range)
    "fasting": (N_("Fasting glucose"), "fasting_glucose"),
    "random": (N_("Random glucose"), "random_glucose"),
    "postprandial_2h": (N_("2-hour glucose"), None),
}


def _visit_readings(visit: Visit) -> list[Reading]:
    found: list[Reading] = []
    if visit.sbp and visit.dbp:
        found.append(
            (_("Blood pressure"), f"{visit.sbp}/{visit.dbp} mmHg", blood_pressure_verdict(visit.sbp, visit.dbp))
        )
    if visit.heart_rate:
        found.append(
            (_("Heart rate"), _("{value} bpm").format(value=visit.heart_rate), verdict("heart_rate", visit.heart_rate))
        )
    if visit.temperature_c:
        found.append((_("Temperature"), f"{visit.temperature_c:g} °C", verdict("temperature_c", visit.temperature_c)))
    if visit.glucose_mmol:
        item, measurement = _VISIT_GLUCOSE.get(visit.glucose_kind or "", (N_("Glucose"), None))
        judged = verdict(measurement, visit.glucose_mmol) if measurement else None
        found.append((_(item), f"{visit.glucose_mmol:g} mmol/L", judged))
    return found


def _followup_readings(followup: Followup) -> list[Reading]:
    found: list[Reading] = []
    if followup.sbp and followup.dbp:
        found.append(
            (
                _("Blood pressure"),
                f"{followup.sbp}/{followup.dbp} mmHg",
                blood_pressure_verdict(followup.sbp, followup.dbp),
            )
        )
    if followup.heart_rate:
        found.append(
            (
                _("Heart rate"),
                _("{value} bpm").format(value=followup.heart_rate),
                verdict("heart_rate", followup.heart_rate),
            )
        )
    if followup.temperature:
        found.append((_("Temperature"), f"{followup.temperature:g} °C", verdict("temperature_c", followup.temperature)))
    if followup.fasting_glucose:
        found.append(
            (
                _("Fasting glucose"),
                f"{followup.fasting_glucose:g} mmol/L",
                verdict("fasting_glucose", followup.fasting_glucose),
            )
        )
    if followup.postprandial_glucose:
        found.append((_("2-hour glucose"), f"{followup.postprandial_glucose:g} mmol/L", None))
    if followup.hba1c:
        found.append((_("HbA1c"), f"{followup.hba1c:g}%", verdict("hba1c", followup.hba1c)))
    return found


def _treatment(visit: Visit | None, medications: list[dict]) -> str:
    parts = []
    if visit is not None and visit.treatment:
        parts.append(visit.treatment)
    if visit is not None and visit.prescription:
        parts.append(_("Prescription: {text}").format(text=visit.prescription))
    if medications:
        parts.append(_("Medication: {text}").format(text=medications_text(medications)))
    return "; ".join(parts)


# --- writing -----------------------------------------------------------------------------------


def save_draft(
    engine: Engine,
    *,
    resident_id: str,
    values: dict[str, Any],
    user_id: str | None,
    record_id: str | None = None,
    source_visit_id: str | None = None,
    today: date | None = None,
) -> str:
    """Create or update a draft slip; returns its id. Only a draft can be changed."""
    with unit_of_work(engine) as session:
        return _write(session, resident_id, values, user_id, record_id, source_visit_id, today or clock.today()).id


def submit(
    engine: Engine,
    *,
    resident_id: str,
    values: dict[str, Any],
    user_id: str | None,
    record_id: str | None = None,
    source_visit_id: str | None = None,
    today: date | None = None,
) -> tuple[str, str]:
    """Send the slip: saved, numbered, moved to sent, and its 2-week check task created.

    Returns (referral id, referral number). Raises ``ReferralRefused`` with every problem that
    stops it; nothing is written then.
    """
    problems = [p for p in submission_problems(values) if p.severity is Severity.ERROR]
    if problems:
        raise ReferralRefused(problems)
    today = today or clock.today()
    with unit_of_work(engine) as session:
        referral = _write(session, resident_id, values, user_id, record_id, source_visit_id, today)
        transition("up", referral.status, "sent", "clinic")
        records.update(session, referral, {"status": "sent", "referral_date": today}, user_id)
        _event(session, referral, "draft", "sent", user_id)
        records.create(
            session,
            Task(
                clinic_id=referral.clinic_id,
                resident_id=referral.resident_id,
                kind="referral_check",
                title=_("Check on referral {number}").format(number=referral.referral_no),
                due_date=check_due_date(today),
                source_kind="referral",
                source_id=referral.id,
            ),
            user_id,
        )
        return referral.id, referral.referral_no


def _write(
    session: Session,
    resident_id: str,
    values: dict[str, Any],
    user_id: str | None,
    record_id: str | None,
    source_visit_id: str | None,
    today: date,
) -> Referral:
    unknown = set(values) - set(FORM_FIELDS)
    if unknown:
        raise ValueError(f"not referral form fields: {sorted(unknown)}")
    resident = get_resident(session, resident_id)
    values = values | _resident_block(resident)
    if "results" in values:
        values["results"] = _results(values["results"])
    if record_id is not None:
        referral = session.get(Referral, record_id)
        if referral is None or referral.deleted:
            raise DomainError(Problem("referral.missing", N_("This referral is no longer on file.")))
        if referral.status != "draft":
            template = N_("Referral {number} has been sent: only a draft can be changed.")
            raise DomainError(Problem("referral.not_draft", template, {"number": referral.referral_no}))
        return records.update(session, referral, values | {"resident_id": resident.id}, user_id)
    transition("up", None, "draft", "clinic")
    clinic = current_clinic(session)
    doctor = session.get(Staff, user_id) if user_id else None
    referral = Referral(
        clinic_id=clinic.id,
        referral_no=next_referral_number(session, clinic.code, today),
        direction="up",
        status="draft",
        referral_date=today,
        resident_id=resident.id,
        source_visit_id=source_visit_id,
        from_org_code=clinic.code,
        from_org_name=clinic.name,
        from_doctor_id=user_id,
        from_doctor_name=doctor.name if doctor else None,
        from_doctor_phone=doctor.phone if doctor else None,
        **values,
    )
    records.create(session, referral, user_id)
    _event(session, referral, None, "draft", user_id)
    return referral


def _results(entries: Any) -> list[dict]:
    """The chosen results as stored: each read back through the domain's one shape, so a bad
    entry is stored blank where it is wrong rather than lost or stored as it came."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ValueError("results: a list of the chosen results")
    if len(entries) > MAX_RESULTS:
        template = N_("A slip carries at most {limit} results.")
        raise DomainError(Problem("referral.too_many_results", template, {"limit": MAX_RESULTS}, field="results"))
    return [SlipResult.from_wire(e).wire() for e in entries if isinstance(e, dict)]


def _resident_block(resident: Resident) -> dict[str, Any]:
    """The resident as they are now, copied onto the slip (it travels without the record)."""
    return {
        "patient_name": resident.name,
        "patient_sex": resident.sex,
        "patient_birth_date": resident.birth_date,
        "patient_id_type": resident.id_type,
        "patient_id_number": resident.id_number,
        "patient_phone": resident.phone,
        "patient_address": resident.address,
        "patient_insurance_type": resident.insurance_type,
        "patient_insurance_no": resident.insurance_no,
    }


def _event(
    session: Session, referral: Referral, from_status: str | None, to_status: str, user_id: str | None
) -> ReferralEvent:
    doctor = session.get(Staff, user_id) if user_id else None
    return records.create(
        session,
        ReferralEvent(
            clinic_id=referral.clinic_id,
            referral_id=referral.id,
            from_status=from_status,
            to_status=to_status,
            actor="clinic",
            actor_name=doctor.name if doctor else referral.from_doctor_name,
            at=utcnow(),
        ),
        user_id,
    )
