"""Chronic follow-ups by keys only: the live suggestion, the doctor's override, F9 to refer."""

from __future__ import annotations

import re
from datetime import date

from pilot_helpers import app_on_demo_copy, draft_data, sign_in, wait_for
from sqlmodel import select
from textual.widgets import Static

from clinic_tui import clock, i18n
from clinic_tui.app import ClinicApp
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.followup_service import save_followup
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import (
    AuditEntry,
    Followup,
    OutboxEntry,
    Referral,
    ReferralEvent,
    Resident,
)
from clinic_tui.domain.followup import (
    BloodPressure,
    DiabetesReading,
    classify_diabetes,
    classify_hypertension,
)
from clinic_tui.screens.followup_form import FollowupFormScreen

BIRTH = date(1970, 5, 1)  # under 65: the 140/90 target


def _new_resident(engine, conditions: list[str], previous_diabetes_class: str | None = None) -> str:
    with unit_of_work(engine) as session:
        clinic = current_clinic(session)
        resident = records.create(
            session,
            Resident(clinic_id=clinic.id, name="吴随访", sex="2", birth_date=BIRTH, chronic_conditions=conditions),
            None,
        )
        if previous_diabetes_class:
            records.create(
                session,
                Followup(
                    clinic_id=clinic.id,
                    resident_id=resident.id,
                    disease="diabetes",
                    followup_date=date(2026, 1, 5),
                    fasting_glucose=8.1,
                    classification=previous_diabetes_class,
                ),
                None,
            )
        return resident.id


async def _open_form(app: ClinicApp, pilot, conditions: list[str], **resident) -> str:
    await sign_in(app, pilot)
    resident_id = _new_resident(app.store.engine, conditions, **resident)
    app.push_screen(FollowupFormScreen(context={"resident_id": resident_id}))
    await wait_for(pilot, lambda: isinstance(app.screen, FollowupFormScreen) and app.screen.focused is not None)
    return resident_id


async def _go_to(app, pilot, field: str) -> None:
    while not app.screen.form.input(field).has_focus:
        await pilot.press("enter")


async def _type_in(app, pilot, field: str, text: str) -> None:
    await _go_to(app, pilot, field)
    await pilot.press("ctrl+u", *text, "enter")  # the cursor arrives at the end: clear what is there first


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _offers_referral(app) -> bool:
    return any(b.binding.id == "followup.start_referral" for b in app.screen.active_bindings.values())


def _followups(engine, resident_id: str) -> list[Followup]:
    with read_session(engine) as session:
        return list(session.exec(select(Followup).where(Followup.resident_id == resident_id)))


async def test_an_uncontrolled_hypertensive_gets_the_suggestion_and_an_override_needs_a_reason(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_form(app, pilot, ["02"])
        await _type_in(app, pilot, "sbp", "150")
        await _type_in(app, pilot, "dbp", "95")
        today = clock.today()
        expected = classify_hypertension(
            BloodPressure(150, 95), None, today.year - BIRTH.year - 1, "none", False, [], on=today
        )
        assert expected.classification == "2" and not expected.recommend_referral
        await wait_for(pilot, lambda: expected.next_due.isoformat() in _text(app, "#followup-suggestion"))
        assert "建议：控制不满意" in _text(app, "#followup-suggestion")
        assert not _offers_referral(app)
        await _type_in(app, pilot, "classification", "1")
        await pilot.press("ctrl+s")
        reason_field = app.screen.form.input("override_reason")
        await wait_for(pilot, lambda: reason_field.has_focus)
        assert _followups(app.store.engine, resident_id) == []
        await pilot.press(*"white coat", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, FollowupFormScreen))
        (followup,) = _followups(app.store.engine, resident_id)
        assert (followup.classification, followup.suggested_classification) == ("1", "2")
        assert followup.override_reason == "white coat" and followup.next_date == expected.next_due
        assert (followup.disease, followup.sbp, followup.dbp) == ("hypertension", 150, 95)
        assert followup.adverse_reaction is None  # the model's "no adverse reaction"
        with read_session(app.store.engine) as session:
            audit = session.exec(select(AuditEntry).where(AuditEntry.record_id == followup.id)).one()
            outbox = session.exec(select(OutboxEntry).where(OutboxEntry.record_id == followup.id)).one()
        assert (audit.action, audit.user_id, outbox.kind) == ("create", app.user_id, "followup")


