"""What the chronic follow-up form reads and writes, and the referral draft it starts in one key.

Each write is one transaction: the follow-up (and, with a referral, the draft referral and its
first status event) with their audit entries and outbox rows, and the resident's next due date
(``records`` keeps ``followup_due``), commit together or not at all. Nothing here decides the
classification: the domain rules suggest, the doctor confirms, the form passes both in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.followup_due import MANAGED
from clinic_tui.data.lookups import (
    ResidentFacts,
    catalogue_diagnosis,
    current_clinic,
    get_resident,
    next_referral_number,
    resident_facts,
)
from clinic_tui.data.models import (
    Followup,
    Referral,
    ReferralEvent,
    Resident,
    Staff,
    SyncedRecord,
    utcnow,
)
from clinic_tui.domain.followup import DISEASE_LABELS
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.domain.record_text import medications_text
from clinic_tui.domain.referral import transition
from clinic_tui.domain.vitals import bmi
from clinic_tui.i18n import N_, LazyText

DISEASE_CONDITION = dict(MANAGED)  # disease -> its CV02.10.006 chronic-condition code
REFERRAL_DIAGNOSIS = {"hypertension": "I10", "diabetes": "E11.9"}
_SET_HERE = set(SyncedRecord.model_fields) | {
    "resident_id",
    "disease",
    "doctor_id",
    "institution_code",
    "village_code",
    "bmi",
}
# What the follow-up form may set; BMI is always computed here from weight and height.
FOLLOWUP_FIELDS = tuple(name for name in Followup.model_fields if name not in _SET_HERE)


@dataclass(frozen=True)
class PreviousFollowup:
    id: str
    followup_date: date
    classification: str | None
    height_cm: float | None
    weight_target_kg: float | None
    medications: list[dict]


@dataclass(frozen=True)
class FollowupFacts:
    resident: ResidentFacts
    managed: tuple[str, ...]  # the diseases the resident is managed for
    previous: dict[str, PreviousFollowup | None]  # per managed disease, the follow-up before this one


@dataclass(frozen=True)
class ReferralStart:
    """What the form decided about the referral it starts: the rest comes from the records."""

    reason: str
    urgency: str  # emergency | normal
    on: date


def followup_facts(
    engine: Engine, resident_id: str, *, on: date | None = None, exclude_id: str | None = None
) -> FollowupFacts:
    """The resident and, per disease, the latest follow-up up to ``on`` other than ``exclude_id``."""
    facts = resident_facts(engine, resident_id)
    managed = tuple(d for d, code in MANAGED if code in facts.chronic_conditions)
    with read_session(engine) as session:
        previous = {d: _previous(session, resident_id, d, on, exclude_id) for d in managed}
    return FollowupFacts(facts, managed, previous)


def _previous(
    session: Session, resident_id: str, disease: str, on: date | None, exclude_id: str | None
) -> PreviousFollowup | None:
    statement = select(Followup).where(
        col(Followup.resident_id) == resident_id,
        col(Followup.disease) == disease,
        col(Followup.deleted) == False,
        col(Followup.id) != (exclude_id or ""),
    )
    if on is not None:
        statement = statement.where(col(Followup.followup_date) <= on)
    row = session.execute(
        statement.order_by(col(Followup.followup_date).desc(), col(Followup.created_at).desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    return PreviousFollowup(
        row.id, row.followup_date, row.classification, row.height_cm, row.weight_target_kg, list(row.medications or [])
    )


def load_followup(engine: Engine, followup_id: str) -> dict[str, Any]:
    """The disease and the form-editable values of a follow-up, by model field name."""
    with read_session(engine) as session:
        followup = session.get(Followup, followup_id)
        if followup is None:
            raise DomainError(Problem("followup.missing", N_("This follow-up is no longer on file.")))
        return {"disease": followup.disease} | {name: getattr(followup, name) for name in FOLLOWUP_FIELDS}


def save_followup(
    engine: Engine,
    *,
    resident_id: str,
    disease: str,
    values: dict[str, Any],
    user_id: str | None,
    record_id: str | None = None,
) -> str:
    """Create (``record_id`` None) or update a follow-up; refused for a disease not on file."""
    with unit_of_work(engine) as session:
        return _write_followup(session, resident_id, disease, values, user_id, record_id).id


def save_followup_and_refer(
    engine: Engine,
    *,
    resident_id: str,
    disease: str,
    values: dict[str, Any],
    user_id: str | None,
    referral: ReferralStart,
    record_id: str | None = None,
) -> tuple[str, str]:
    """Save the follow-up and start an upward referral as a prefilled draft, in one transaction.

    Returns the ids of the follow-up and of the referral. The referral screens complete the slip
    (hospital, department, consent) and send it.
    """
    with unit_of_work(engine) as session:
        followup = _write_followup(session, resident_id, disease, values, user_id, record_id)
        draft = _draft_referral(session, get_resident(session, resident_id), followup, user_id, referral)
        return followup.id, draft.id


def _write_followup(
    session: Session, resident_id: str, disease: str, values: dict[str, Any], user_id: str | None, record_id: str | None
) -> Followup:
    unknown = set(values) - set(FOLLOWUP_FIELDS)
    if unknown:
        raise ValueError(f"not follow-up form fields: {sorted(unknown)}")
    resident = get_resident(session, resident_id)
    if DISEASE_CONDITION[disease] not in (resident.chronic_conditions or []):
        template = N_("{name} is not on file with {disease}: add it to the chronic conditions first.")
        params = {"name": resident.name, "disease": LazyText(DISEASE_LABELS[disease])}
        raise DomainError(Problem("followup.disease_not_managed", template, params))
    weight, height = values.get("weight_kg"), values.get("height_cm")
    values = values | {"bmi": bmi(weight, height) if weight and height else None}
    if record_id is not None:
        return records.update(session, records.existing(session, Followup, record_id), values, user_id)
    clinic = current_clinic(session)
    followup = Followup(
        clinic_id=clinic.id,
        resident_id=resident.id,
        disease=disease,
        doctor_id=user_id,
        institution_code=clinic.code,
        village_code=resident.division_code or clinic.division_code,
        **values,
    )
    return records.create(session, followup, user_id)


def _draft_referral(
    session: Session, resident: Resident, followup: Followup, user_id: str | None, start: ReferralStart
) -> Referral:
    transition("up", None, "draft", "clinic")  # the referral rules own where a referral may start
    clinic = current_clinic(session)
    doctor = session.get(Staff, user_id) if user_id else None
    referral = Referral(
        clinic_id=clinic.id,
        referral_no=next_referral_number(session, clinic.code, start.on),
        direction="up",
        urgency=start.urgency,
        status="draft",
        referral_date=start.on,
        resident_id=resident.id,
        patient_name=resident.name,
        patient_sex=resident.sex,
        patient_birth_date=resident.birth_date,
        patient_id_type=resident.id_type,
        patient_id_number=resident.id_number,
        patient_phone=resident.phone,
        patient_address=resident.address,
        patient_insurance_type=resident.insurance_type,
        patient_insurance_no=resident.insurance_no,
        from_org_code=clinic.code,
        from_org_name=clinic.name,
        from_doctor_id=user_id,
        from_doctor_name=doctor.name if doctor else None,
        from_doctor_phone=doctor.phone if doctor else None,
        to_org_code=clinic.lead_hospital_code,
        to_org_name=clinic.lead_hospital_name,
        diagnoses=catalogue_diagnosis(session, REFERRAL_DIAGNOSIS[followup.disease]),
        reason=start.reason,
        treatment_so_far=medications_text(followup.medications) or None,
    )
    records.create(session, referral, user_id)
    records.create(
        session,
        ReferralEvent(
            clinic_id=clinic.id,
            referral_id=referral.id,
            from_status=None,
            to_status="draft",
            actor="clinic",
            actor_name=referral.from_doctor_name,
            at=utcnow(),
        ),
        user_id,
    )
    return referral
