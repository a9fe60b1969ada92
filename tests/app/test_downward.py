"""The downward-referral inbox by keys: acknowledging writes the clinic's own event and schedules the
follow-ups; a slip without a local resident is matched by ID number, or the patient registered."""

from __future__ import annotations

from datetime import date, timedelta

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select
from textual.widgets import DataTable, OptionList

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import (
    AuditEntry,
    OutboxEntry,
    Referral,
    ReferralEvent,
    Resident,
    Task,
)
from clinic_tui.domain.idnumber import check_character
from clinic_tui.screens.downward import DownwardInboxScreen, MatchResidentDialog

SCHEDULE = [{"after_days": 14, "what": "复查血压"}, {"after_days": 30, "what": "门诊随访"}]


def _add_hub_referral(engine, *, id_number: str, name: str, born: date) -> str:
    """A downward referral as the sync client stores one: the hub's row, no outbox, no resident."""
    with unit_of_work(engine) as session:
        clinic_id = session.execute(select(Referral.clinic_id).limit(1)).scalar_one()
        referral = Referral(
            clinic_id=clinic_id,
            referral_no="SFX001-20261122-0009",
            origin="hub",
            direction="down",
            status="received",
            referral_date=date(2026, 11, 22),
            patient_name=name,
            patient_sex="1",
            patient_birth_date=born,
            patient_id_type="01",
            patient_id_number=id_number,
            from_org_name="示范县人民医院",
            discharge_diagnoses=[{"code": "I63.9", "name": "脑梗死"}],
            outcome="2",
            treatment_plan="溶栓后稳定",
            rehab_guidance="肢体康复训练",
            medication_to_continue="阿司匹林 100mg qd",
            followup_schedule=SCHEDULE,
        )
        session.add(referral)
        return referral.id


def _state(engine, referral_id: str):
    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        events = (
            session.execute(
                select(ReferralEvent).where(ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.at)
            )
            .scalars()
            .all()
        )
        tasks = (
            session.execute(select(Task).where(Task.source_id == referral_id).order_by(Task.due_date)).scalars().all()
        )
        queued = {(e.kind, e.record_id) for e in session.execute(select(OutboxEntry)).scalars()}
        audited = {a.record_id for a in session.execute(select(AuditEntry)).scalars()}
    return referral, events, tasks, queued, audited


async def _open_inbox(app, pilot) -> DownwardInboxScreen:
    await sign_in(app, pilot)
    await pilot.press("ctrl+d")
    await wait_for(pilot, lambda: isinstance(app.screen, DownwardInboxScreen) and app.screen.rows)
    return app.screen


async def _cursor_to(app, pilot, referral_id: str) -> None:
    table = app.screen.query_one(DataTable)
    row = next(i for i, r in enumerate(app.screen.rows) if r.id == referral_id)
    table.move_cursor(row=row)
    await wait_for(pilot, lambda: app.screen.shown is not None and app.screen.shown.id == referral_id)


async def test_acknowledging_writes_a_clinic_event_and_schedules_the_follow_ups(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        inbox = await _open_inbox(app, pilot)
        engine = app.store.engine
        waiting = [r for r in inbox.rows if r.status == "received"]
        assert waiting and inbox.rows[: len(waiting)] == waiting  # awaiting first
        target = waiting[0]
        before, *_ = _state(engine, target.id)
        await _cursor_to(app, pilot, target.id)
        await pilot.press("f5")
        await wait_for(pilot, lambda: _state(engine, target.id)[0].status == "acknowledged")
        referral, events, tasks, queued, audited = _state(engine, target.id)
        (event,) = [e for e in events if e.origin == "clinic"]
        assert (event.from_status, event.to_status, event.actor) == ("received", "acknowledged", "clinic")
        assert ("referral_event", event.id) in queued and event.id in audited
        assert referral.revision == before.revision and ("referral", referral.id) not in queued  # the hub's row
        assert [(t.due_date, t.resident_id, t.kind) for t in tasks] == [
            (referral.referral_date + timedelta(days=item["after_days"]), referral.resident_id, "downward_followup")
            for item in referral.followup_schedule
        ]
        assert all(("task", t.id) in queued for t in tasks)
        await pilot.press("f5")  # a second time is refused, nothing more written
        await pilot.pause()
        assert len(_state(engine, target.id)[2]) == len(tasks)


async def test_a_slip_without_a_resident_is_matched_by_id_number(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        with read_session(engine) as session:
            resident = session.execute(
                select(Resident).where(Resident.id_number.is_not(None)).order_by(Resident.name).limit(1)
            ).scalar_one()
        referral_id = _add_hub_referral(
            engine, id_number=resident.id_number, name=resident.name, born=resident.birth_date
        )
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, DownwardInboxScreen) and app.screen.rows)
        await _cursor_to(app, pilot, referral_id)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MatchResidentDialog))
        assert app.screen.query_one(OptionList).option_count == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(_state(engine, referral_id)[2]) == 2)
        referral, _events, tasks, _queued, _audited = _state(engine, referral_id)
        assert referral.status == "acknowledged" and referral.resident_id is None  # never edited
        assert {t.resident_id for t in tasks} == {resident.id}
        assert [t.due_date for t in tasks] == [date(2026, 12, 6), date(2026, 12, 22)]
        await wait_for(pilot, lambda: app.screen.shown and app.screen.shown.resident_id == resident.id)


async def test_a_new_patient_is_registered_from_the_slip_in_the_same_action(tmp_path):
    app = app_on_demo_copy(tmp_path)
    first17 = "51990119580817123"
    number = first17 + check_character(first17)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        referral_id = _add_hub_referral(engine, id_number=number, name="新病人", born=date(1958, 8, 17))
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, DownwardInboxScreen) and app.screen.rows)
        await _cursor_to(app, pilot, referral_id)
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, MatchResidentDialog))
        assert app.screen.query_one(OptionList).option_count == 0
        await pilot.press("f4")
        await wait_for(pilot, lambda: len(_state(engine, referral_id)[2]) == 2)
        with read_session(engine) as session:
            (resident,) = session.execute(select(Resident).where(Resident.id_number == number)).scalars().all()
            queued = session.execute(select(OutboxEntry).where(OutboxEntry.record_id == resident.id)).scalar_one()
        assert (resident.name, resident.birth_date, queued.kind) == ("新病人", date(1958, 8, 17), "resident")
        assert {t.resident_id for t in _state(engine, referral_id)[2]} == {resident.id}
