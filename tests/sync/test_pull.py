"""Pull: the hospital's answers, downward referrals, the directory and notices reach the clinic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from clinic_hub import changes
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import (
    AuditEntry,
    Broadcast,
    Clinic,
    Department,
    Hospital,
    OutboxEntry,
    Referral,
    ReferralEvent,
    Resident,
    SlotPool,
    SyncCursor,
)
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register


def _rows(engine, model):
    with read_session(engine) as session:
        return list(session.execute(select(model)).scalars())


def test_pull_applies_an_acceptance_a_downward_referral_the_directory_and_a_notice_once(
    hub, small_clinic, clinic_settings
):
    engine = small_clinic
    code, token = register(hub, engine)
    department = hub.new_department()
    with unit_of_work(engine) as session:
        clinic = session.execute(select(Clinic)).scalar_one()
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        slip = records.create(
            session,
            Referral(
                clinic_id=clinic.id,
                referral_no=f"{code}-20261120-0001",
                status="sent",
                resident_id=resident.id,
                referral_date=date(2026, 11, 20),
                patient_name=resident.name,
                to_department_code=department,
            ),
            None,
        )
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"

    appointment = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    with hub.desk() as desk:
        answer = desk.post(
            f"/referrals/{slip.referral_no}/accept",
            json={"department_code": department, "appointment_at": appointment.isoformat(), "doctor": "张主任"},
        )
        assert answer.status_code == 200, answer.text
        down = desk.post(
            "/downward-referrals",
            json={
                "clinic_code": code,
                "up_referral_no": slip.referral_no,
                "outcome": "2",
                "treatment_plan": "继续降压",
                "discharge_diagnoses": [{"code": "I10", "name": "原发性高血压", "system": "ICD-10"}],
                "followup_schedule": [{"after_days": 14, "what": "复查血压"}],
            },
        )
        assert down.status_code == 201, down.text
    with hub.engine.begin() as conn:
        changes.publish(
            conn,
            kind="broadcast",
            record_id="7d0c3c1e-7f55-4b8e-9d1a-0b7e1d0f0001",
            addressee_clinic_id=None,
            clinic_code=None,
            fields={"title": "停诊通知", "body": "周日心内科停诊"},
        )

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    assert report.pulled >= 4

    (event,) = [e for e in _rows(engine, ReferralEvent) if e.origin == "hub"]
    assert (event.referral_id, event.to_status, event.appointment_doctor) == (slip.id, "accepted", "张主任")
    assert event.appointment_department_code == department and event.appointment_at == appointment
    assert event.clinic_id == clinic.id
    with read_session(engine) as session:
        referral = session.get(Referral, slip.id)
        assert referral.status == "accepted" and referral.revision == 1  # the hospital's move, not a clinic edit
        assert session.execute(select(OutboxEntry)).all() == []
        received = (
            session.execute(select(AuditEntry).where(AuditEntry.record_id == slip.id, AuditEntry.action == "receive"))
            .scalars()
            .all()
        )
        assert [entry.changes for entry in received] == [{"status": ["sent", "accepted"]}]
    (downward,) = [r for r in _rows(engine, Referral) if r.origin == "hub"]
    assert (downward.direction, downward.status, downward.resident_id) == ("down", "received", resident.id)
    assert downward.treatment_plan == "继续降压" and downward.followup_schedule == [
        {"after_days": 14, "what": "复查血压"}
    ]
    departments = {d.code: d for d in _rows(engine, Department)}
    assert department in departments
    assert departments[department].hospital_id in {h.id for h in _rows(engine, Hospital)}
    assert any(pool.department_id == departments[department].id for pool in _rows(engine, SlotPool))
    assert [(b.title, b.body) for b in _rows(engine, Broadcast)] == [("停诊通知", "周日心内科停诊")]
    cursor = sync_state.pull_cursor(engine)
    assert cursor.value and cursor.epoch == report.receipt.epoch

    counts = {model: len(_rows(engine, model)) for model in (ReferralEvent, Referral, Department, SlotPool, Broadcast)}
    again = run_sync(engine, settings, token=token)
    assert again.outcome == "ok" and again.pulled == 0 and again.pushed == 0
    assert {model: len(_rows(engine, model)) for model in counts} == counts
    with unit_of_work(engine) as session:  # even from the start of the log, nothing applies twice
        session.get(SyncCursor, "pull").value = None
    assert run_sync(engine, settings, token=token).pulled == 0
    assert {model: len(_rows(engine, model)) for model in counts} == counts


def test_the_check_task_closes_when_the_hospital_completes_the_referral(hub, small_clinic, clinic_settings):
    """Issue 14 item 7: 跟进转诊 stays open while the hospital works; completed (by pull) closes it."""
    from clinic_tui.data.models import Task

    engine = small_clinic
    code, token = register(hub, engine)
    department = hub.new_department()
    with unit_of_work(engine) as session:
        clinic = session.execute(select(Clinic)).scalar_one()
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        slip = records.create(
            session,
            Referral(
                clinic_id=clinic.id,
                referral_no=f"{code}-20261120-0002",
                status="sent",
                resident_id=resident.id,
                referral_date=date(2026, 11, 20),
                patient_name=resident.name,
                to_department_code=department,
            ),
            None,
        )
        task = records.create(
            session,
            Task(
                clinic_id=clinic.id,
                resident_id=resident.id,
                kind="referral_check",
                title="跟进转诊",
                due_date=date(2026, 12, 4),
                source_kind="referral",
                source_id=slip.id,
            ),
            None,
        )
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"

    def task_done() -> bool:
        with read_session(engine) as session:
            return session.get(Task, task.id).done_at is not None

    appointment = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    with hub.desk() as desk:
        accepted = desk.post(
            f"/referrals/{slip.referral_no}/accept",
            json={"department_code": department, "appointment_at": appointment.isoformat()},
        )
        assert accepted.status_code == 200, accepted.text
        assert run_sync(engine, settings, token=token).outcome == "ok"
        assert not task_done()  # accepted: the patient has still to go
        for step in ("arrive", "complete"):
            assert desk.post(f"/referrals/{slip.referral_no}/{step}").status_code == 200
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    with read_session(engine) as session:
        assert session.get(Referral, slip.id).status == "completed"
        closed = session.get(Task, task.id)
        assert closed.done_at is not None and closed.done_by is None and closed.revision == 2
    # The closed task is the clinic's edit: it went to the hub at the same sync's reconcile or the next.
    assert run_sync(engine, settings, token=token).outcome == "ok"
    assert (("task", task.id, 2)) in hub.clinic_records(code)
