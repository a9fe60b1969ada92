"""data/remote_requests.py on a migrated database: sending with numbering, problems by field,
withdrawing as domain.remote allows, reading the report and acknowledging a critical value; every
change with its outbox row and audit entry in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import AuditEntry, OutboxEntry, RemoteEvent, RemoteRequest, Resident, Visit
from clinic_tui.data.remote_requests import (
    RemoteRefused,
    acknowledge_critical,
    critical_count,
    detail,
    mark_read,
    page,
    prefill,
    shown_status,
    submit,
    withdraw,
)
from clinic_tui.data.store import Store
from clinic_tui.domain.problems import DomainError

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in the clinic (Asia/Shanghai)


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(
            session,
            Resident(clinic_id=clinic.id, name="张三", sex="1", birth_date=date(1958, 3, 1), chronic_conditions=["02"]),
            doctor.id,
        )


def _values(**changes):
    values = {
        "service": "ecg",
        "urgency": "urgent",
        "question": "ST 段抬高?",
        "chief_complaint": "胸痛 2 小时",
        "findings": "BP 150/95 mmHg",
        "preliminary_diagnoses": [{"code": "I20.9", "name": "心绞痛", "system": "ICD-10", "version": "x"}],
        "consent": True,
    }
    return values | changes


def _event(engine, request_id, to_status, arrival, **data) -> None:
    with unit_of_work(engine) as session:
        session.add(
            RemoteEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                arrival=arrival,
                request_id=request_id,
                to_status=to_status,
                at=NOW,
                received_at=NOW,
                **data,
            )
        )


def _outbox(engine, request_id):
    with read_session(engine) as session:
        return session.get(OutboxEntry, ("remote_request", request_id))


def _audit(engine, request_id):
    with read_session(engine) as session:
        return list(
            session.exec(select(AuditEntry).where(AuditEntry.record_id == request_id).order_by(AuditEntry.at)).all()
        )


def test_submit_numbers_per_clinic_and_day_and_queues_with_audit(engine, clinic, doctor, resident):
    first_id, first_no = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    _, second_no = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    assert first_no == f"{clinic.code}-20261123-R0001"
    assert second_no == f"{clinic.code}-20261123-R0002"
    with read_session(engine) as session:
        row = session.get(RemoteRequest, first_id)
        assert row.status == "requested"
        assert row.patient_name == "张三" and row.patient_sex == "1"
        assert row.requesting_doctor == doctor.name
        assert row.preliminary_diagnoses == [{"code": "I20.9", "name": "心绞痛", "system": "ICD-10"}]
    assert _outbox(engine, first_id).revision == 1
    assert [entry.action for entry in _audit(engine, first_id)] == ["create"]


def test_problems_name_their_fields_and_nothing_is_written(engine, doctor, resident):
    with pytest.raises(RemoteRefused) as refused:
        submit(
            engine,
            resident_id=resident.id,
            values=_values(question=" ", consent=False, service="mri", time_wished=NOW),
            user_id=doctor.id,
        )
    assert {p.field for p in refused.value.problems} == {"question", "consent", "service", "time_wished"}
    with read_session(engine) as session:
        assert session.exec(select(RemoteRequest)).all() == []
        assert session.exec(select(OutboxEntry).where(OutboxEntry.kind == "remote_request")).all() == []


def test_withdraw_before_the_hospital_accepts_then_refused_after(engine, doctor, resident):
    early, _ = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id)
    withdraw(engine, early, user_id=doctor.id)
    assert detail(engine, early).status == "withdrawn"
    assert _outbox(engine, early).revision == 2
    assert [entry.action for entry in _audit(engine, early)] == ["create", "update"]

    late, _ = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id)
    _event(engine, late, "accepted", 1)
    assert detail(engine, late).can_withdraw is False
    with pytest.raises(DomainError) as refused:
        withdraw(engine, late, user_id=doctor.id)
    assert refused.value.problem.code == "remote.illegal_move"
    with read_session(engine) as session:
        assert session.get(RemoteRequest, late).status == "requested"
    assert _outbox(engine, late).revision == 1


def test_report_read_and_critical_acknowledged_by_the_signed_in_doctor(engine, doctor, resident):
    request_id, _ = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id)
    with pytest.raises(DomainError):
        mark_read(engine, request_id, user_id=doctor.id)  # nothing reported yet
    _event(engine, request_id, "accepted", 1)
    _event(engine, request_id, "reported", 2, conclusion="急性下壁心梗", critical=True, critical_note="ST 抬高")
    shown = detail(engine, request_id)
    assert shown.status == "reported" and shown.report.conclusion == "急性下壁心梗"
    assert shown.needs_critical_ack and shown.can_mark_read
    assert critical_count(engine) == 1
    store = Store(Path(engine.url.database), engine)  # the header and the dashboard read plain SQLite
    assert store.critical_values() == 1
    (banner,) = store.dashboard(NOW.date()).critical_values
    assert (banner.kind, banner.record_id, banner.name) == ("remote_request", request_id, "张三")
    rows, counts = page(engine, "critical")
    assert [r.id for r in rows] == [request_id] and counts["unread"] == 1

    acknowledge_critical(engine, request_id, user_id=doctor.id, now=NOW)
    assert critical_count(engine) == 0
    assert store.critical_values() == 0 and store.dashboard(NOW.date()).critical_values == []
    with pytest.raises(DomainError):
        acknowledge_critical(engine, request_id, user_id=doctor.id)
    mark_read(engine, request_id, user_id=doctor.id, now=NOW)
    with read_session(engine) as session:
        row = session.get(RemoteRequest, request_id)
        assert (row.critical_ack_by, row.critical_ack_at) == (doctor.name, NOW)
        assert (row.report_read_by, row.report_read_at) == (doctor.name, NOW)
    assert detail(engine, request_id).status == "read"
    assert _outbox(engine, request_id).revision == 3
    assert [entry.action for entry in _audit(engine, request_id)] == ["create", "update", "update"]


def test_acknowledging_without_a_critical_value_is_refused(engine, doctor, resident):
    request_id, _ = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id)
    _event(engine, request_id, "reported", 1, conclusion="正常心电图")
    with pytest.raises(DomainError) as refused:
        acknowledge_critical(engine, request_id, user_id=doctor.id)
    assert refused.value.problem.code == "remote.no_critical"


def test_prefill_from_a_visit_carries_the_vital_signs_and_diagnoses(engine, clinic, doctor, resident):
    with unit_of_work(engine) as session:
        visit = records.create(
            session,
            Visit(
                clinic_id=clinic.id,
                resident_id=resident.id,
                visit_at=NOW,
                chief_complaint="头晕",
                sbp=168,
                dbp=102,
                heart_rate=88,
                diagnoses=[{"code": "I10", "name": "高血压", "system": "ICD-10", "version": "2"}],
            ),
            doctor.id,
        )
    values = prefill(engine, resident.id, visit_id=visit.id)
    assert values["chief_complaint"] == "头晕"
    assert "168/102" in values["findings"] and "88" in values["findings"]
    assert values["preliminary_diagnoses"] == [{"code": "I10", "name": "高血压", "system": "ICD-10"}]
    assert (values["source_kind"], values["source_id"]) == ("visit", visit.id)


@pytest.mark.parametrize(
    ("clinic_status", "hospital", "read", "shown"),
    [
        ("requested", None, False, "requested"),
        ("withdrawn", None, False, "withdrawn"),
        ("withdrawn", "timed_out", False, "withdrawn"),
        ("withdrawn", "accepted", False, "accepted"),  # the hub refused the late withdrawal
        ("requested", "reported", False, "reported"),
        ("requested", "reported", True, "read"),
    ],
)
def test_shown_status(clinic_status, hospital, read, shown):
    assert shown_status(clinic_status, hospital, read) == shown


def test_requests_join_the_residents_timeline_with_the_reports_conclusion(engine, doctor, resident):
    from clinic_tui.data.resident_service import timeline

    request_id, _ = submit(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    _event(engine, request_id, "reported", 1, conclusion="急性下壁心梗", critical=True)
    (item,) = [i for i in timeline(engine, resident.id, NOW.date()).items if i.kind == "remote_request"]
    assert item.record_id == request_id and item.day == NOW.date()
    assert item.summary.startswith("危急值") and "心电诊断" in item.summary and "急性下壁心梗" in item.summary
    acknowledge_critical(engine, request_id, user_id=doctor.id)
    (item,) = [i for i in timeline(engine, resident.id, NOW.date()).items if i.kind == "remote_request"]
    assert not item.summary.startswith("危急值")
