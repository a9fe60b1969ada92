"""What the visit form reads and writes: each function is one read or one user action.

Screens never open a session. The form asks here for the resident's facts and a visit's values,
and saves through ``save_visit``, which writes the visit, its audit entry and its outbox row in one
transaction (``records`` does the bookkeeping).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import DiagnosisHit, search_diagnoses
from clinic_tui.data.models import AppSetting, Clinic, Resident, Visit
from clinic_tui.domain.age import completed_years
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_

# What the visit form may set; the rest (clinic, doctor, institution, village) is set here.
VISIT_FIELDS = (
    "visit_at", "mode", "chief_complaint", "sbp", "dbp", "heart_rate", "temperature_c", "weight_kg",
    "height_cm", "glucose_mmol", "glucose_kind", "diagnoses", "treatment", "prescription", "fee_fen",
    "referral_flag",
)


@dataclass(frozen=True)
class LatestVisit:
    id: str
    visit_at: datetime
    sbp: int | None
    dbp: int | None
    heart_rate: int | None
    weight_kg: float | None
    height_cm: float | None


@dataclass(frozen=True)
class ResidentFacts:
    """What a form shows and checks about the resident it records for."""

    id: str
    name: str
    sex: str
    birth_date: date | None
    chronic_conditions: tuple[str, ...]
    latest_visit: LatestVisit | None

    def age_on(self, day: date) -> int | None:
        return None if self.birth_date is None else completed_years(self.birth_date, day)


def current_clinic(session: Session) -> Clinic:
    """The clinic this database belongs to (the setting, or the only clinic there is)."""
    setting = session.get(AppSetting, "clinic_id")
    clinic = session.get(Clinic, setting.value) if setting is not None else None
    clinic = clinic or session.execute(select(Clinic).limit(1)).scalar_one_or_none()
    if clinic is None:
        raise DomainError(Problem("clinic.missing", N_("This database has no clinic set up.")))
    return clinic


def get_resident(session: Session, resident_id: str) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.deleted:
        raise DomainError(Problem("resident.missing", N_("This resident is no longer on file.")))
    return resident


def resident_facts(engine: Engine, resident_id: str) -> ResidentFacts:
    with read_session(engine) as session:
        resident = get_resident(session, resident_id)
        latest = session.execute(
            select(Visit).where(Visit.resident_id == resident_id, Visit.deleted == False)  # noqa: E712
            .order_by(Visit.visit_at.desc()).limit(1)
        ).scalar_one_or_none()
        return ResidentFacts(
            resident.id, resident.name, resident.sex, resident.birth_date,
            tuple(resident.chronic_conditions or ()),
            None if latest is None else LatestVisit(
                latest.id, latest.visit_at, latest.sbp, latest.dbp, latest.heart_rate,
                latest.weight_kg, latest.height_cm,
            ),
        )


def load_visit(engine: Engine, visit_id: str) -> dict[str, Any]:
    """The form-editable values of a visit, by model field name."""
    with read_session(engine) as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise DomainError(Problem("visit.missing", N_("This visit is no longer on file.")))
        return {name: getattr(visit, name) for name in VISIT_FIELDS}


def save_visit(engine: Engine, *, resident_id: str, values: dict[str, Any], user_id: str | None,
               record_id: str | None = None) -> str:
    """Create (``record_id`` None) or update a visit of ``resident_id``; returns its id."""
    unknown = set(values) - set(VISIT_FIELDS)
    if unknown:
        raise ValueError(f"not visit form fields: {sorted(unknown)}")
    with unit_of_work(engine) as session:
        resident = get_resident(session, resident_id)
        if record_id is not None:
            return records.update(session, session.get(Visit, record_id), values, user_id).id
        clinic = current_clinic(session)
        visit = Visit(
            clinic_id=clinic.id, resident_id=resident.id, doctor_id=user_id, institution_code=clinic.code,
            village_code=resident.division_code or clinic.division_code, **values,
        )
        return records.create(session, visit, user_id).id


def find_diagnoses(engine: Engine, query: str, *, limit: int = 5) -> list[DiagnosisHit]:
    """The best catalogue matches, one per code: a code in both built-in lists shows once, curated."""
    with read_session(engine) as session:
        hits = search_diagnoses(session, query, limit=limit * 3)
    unique: dict[str, DiagnosisHit] = {}
    for hit in hits:
        unique.setdefault(hit.code, hit)
    return list(unique.values())[:limit]
