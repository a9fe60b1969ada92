"""data/slip_results.py and the referral's ``results`` on a migrated database: the lab's reported
results of the resident's orders (the current specimen only) and the remote reads' reports are
offered, the recognised recent ones first and preselected; what the doctor chose is stored on the
referral, queued for sync with it, and read back the same."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lab_orders import order
from clinic_tui.data.lab_orders import recollect as recollect_order
from clinic_tui.data.models import LabEvent, OutboxEntry, Referral, RemoteEvent, Resident
from clinic_tui.data.referral_service import FORM_FIELDS, load_referral, prefill, save_draft, submit
from clinic_tui.data.remote_requests import submit as submit_remote
from clinic_tui.data.slip_results import available, preselection
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.slip_results import MAX_RESULTS, RECENT_DAYS, SlipResult, preselected

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)
COLLECTION = {"collected_at": NOW, "collected_by": "王护士", "barcode": "S0012345"}


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(
            session, Resident(clinic_id=clinic.id, name="张三", sex="1", birth_date=date(1958, 3, 1)), doctor.id
        )


@pytest.fixture
def other(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(session, Resident(clinic_id=clinic.id, name="李四", sex="2"), doctor.id)


_arrivals = iter(range(1, 1000))


def _lab(engine, resident_id, doctor_id, *, days_ago, recognised, results, attempt=1, to_status="reported"):
    order_id, _no = order(
        engine,
        resident_id=resident_id,
        values={"items": [{"code": "GLU"}], "specimen": "serum", "priority": "routine", "fasting": True, **COLLECTION},
        user_id=doctor_id,
        send=True,
        now=NOW,
    )
    arrival = next(_arrivals)
    when = NOW - timedelta(days=days_ago)
    with unit_of_work(engine) as session:
        session.add(
            LabEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                arrival=arrival,
                order_id=order_id,
                attempt=attempt,
                to_status=to_status,
                at=when,
                received_at=when,
                reported_at=when,
                institution="县人民医院检验科",
                recognised=recognised,
                results=results,
            )
        )
    return order_id


def _glucose(value="8.4", flag="H"):
    return [
        {
            "code": "GLU",
            "name": "血糖（空腹）",
            "value": value,
            "unit": "mmol/L",
            "reference_range": "3.9-6.1",
            "flag": flag,
        }
    ]


def _ecg_report(engine, resident_id, doctor_id, *, days_ago, service="ecg"):
    request_id, _no = submit_remote(
        engine,
        resident_id=resident_id,
        values={"service": service, "urgency": "routine", "question": "心律?", "consent": True},
        user_id=doctor_id,
        now=NOW,
    )
    arrival = next(_arrivals)
    when = NOW - timedelta(days=days_ago)
    with unit_of_work(engine) as session:
        session.add(
            RemoteEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                arrival=arrival,
                request_id=request_id,
                to_status="reported",
                at=when,
                received_at=when,
                conclusion="窦性心动过速",
                signed_at=when,
                critical=False,
            )
        )
    return request_id


def test_offered_recognised_recent_first_and_only_the_residents_own(engine, clinic, doctor, resident, other):
    with unit_of_work(engine) as session:
        session.get(type(clinic), clinic.id).lead_hospital_name = "示范县人民医院"
    _lab(engine, resident.id, doctor.id, days_ago=40, recognised=True, results=_glucose("7.9"))  # recognised, old
    _lab(engine, resident.id, doctor.id, days_ago=3, recognised=False, results=_glucose("6.5"))  # recent, not
    _lab(engine, resident.id, doctor.id, days_ago=10, recognised=True, results=_glucose("8.4"))  # both
    _ecg_report(engine, resident.id, doctor.id, days_ago=1)
    _ecg_report(engine, resident.id, doctor.id, days_ago=1, service="consult_async")  # advice, not a result
    _lab(engine, other.id, doctor.id, days_ago=2, recognised=True, results=_glucose("5.0"))  # someone else's
    _lab(engine, resident.id, doctor.id, days_ago=2, recognised=True, results=[], to_status="received")
    found = available(engine, resident.id, now=NOW)
    assert [(r.source, r.value, r.recognised) for r in found] == [
        ("lab", "8.4", True),
        ("lab", "7.9", True),
        ("report", "窦性心动过速", False),
        ("lab", "6.5", False),
    ]
    ecg = found[2]
    assert (ecg.item, ecg.institution, ecg.flag, ecg.code) == ("心电诊断", "示范县人民医院", None, "ecg")
    chosen = preselection(engine, resident.id, now=NOW)
    assert [c["value"] for c in chosen] == ["8.4"]
    assert chosen[0]["institution"] == "县人民医院检验科" and chosen[0]["reference_range"] == "3.9-6.1"
    # The window is one constant: 40 days back is chosen too once it is wider.
    wider = preselected(found, NOW, days=45)
    assert [r.value for r in wider] == ["8.4", "7.9"] and RECENT_DAYS < 40


def test_a_recollected_orders_old_report_is_not_offered(engine, doctor, resident):
    """Only the current specimen's results stand (a report about a rejected tube's attempt is stale)."""
    order_id = _lab(
        engine, resident.id, doctor.id, days_ago=5, recognised=True, results=_glucose(), to_status="rejected"
    )
    recollect_order(engine, order_id, values={**COLLECTION, "barcode": "S0099999"}, user_id=doctor.id)
    _lab_event_on(engine, order_id, attempt=1)
    assert available(engine, resident.id, now=NOW) == []


def _lab_event_on(engine, order_id, attempt):
    arrival = next(_arrivals)
    with unit_of_work(engine) as session:
        session.add(
            LabEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                arrival=arrival,
                order_id=order_id,
                attempt=attempt,
                to_status="reported",
                at=NOW,
                received_at=NOW,
                recognised=True,
                results=_glucose(),
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


def test_the_choice_is_stored_on_the_referral_and_travels_with_it(engine, doctor, resident, monkeypatch):
    _lab(engine, resident.id, doctor.id, days_ago=2, recognised=True, results=_glucose())
    monkeypatch.setenv("CLINIC_TUI_TODAY", NOW.date().isoformat())
    start = prefill(engine, resident.id).values
    assert [r["value"] for r in start["results"]] == ["8.4"]  # a new slip starts with them
    chosen = [*start["results"], {"item": "手写的", "recognised": "yes", "reported_at": "not a time", "extra": 1}]
    referral_id, _number = submit(
        engine, resident_id=resident.id, values=_complete(results=chosen), user_id=doctor.id, today=DAY
    )
    stored = load_referral(engine, referral_id)["results"]
    assert stored[0] == start["results"][0]
    # What is malformed is stored blank, never as it came: not recognised, no time, no stray keys.
    assert (stored[1]["item"], stored[1]["recognised"], stored[1]["reported_at"]) == ("手写的", False, None)
    assert "extra" not in stored[1]
    with read_session(engine) as session:
        outbox = session.get(OutboxEntry, ("referral", referral_id))
        assert outbox is not None
        referral = session.get(Referral, referral_id)
        assert SlipResult.from_wire(referral.results[0]).recognised is True
    # On the wire inside the referral record; the hub's copy of the slip prints what the clinic's does.
    from clinic_hub.web.i18n import Translator
    from clinic_hub.web.views import slip_sections as hub_sections
    from clinic_tui.slip import slip_sections
    from clinic_tui.sync.outbox import OutboxItem, build_batch

    _sent, (text,) = build_batch(engine, [OutboxItem("referral", referral_id, referral.revision)])
    data = json.loads(text)["data"]
    assert data["results"][0]["institution"] == "县人民医院检验科" and data["results"][0]["recognised"] is True
    (clinic_table,) = next(s for s in slip_sections(referral) if s.title == "检查及结果").more
    hub = next(
        s for s in hub_sections(Translator("zh"), data, "up", "sent", "normal") if s.title == "上级医院检查检验结果"
    )
    assert hub.rows == clinic_table.rows and hub.headers == clinic_table.headers
    assert clinic_table.rows[0] == [
        "血糖（空腹）",
        "8.4",
        "mmol/L",
        "3.9-6.1",
        "偏高 H",
        "县人民医院检验科",
        "2026-11-21",
        "互认",
    ]
    assert clinic_table.rows[1][-1] == "未互认"


def test_too_many_results_are_refused_and_nothing_is_written(engine, doctor, resident):
    many = [{"item": f"项目{i}", "source_id": str(i)} for i in range(MAX_RESULTS + 1)]
    with pytest.raises(DomainError) as refused:
        save_draft(engine, resident_id=resident.id, values=_complete(results=many), user_id=doctor.id, today=DAY)
    assert refused.value.problem.code == "referral.too_many_results"
    with read_session(engine) as session:
        assert session.exec(select(Referral)).all() == []
