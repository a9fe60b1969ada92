"""followup_service on a migrated database: follow-ups, their due dates and the referral draft."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog
from clinic_tui.data.followup_service import (
    ReferralStart,
    followup_facts,
    load_followup,
    save_followup,
    save_followup_and_refer,
)
from clinic_tui.data.models import AuditEntry, Clinic, Followup, OutboxEntry, Referral, ReferralEvent, Resident
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.record_text import medications_text, parse_medications

DAY = date(2026, 11, 23)
EMERGENCY = ReferralStart("Blood pressure 185/100 mmHg.", "emergency", DAY)


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        session.get(Clinic, clinic.id).lead_hospital_name = "示范县人民医院"
        resident = Resident(
            clinic_id=clinic.id,
            name="张三",
            sex="1",
            birth_date=date(1958, 3, 1),
            id_number="11010519491231002X",
            phone="13800138000",
            chronic_conditions=["02"],
        )
        return records.create(session, resident, doctor.id)


def _followup(**changes):
    return {
        "followup_date": DAY,
        "mode": "1",
        "sbp": 150,
        "dbp": 95,
        "weight_kg": 70.0,
        "height_cm": 165.0,
        "classification": "2",
        "suggested_classification": "2",
        "next_date": date(2026, 12, 7),
        "medications": [{"name": "硝苯地平缓释片", "times_per_day": 2, "dose": "10mg"}],
    } | changes


def _count(engine, model) -> int:
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_follow_up_is_saved_with_its_bmi_and_moves_the_due_date(engine, doctor, resident):
    followup_id = save_followup(
        engine, resident_id=resident.id, disease="hypertension", values=_followup(), user_id=doctor.id
    )
    values = load_followup(engine, followup_id)
    assert (values["disease"], values["classification"], values["sbp"]) == ("hypertension", "2", 150)
    with read_session(engine) as session:
        assert session.get(Followup, followup_id).bmi == 25.7
        due = session.execute(
            text("SELECT next_date FROM followup_due WHERE resident_id = :id"), {"id": resident.id}
        ).scalar_one()
        outbox = session.exec(select(OutboxEntry).where(OutboxEntry.record_id == followup_id)).one()
    assert due == "2026-12-07" and outbox.kind == "followup"


def test_a_disease_not_on_file_is_refused_and_nothing_is_written(engine, doctor, resident):
    with pytest.raises(DomainError) as refused:
        save_followup_and_refer(
            engine,
            resident_id=resident.id,
            disease="diabetes",
            values=_followup(),
            user_id=doctor.id,
            referral=EMERGENCY,
        )
    assert refused.value.problem.code == "followup.disease_not_managed"
    assert "张三" in refused.value.message
    assert _count(engine, Referral) == _count(engine, Followup) == 0
    with read_session(engine) as session:
        assert set(session.exec(select(AuditEntry.kind)).all()) == {"user", "resident"}


def test_the_previous_follow_up_is_the_latest_other_one_up_to_the_day(engine, doctor, resident):
    first = save_followup(
        engine,
        resident_id=resident.id,
        disease="hypertension",
        user_id=doctor.id,
        values=_followup(followup_date=date(2026, 8, 1), classification="1"),
    )
    second = save_followup(
        engine,
        resident_id=resident.id,
        disease="hypertension",
        user_id=doctor.id,
        values=_followup(followup_date=date(2026, 11, 1), classification="2"),
    )
    facts = followup_facts(engine, resident.id)
    assert facts.managed == ("hypertension",) and facts.previous["hypertension"].id == second
    assert facts.previous["hypertension"].medications == _followup()["medications"]
    editing_second = followup_facts(engine, resident.id, on=date(2026, 11, 1), exclude_id=second)
    assert editing_second.previous["hypertension"].id == first
    assert followup_facts(engine, resident.id, on=date(2026, 7, 1)).previous["hypertension"] is None


def test_save_and_refer_writes_the_follow_up_a_prefilled_draft_and_its_first_event(engine, clinic, doctor, resident):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
    followup_id, referral_id = save_followup_and_refer(
        engine,
        resident_id=resident.id,
        disease="hypertension",
        values=_followup(),
        user_id=doctor.id,
        referral=EMERGENCY,
    )
    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        (event,) = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)).all()
        audited = session.exec(
            select(AuditEntry.kind).where(AuditEntry.record_id.in_([followup_id, referral_id, event.id]))
        ).all()
    assert referral.referral_no == "510112001-20261123-0001"
    assert (referral.status, referral.direction, referral.urgency) == ("draft", "up", "emergency")
    assert (referral.patient_name, referral.patient_id_number, referral.patient_phone) == (
        "张三",
        "11010519491231002X",
        "13800138000",
    )
    assert (referral.from_org_code, referral.from_doctor_name, referral.to_org_name) == (
        "510112001",
        "李医生",
        "示范县人民医院",
    )
    assert referral.diagnoses == [
        {"code": "I10", "name": "特发性(原发性)高血压", "system": "ICD-10-primary-care", "version": "clinic-tui-1"}
    ]
    assert referral.reason == EMERGENCY.reason and referral.treatment_so_far == "硝苯地平缓释片 2 10mg"
    assert (event.from_status, event.to_status, event.actor, event.author_id) == (None, "draft", "clinic", doctor.id)
    assert sorted(audited) == ["followup", "referral", "referral_event"]


def test_referral_numbers_count_up_within_a_day(engine, doctor, resident):
    numbers = []
    for _ in range(2):
        _, referral_id = save_followup_and_refer(
            engine,
            resident_id=resident.id,
            disease="hypertension",
            values=_followup(),
            user_id=doctor.id,
            referral=EMERGENCY,
        )
        with read_session(engine) as session:
            numbers.append(session.get(Referral, referral_id).referral_no)
    assert numbers == ["510112001-20261123-0001", "510112001-20261123-0002"]


def test_medications_typed_as_text_round_trip():
    typed = "硝苯地平缓释片 2 10mg；二甲双胍 3次 0.5g; 阿司匹林"
    parsed = parse_medications(typed)
    assert parsed == [
        {"name": "硝苯地平缓释片", "times_per_day": 2, "dose": "10mg"},
        {"name": "二甲双胍", "times_per_day": 3, "dose": "0.5g"},
        {"name": "阿司匹林", "times_per_day": None, "dose": None},
    ]
    assert medications_text(parsed) == "硝苯地平缓释片 2 10mg; 二甲双胍 3 0.5g; 阿司匹林"
    assert parse_medications(medications_text(parsed)) == parsed
    assert parse_medications("  ") == []