async def test_an_emergency_offers_f9_which_saves_and_drafts_the_referral(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        resident_id = await _open_form(app, pilot, ["02"])
        assert not _offers_referral(app)
        await _type_in(app, pilot, "sbp", "185")
        await _type_in(app, pilot, "dbp", "100")
        await _type_in(app, pilot, "medications", "nifedipine 2 10mg")
        await wait_for(pilot, lambda: "Emergency referral" in _text(app, "#followup-alarm"))
        assert "185/100" in _text(app, "#followup-alarm") and _offers_referral(app)
        await pilot.press("f9")
        await wait_for(pilot, lambda: not isinstance(app.screen, FollowupFormScreen))
        await wait_for(
            pilot, lambda: any("Referral draft created" in str(toast.render()) for toast in app.screen.query("Toast"))
        )
        engine = app.store.engine
        (followup,) = _followups(engine, resident_id)
        with read_session(engine) as session:
            referral = session.exec(select(Referral).where(Referral.resident_id == resident_id)).one()
            (event,) = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).all()
            queued = set(
                session.exec(
                    select(OutboxEntry.kind).where(OutboxEntry.record_id.in_([followup.id, referral.id, event.id]))
                ).all()
            )
            audited = set(
                session.exec(
                    select(AuditEntry.kind).where(AuditEntry.record_id.in_([followup.id, referral.id, event.id]))
                ).all()
            )
    assert followup.classification == "2" and "185/100" in followup.referral_reason
    assert (referral.status, referral.direction, referral.urgency) == ("draft", "up", "emergency")
    assert re.fullmatch(rf"QS0101-{clock.today():%Y%m%d}-\d{{4}}", referral.referral_no)
    assert referral.diagnoses[0]["code"] == "I10" and referral.patient_name == "吴随访"
    assert "185/100" in referral.reason and referral.treatment_so_far == "nifedipine 2 10mg"
    assert referral.to_org_name == "示范县人民医院" and referral.from_doctor_id == app.user_id
    assert (event.from_status, event.to_status, event.actor) == (None, "draft", "clinic")
    assert queued == audited == {"followup", "referral", "referral_event"}


async def test_a_resident_with_both_diseases_chooses_diabetes_and_a_second_uncontrolled_one_suggests_referral(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_form(app, pilot, ["02", "03"], previous_diabetes_class="2")
        assert app.screen.form.input("disease").has_focus and not app.screen.form.query("#field-fasting_glucose")
        await pilot.press("2")
        await wait_for(
            pilot,
            lambda: app.screen.query("#field-fasting_glucose") and app.screen.form.input("followup_date").has_focus,
        )
        assert "Type 2 diabetes follow-up" in _text(app, ".form-title")
        await _type_in(app, pilot, "fasting_glucose", "9.2")
        today = clock.today()
        expected = classify_diabetes(DiabetesReading(9.2), "2", "none", False, [], on=today)
        assert expected.recommend_referral
        await wait_for(pilot, lambda: "Referral recommended" in _text(app, "#followup-alarm"))
        assert expected.next_due.isoformat() in _text(app, "#followup-suggestion") and _offers_referral(app)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.form.input("override_reason").has_focus)
        message = app.screen.form.input("override_reason").parent.query_one(".field-message", Static)
        assert "why the patient is not referred" in str(message.render())
        await pilot.press(*"refuses to travel", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, FollowupFormScreen))
    followup = next(f for f in _followups(app.store.engine, resident_id) if f.followup_date == today)
    assert (followup.disease, followup.fasting_glucose, followup.classification) == ("diabetes", 9.2, "2")
    assert followup.override_reason == "refuses to travel" and followup.next_date == expected.next_due


