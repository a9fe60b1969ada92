"""Lookups the services share: the clinic this database belongs to, a resident on file, what a
form shows about the resident it records for, the next referral number, a diagnosis as the
catalogue holds it.

Each takes the caller's session (``resident_facts`` its engine), so a service's write sees the same
transaction; none writes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui.data.db import read_session
from clinic_tui.data.diagnoses import search_diagnoses
from clinic_tui.data.form_facts import LatestVisit, ResidentFacts, resident_missing
from clinic_tui.data.models import AppSetting, Clinic, DiagnosisCode, Referral, Resident, Visit
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.domain.referral import number_after, referral_number_prefix
from clinic_tui.i18n import N_


def current_clinic(session: Session) -> Clinic:
    """The clinic this database belongs to (the setting, or the only clinic there is)."""
    setting = session.get(AppSetting, "clinic_id")
    clinic = session.get(Clinic, setting.value) if setting is not None else None
    clinic = clinic or session.execute(select(Clinic).limit(1)).scalar_one_or_none()
    if clinic is None:
        raise DomainError(Problem("clinic.missing", N_("This database has no clinic set up.")))
    return clinic


def get_resident(session: Session, resident_id: str | None) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.deleted:
        raise resident_missing()
    return resident


def resident_facts(engine: Engine, resident_id: str) -> ResidentFacts:
    with read_session(engine) as session:
        resident = get_resident(session, resident_id)
        latest = session.execute(
            select(Visit)
            .where(col(Visit.resident_id) == resident_id, col(Visit.deleted) == False)
            .order_by(col(Visit.visit_at).desc())
            .limit(1)
        ).scalar_one_or_none()
        return ResidentFacts(
            resident.id,
            resident.name,
            resident.sex,
            resident.birth_date,
            tuple(resident.chronic_conditions or ()),
            None
            if latest is None
            else LatestVisit(
                latest.id,
                latest.visit_at,
                latest.sbp,
                latest.dbp,
                latest.heart_rate,
                latest.weight_kg,
                latest.height_cm,
            ),
        )


def next_referral_number(session: Session, clinic_code: str, day: date) -> str:
    """The clinic's next referral number of ``day`` (the caller's transaction keeps it unique)."""
    prefix = referral_number_prefix(clinic_code, day)
    taken = session.execute(
        select(col(Referral.referral_no)).where(col(Referral.referral_no).startswith(prefix))
    ).scalars()
    return number_after(clinic_code, day, taken)


def catalogue_diagnosis(session: Session, code: str) -> list[dict]:
    """The code as the catalogue holds it (curated list first; a county list may write I10.x00).

    Empty when the catalogue lacks it: the referral screens ask for a diagnosis before sending.
    """
    row = session.execute(
        select(DiagnosisCode)
        .where(col(DiagnosisCode.code) == code, col(DiagnosisCode.active) == True)
        .order_by(col(DiagnosisCode.curated).desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is not None:
        return [{"code": row.code, "name": row.name, "system": row.system, "version": row.version}]
    hits = search_diagnoses(session, code, limit=1)
    return [{"code": h.code, "name": h.name, "system": h.system, "version": h.version} for h in hits]
