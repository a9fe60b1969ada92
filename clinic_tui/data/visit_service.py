"""What the visit form reads and writes: each function is one read or one user action.

Screens never open a session; they reach these through ``store.visits``. The form asks here for a
visit's values (the resident's facts come from ``lookups.resident_facts``) and saves through
``save_visit``, which writes the visit, its audit entry and its outbox row in one transaction
(``records`` does the bookkeeping).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic, get_resident
from clinic_tui.data.models import Visit
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_

# What the visit form may set; the rest (clinic, doctor, institution, village) is set here.
VISIT_FIELDS = (
    "visit_at",
    "mode",
    "chief_complaint",
    "sbp",
    "dbp",
    "heart_rate",
    "temperature_c",
    "weight_kg",
    "height_cm",
    "glucose_mmol",
    "glucose_kind",
    "diagnoses",
    "treatment",
    "prescription",
    "fee_fen",
    "referral_flag",
)


def load_visit(engine: Engine, visit_id: str) -> dict[str, Any]:
    """The form-editable values of a visit, by model field name."""
    with read_session(engine) as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise DomainError(Problem("visit.missing", N_("This visit is no longer on file.")))
        return {name: getattr(visit, name) for name in VISIT_FIELDS}


def save_visit(
    engine: Engine, *, resident_id: str, values: dict[str, Any], user_id: str | None, record_id: str | None = None
) -> str:
    """Create (``record_id`` None) or update a visit of ``resident_id``; returns its id."""
    unknown = set(values) - set(VISIT_FIELDS)
    if unknown:
        raise ValueError(f"not visit form fields: {sorted(unknown)}")
    with unit_of_work(engine) as session:
        resident = get_resident(session, resident_id)
        if record_id is not None:
            return records.update(session, records.existing(session, Visit, record_id), values, user_id).id
        clinic = current_clinic(session)
        visit = Visit(
            clinic_id=clinic.id,
            resident_id=resident.id,
            doctor_id=user_id,
            institution_code=clinic.code,
            village_code=resident.division_code or clinic.division_code,
            **values,
        )
        return records.create(session, visit, user_id).id
