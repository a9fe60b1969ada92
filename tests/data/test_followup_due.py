"""followup_due follows every change to residents and follow-ups, in the same transaction."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.followup_due import rebuild
from clinic_tui.data.models import Followup, Resident


def _due(engine):
    with read_session(engine) as session:
        return {(r.disease, r.next_date) for r in session.execute(text("SELECT disease, next_date FROM followup_due"))}


def test_a_managed_patient_is_due_from_registration_until_followed_up(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(
            session, Resident(clinic_id=clinic.id, name="张三", chronic_conditions=["02"]), doctor.id
        )
    registered = resident.created_at.date().isoformat()
    assert _due(engine) == {("hypertension", registered)}
    with unit_of_work(engine) as session:
        followup = records.create(
            session,
            Followup(
                clinic_id=clinic.id,
                resident_id=resident.id,
                disease="hypertension",
                followup_date=date(2026, 11, 1),
                next_date=date(2027, 2, 1),
            ),
            doctor.id,
        )
    assert _due(engine) == {("hypertension", "2027-02-01")}
    with unit_of_work(engine) as session:
        records.tombstone(session, session.get(Followup, followup.id), doctor.id)
    assert _due(engine) == {("hypertension", registered)}


def test_adding_and_removing_a_condition_adds_and_removes_its_due_date(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="李四"), doctor.id)
    assert _due(engine) == set()
    with unit_of_work(engine) as session:
        records.update(session, session.get(Resident, resident.id), {"chronic_conditions": ["02", "03"]}, doctor.id)
    assert {d for d, _ in _due(engine)} == {"hypertension", "diabetes"}
    with unit_of_work(engine) as session:
        records.update(session, session.get(Resident, resident.id), {"chronic_conditions": ["03"]}, doctor.id)
    assert {d for d, _ in _due(engine)} == {"diabetes"}


def test_a_full_rebuild_gives_what_the_incremental_updates_gave(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        for i, conditions in enumerate((["02"], ["03"], ["02", "03"], [])):
            resident = records.create(
                session, Resident(clinic_id=clinic.id, name=f"居民{i}", chronic_conditions=conditions), doctor.id
            )
            if conditions:
                records.create(
                    session,
                    Followup(
                        clinic_id=clinic.id,
                        resident_id=resident.id,
                        disease="diabetes" if "03" in conditions else "hypertension",
                        followup_date=date(2026, 10, i + 1),
                        next_date=date(2027, 1, i + 1),
                    ),
                    doctor.id,
                )
    incremental = _due(engine)
    with engine.begin() as connection:
        rebuild(connection)
    assert _due(engine) == incremental and len(incremental) == 4
