"""referral_service on a migrated database: prefill, directory, drafts and submission."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog
from clinic_tui.data.models import (
    AppSetting,
    AuditEntry,
    Clinic,
    Department,
    Followup,
    Hospital,
    OutboxEntry,
    Referral,
    ReferralEvent,
    Resident,
    SlotPool,
    Task,
    Visit,
)
from clinic_tui.data.referral_service import (
    FORM_FIELDS,
    ReferralRefused,
    directory,
    load_referral,
    prefill,
    reason_templates,
    save_draft,
    submit,
)
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.record_text import (
    examinations_text,
    parse_examinations,
    transport_codes,
    transport_from_codes,
)

DAY = date(2026, 11, 23)


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        row = session.get(Clinic, clinic.id)
        row.lead_hospital_code, row.lead_hospital_name = "SFX001", "示范县人民医院"
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


@pytest.fixture
def hospital(engine):
    with unit_of_work(engine) as session:
        session.add(Hospital(id="h1", code="SFX001", name="示范县人民医院", phone="0838-6200120"))
        session.add(Hospital(id="h2", code="AAA", name="A市中心医院"))
        session.flush()
        session.add(Department(id="d1", hospital_id="h1", code="NK-XXG", name="心血管内科"))
        session.add(Department(id="d2", hospital_id="h1", code="NK-NFM", name="内分泌科"))
        session.add(Department(id="d3", hospital_id="h1", code="OLD", name="旧科室", active=False))
        session.flush()
        session.add(SlotPool(id="s1", department_id="d1", day=DAY, total=30, reserved_for_primary=10, remaining=4))
        session.add(
            SlotPool(
                id="s2", department_id="d2", day=date(2026, 11, 24), total=30, reserved_for_primary=10, remaining=9
            )
        )


def _complete(**changes) -> dict:
    values = dict.fromkeys(FORM_FIELDS) | {
        "purpose": "outpatient",
        "urgency": "normal",
        "to_org_code": "SFX001",
        "to_org_name": "示范县人民医院",
        "to_department_code": "NK-XXG",
        "to_department_name": "心血管内科",
        "diagnoses": [{"code": "I10", "name": "特发性（原发性）高血压", "system": "icd10", "version": "x"}],
        "reason": "血压控制不满意",
        "treatment_so_far": "硝苯地平 10mg 2次/日",
        "examinations": [],
        "medications": [],
        "consent_given": True,
        "consent_by": "patient",
        "consent_signer": "张三",
        "transport": {},
    }
    return values | changes


def _rows(engine, model, **where):
    with read_session(engine) as session:
        statement = select(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return list(session.exec(statement))


def test_the_directory_lists_the_lead_hospital_first_with_active_departments_and_todays_slots(
    engine, resident, hospital
):
    found = directory(engine, DAY)
    assert [h.code for h in found.hospitals] == ["SFX001", "AAA"] and found.synced
    lead = found.hospital("SFX001")
    assert [(d.code, d.remaining) for d in lead.departments] == [("NK-NFM", None), ("NK-XXG", 4)]
    assert lead.phone == "0838-6200120"


def test_an_unsynced_directory_is_empty_but_knows_the_lead_hospital(engine, resident):
    found = directory(engine, DAY)
    assert not found.synced and (found.lead_code, found.lead_name) == ("SFX001", "示范县人民医院")


def test_reason_templates_are_translated_and_a_county_list_replaces_them(engine, clinic):
    assert reason_templates(engine)[0] == "诊断不明确，需专科明确诊断"
    with unit_of_work(engine) as session:
        session.add(AppSetting(key="referral_reason_templates", value=json.dumps(["县目录原因甲", "县目录原因乙"])))
    assert reason_templates(engine) == ["县目录原因甲", "县目录原因乙"]


def test_prefill_takes_the_latest_visit_and_follow_up(engine, clinic, doctor, resident):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
        records.create(
            session,
            Visit(
                clinic_id=clinic.id,
                resident_id=resident.id,
                visit_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
                chief_complaint="头晕三天",
                sbp=172,
                dbp=104,
                treatment="休息",
                diagnoses=[{"code": "R42", "name": "头晕", "system": "s", "version": "v"}],
            ),
            doctor.id,
        )
        records.create(
            session,
            Followup(
                clinic_id=clinic.id,
                resident_id=resident.id,
                disease="hypertension",
                followup_date=date(2026, 11, 1),
                sbp=150,
                dbp=95,
                medications=[{"name": "硝苯地平", "times_per_day": 2, "dose": "10mg"}],
            ),
            doctor.id,
        )
    start = prefill(engine, resident.id)
    values = start.values
    assert start.resident_name == "张三" and values["chief_complaint"] == "头晕三天"
    assert [d["code"] for d in values["diagnoses"]] == ["R42", "I10"]
    assert values["past_history"] == "高血压"
    assert examinations_text(values["examinations"]).startswith("血压 172/104 mmHg (2026-11-20 ")
    assert values["treatment_so_far"] == "休息; 用药：硝苯地平 10mg 每日2次"
    assert values["medications"][0]["drug"] == "硝苯地平"


def test_a_draft_is_saved_with_the_resident_block_and_a_first_event_and_can_be_changed(engine, doctor, resident):
    referral_id = save_draft(
        engine, resident_id=resident.id, values=_complete(consent_given=False), user_id=doctor.id, today=DAY
    )
    loaded = load_referral(engine, referral_id)
    assert (loaded["status"], loaded["referral_no"], loaded["patient_name"]) == (
        "draft",
        "510112001-20261123-0001",
        "张三",
    )
    (referral,) = _rows(engine, Referral)
    assert (referral.patient_id_number, referral.from_doctor_name, referral.author_id) == (
        "11010519491231002X",
        "李医生",
        doctor.id,
    )
    (event,) = _rows(engine, ReferralEvent)
    assert (event.from_status, event.to_status) == (None, "draft")
    save_draft(
        engine,
        resident_id=resident.id,
        values=_complete(reason="改了"),
        user_id=doctor.id,
        record_id=referral_id,
        today=DAY,
    )
    assert load_referral(engine, referral_id)["reason"] == "改了" and len(_rows(engine, Referral)) == 1


def test_submit_numbers_sends_and_creates_the_two_week_check_in_one_go(engine, doctor, resident):
    referral_id, number = submit(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, today=DAY)
    assert number == "510112001-20261123-0001"
    (referral,) = _rows(engine, Referral)
    assert (referral.status, referral.referral_date, referral.revision) == ("sent", DAY, 2)
    events = sorted((e.from_status or "", e.to_status) for e in _rows(engine, ReferralEvent))
    assert events == [("", "draft"), ("draft", "sent")]
    (task,) = _rows(engine, Task)
    assert (task.kind, task.due_date, task.source_id, task.resident_id) == (
        "referral_check",
        date(2026, 12, 7),
        referral_id,
        resident.id,
    )
    assert task.title == f"跟进转诊 {number}"
    with read_session(engine) as session:
        queued = dict(session.exec(select(OutboxEntry.kind, OutboxEntry.revision)).all())
        authors = set(session.exec(select(AuditEntry.user_id).where(AuditEntry.kind != "user")).all())
    assert queued["referral"] == 2 and {"referral_event", "task"} <= set(queued) and authors == {doctor.id}


def test_a_second_referral_the_same_day_takes_the_next_number(engine, doctor, resident):
    submit(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, today=DAY)
    _id, number = submit(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, today=DAY)
    assert number.endswith("-0002")


def test_an_incomplete_slip_is_refused_with_every_problem_and_nothing_written(engine, doctor, resident):
    with pytest.raises(ReferralRefused) as refused:
        submit(
            engine,
            resident_id=resident.id,
            values=_complete(reason=" ", consent_given=False, urgency="emergency"),
            user_id=doctor.id,
        )
    fields = {p.field for p in refused.value.problems}
    assert fields == {"reason", "consent_given", "transport"}
    assert "请填写转诊原因" in refused.value.problems[0].message
    with read_session(engine) as session:
        assert session.execute(select(func.count()).select_from(Referral)).scalar_one() == 0


def test_a_sent_referral_cannot_be_changed_as_a_draft(engine, doctor, resident):
    referral_id, _number = submit(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, today=DAY)
    with pytest.raises(DomainError) as refused:
        save_draft(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, record_id=referral_id)
    assert refused.value.problem.code == "referral.not_draft"


def test_text_forms_of_examinations_and_transport_round_trip():
    examinations = parse_examinations("血压 172/104 mmHg；心电图 ST段压低; ")
    assert examinations == [
        {"item": "血压", "result": "172/104 mmHg", "abnormal": None},
        {"item": "心电图", "result": "ST段压低", "abnormal": None},
    ]
    assert examinations_text(examinations) == "血压 172/104 mmHg; 心电图 ST段压低"
    assert transport_from_codes("135") == {
        "oxygen": True,
        "monitor": False,
        "stretcher": True,
        "escort": False,
        "ambulance_120": True,
    }
    assert transport_codes(transport_from_codes("0")) == "0" and transport_from_codes("") is None
    with pytest.raises(ValueError):
        transport_from_codes("06")


def test_cancelling_a_sent_referral_closes_its_check_task(engine, doctor, resident):
    """Issue 14 item 7: a withdrawn referral leaves nothing to check on."""
    from clinic_tui.data.referral_status import move

    referral_id, _number = submit(engine, resident_id=resident.id, values=_complete(), user_id=doctor.id, today=DAY)
    move(engine, referral_id, "cancelled", user_id=doctor.id, reason="患者改去省医院")
    (task,) = _rows(engine, Task)
    assert task.done_at is not None and task.done_by == doctor.id and task.revision == 2


def test_a_referral_from_a_follow_up_states_that_follow_ups_readings_first_each_judged(
    engine, clinic, doctor, resident
):
    """Issue 14.1: visit at 168/96, follow-up the same day at 185/115, referred from the follow-up."""
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
        records.create(
            session,
            Visit(
                clinic_id=clinic.id,
                resident_id=resident.id,
                visit_at=datetime(2026, 11, 20, 1, tzinfo=UTC),
                sbp=168,
                dbp=96,
                heart_rate=78,
                diagnoses=[{"code": "I10", "name": "高血压", "system": "s", "version": "v"}],
            ),
            doctor.id,
        )
        followup = records.create(
            session,
            Followup(
                clinic_id=clinic.id,
                resident_id=resident.id,
                disease="hypertension",
                followup_date=date(2026, 11, 20),
                sbp=185,
                dbp=115,
            ),
            doctor.id,
        )
        followup.created_at = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # recorded that afternoon
        followup_id = followup.id
    examinations = prefill(engine, resident.id, followup_id=followup_id).values["examinations"]
    first = examinations[0]
    assert first["item"] == "血压" and first["result"].startswith("185/115 mmHg (2026-11-20 ")
    assert first["result"].endswith(":30)")  # the time it was taken, not only the day
    assert first["abnormal"] is True
    assert not any("168/96" in e["result"] for e in examinations)  # one BP: the follow-up's
    heart = next(e for e in examinations if e["item"] == "心率")
    assert heart["abnormal"] is False  # 78 is judged normal by the reference range, not assumed
    # From the visit, the visit's reading comes first.
    with read_session(engine) as session:
        visit_id = session.exec(select(Visit.id)).one()
    from_visit = prefill(engine, resident.id, visit_id=visit_id).values["examinations"]
    assert from_visit[0]["result"].startswith("168/96 mmHg") and from_visit[0]["abnormal"] is True


def test_examination_verdicts_survive_the_form_text_and_a_missing_one_stays_unjudged():
    typed = "血压 185/115 mmHg (2026-11-20 14:30) 异常; 心率 78 次/分 正常; 心电图 ST段压低"
    examinations = parse_examinations(typed)
    assert [e["abnormal"] for e in examinations] == [True, False, None]
    assert examinations[0]["result"] == "185/115 mmHg (2026-11-20 14:30)"
    assert examinations_text(examinations) == typed
    assert parse_examinations("Blood pressure 185/115 mmHg abnormal")[0]["abnormal"] is True


def test_the_hub_receives_the_verdicts_and_its_copy_of_the_slip_says_what_the_clinics_says(engine, doctor, resident):
    """The examinations travel inside the referral record: the wire carries each verdict as it is
    (true, false or null), and the hub's page of the slip reads them as the printed slip does."""
    from clinic_hub.web.i18n import Translator
    from clinic_hub.web.views import slip_sections as hub_sections
    from clinic_tui.slip import slip_sections
    from clinic_tui.sync.outbox import OutboxItem, build_batch

    examinations = parse_examinations(
        "血压 185/115 mmHg (2026-11-23 14:30) 异常; 心率 78 次/分 正常; 餐后血糖 9.1 mmol/L"
    )
    referral_id, _number = submit(
        engine, resident_id=resident.id, values=_complete(examinations=examinations), user_id=doctor.id, today=DAY
    )
    (referral,) = _rows(engine, Referral, id=referral_id)
    _sent, (text,) = build_batch(engine, [OutboxItem("referral", referral_id, referral.revision)])
    data = json.loads(text)["data"]
    assert [e["abnormal"] for e in data["examinations"]] == [True, False, None]
    clinic_rows = next(s for s in slip_sections(referral) if s.title == "检查及结果").table.rows
    hub = next(s for s in hub_sections(Translator("zh"), data, "up", "sent", "normal") if s.title == "检查及结果")
    assert hub.rows == clinic_rows
    assert [row[-1] for row in hub.rows] == ["异常", "正常", "未判定"]