async def test_a_diabetes_draft_comes_back_with_the_diabetes_fields(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_form(app, pilot, ["02", "03"])
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.query("#field-fasting_glucose"))
        await _type_in(app, pilot, "fasting_glucose", "7.5")
        form = app.screen
        await wait_for(pilot, lambda: draft_data(app, form).get("fasting_glucose") == "7.5")
        draft = app.drafts.get(form.draft_id)
        app.pop_screen()  # as after a power cut: the draft stays, the screen is gone
        app.push_screen(FollowupFormScreen(context=draft.context, draft=draft.data))
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FollowupFormScreen)
                and app.screen is not form
                and app.screen.query("#field-fasting_glucose")
            ),
        )
        assert app.screen.form.input("fasting_glucose").value == "7.5"
        assert app.screen.form.input("disease").value == "2" and draft.context == {"resident_id": resident_id}


async def test_an_opened_follow_up_shows_what_was_saved_and_an_edit_changes_only_what_was_typed(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident_id = _new_resident(engine, ["02"])
        saved = {
            "followup_date": date(2026, 11, 2),
            "mode": "2",
            "symptoms": ["2", "severe_headache_or_dizziness"],
            "sbp": 150,
            "dbp": 95,
            "weight_kg": 60.0,
            "height_cm": 158.0,
            "salt_intake": "moderate",
            "adherence": "regular",
            "adverse_reaction": None,
            "classification": "2",
            "suggested_classification": "2",
            "override_reason": "sent by ambulance",
            "next_date": date(2026, 11, 16),
            "medications": [{"name": "氨氯地平", "times_per_day": 1, "dose": "5mg"}],
        }
        followup_id = save_followup(
            engine, resident_id=resident_id, disease="hypertension", values=saved, user_id=app.user_id
        )
        app.push_screen(FollowupFormScreen(record_id=followup_id, context={"resident_id": resident_id}))
        await wait_for(pilot, lambda: isinstance(app.screen, FollowupFormScreen) and app.screen.focused is not None)
        form = app.screen.form
        shown = {
            name: form.input(name).value
            for name in (
                "mode",
                "symptoms",
                "emergency_signs",
                "salt_intake",
                "adherence",
                "adverse_reaction",
                "medications",
            )
        }
        assert shown == {
            "mode": "2",
            "symptoms": "2",
            "emergency_signs": "2",
            "salt_intake": "2",
            "adherence": "1",
            "adverse_reaction": "1",
            "medications": "氨氯地平 1 5mg",
        }
        await _go_to(app, pilot, "dbp")
        await pilot.press("end", "backspace", "backspace", *"96", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, FollowupFormScreen))
        with read_session(engine) as session:
            last = session.exec(
                select(AuditEntry).where(AuditEntry.record_id == followup_id).order_by(AuditEntry.id.desc())
            ).first()
        assert (last.action, last.changes) == ("update", {"dbp": [95, 96]})


async def test_a_diabetic_with_fever_is_an_emergency_and_an_adverse_reaction_must_say_what_it_was(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_form(app, pilot, ["03"])
        await _type_in(app, pilot, "fasting_glucose", "6.5")
        await wait_for(pilot, lambda: "Controlled" in _text(app, "#followup-suggestion"))
        await _type_in(app, pilot, "temperature", "39.5")
        await wait_for(pilot, lambda: "Temperature 39.5 °C, over 39.0 °C." in _text(app, "#followup-alarm"))
        assert "Emergency referral" in _text(app, "#followup-alarm") and _offers_referral(app)
        await _type_in(app, pilot, "adverse_reaction", "2")
        await pilot.press("ctrl+s")
        note = app.screen.form.input("adverse_reaction_note")
        await wait_for(pilot, lambda: note.has_focus)
        message = note.parent.query_one(".field-message", Static)
        assert "Say which medicine and what happened." in str(message.render())
        assert _followups(app.store.engine, resident_id) == []
        await pilot.press(*"metformin, nausea", "ctrl+s")
        await wait_for(pilot, lambda: app.screen.form.input("override_reason").has_focus)
        await pilot.press(*"sent by ambulance from home", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, FollowupFormScreen))
    (followup,) = _followups(app.store.engine, resident_id)
    assert (followup.temperature, followup.adverse_reaction, followup.adverse_reaction_note) == (
        39.5,
        "present",
        "metformin, nausea",
    )
    assert followup.classification == "3"  # an adverse reaction
