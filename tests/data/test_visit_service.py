"""visit_service on a migrated database: what the visit form reads and writes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog, find_diagnoses
from clinic_tui.data.lookups import resident_facts
from clinic_tui.data.models import AuditEntry, OutboxEntry, Resident
from clinic_tui.data.visit_service import load_visit, save_visit
from clinic_tui.domain.problems import DomainError

SEEN_AT = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
HYPERTENSION = {
    "code": "I10",
    "name": "特发性(原发性)高血压",
    "system": "ICD-10-primary-care",
    "version": "clinic-tui-1",
}


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        resident = Resident(
            clinic_id=clinic.id,
            name="张三",
            sex="1",
            birth_date=date(1958, 12, 1),
            division_code="510112001001",
            chronic_conditions=["02"],
        )
        return records.create(session, resident, doctor.id)


def _visit(**changes):
    return {
        "visit_at": SEEN_AT,
        "mode": "1",
        "sbp": 150,
        "dbp": 95,
        "diagnoses": [HYPERTENSION],
        "fee_fen": 1500,
    } | changes


def test_a_new_visit_carries_clinic_doctor_and_village_and_is_audited_and_queued(engine, clinic, doctor, resident):
    visit_id = save_visit(engine, resident_id=resident.id, values=_visit(), user_id=doctor.id)
    values = load_visit(engine, visit_id)
    assert (values["sbp"], values["fee_fen"], values["diagnoses"]) == (150, 1500, [HYPERTENSION])
    assert values["visit_at"] == SEEN_AT
    with read_session(engine) as session:
        (audit,) = session.exec(select(AuditEntry).where(AuditEntry.record_id == visit_id)).all()
        outbox = session.exec(select(OutboxEntry).where(OutboxEntry.record_id == visit_id)).one()
    assert (audit.action, audit.user_id) == ("create", doctor.id)
    assert audit.changes["institution_code"] == [None, "510112001"]
    assert audit.changes["village_code"] == [None, "510112001001"] and audit.changes["doctor_id"] == [None, doctor.id]
    assert (outbox.kind, outbox.revision) == ("visit", 1)


def test_an_edit_updates_only_what_changed(engine, doctor, resident):
    visit_id = save_visit(engine, resident_id=resident.id, values=_visit(), user_id=doctor.id)
    save_visit(engine, resident_id=resident.id, values=_visit(sbp=138), user_id=doctor.id, record_id=visit_id)
    with read_session(engine) as session:
        entries = select(AuditEntry).where(AuditEntry.record_id == visit_id).order_by(AuditEntry.id)
        last = session.exec(entries).all()[-1]
        outbox = session.exec(select(OutboxEntry).where(OutboxEntry.record_id == visit_id)).one()
    assert (last.action, last.changes) == ("update", {"sbp": [150, 138]})
    assert outbox.revision == 2


def test_a_field_the_form_does_not_own_is_refused(engine, doctor, resident):
    with pytest.raises(ValueError, match="doctor_id"):
        save_visit(engine, resident_id=resident.id, values=_visit(doctor_id="someone"), user_id=doctor.id)


def test_a_deleted_resident_gets_no_visit(engine, doctor, resident):
    with unit_of_work(engine) as session:
        records.tombstone(session, session.get(Resident, resident.id), doctor.id)
    with pytest.raises(DomainError) as refused:
        save_visit(engine, resident_id=resident.id, values=_visit(), user_id=doctor.id)
    assert refused.value.problem.code == "resident.missing"


def test_the_facts_give_age_on_a_day_and_the_latest_visit(engine, doctor, resident):
    assert resident_facts(engine, resident.id).latest_visit is None
    save_visit(engine, resident_id=resident.id, values=_visit(height_cm=168.0), user_id=doctor.id)
    later = save_visit(
        engine, resident_id=resident.id, values=_visit(visit_at=SEEN_AT.replace(day=21), sbp=132), user_id=doctor.id
    )
    facts = resident_facts(engine, resident.id)
    assert (facts.name, facts.chronic_conditions) == ("张三", ("02",))
    assert (facts.age_on(date(2026, 11, 30)), facts.age_on(date(2026, 12, 1))) == (67, 68)
    assert (facts.latest_visit.id, facts.latest_visit.sbp) == (later, 132)


def test_diagnosis_matches_list_each_code_once_curated_first(engine):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
    hits = find_diagnoses(engine, "I10")
    assert [h.code for h in hits].count("I10") == 1
    assert hits[0].system == "ICD-10-primary-care"
    assert len(find_diagnoses(engine, "gxy", limit=3)) == 3
