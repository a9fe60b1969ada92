"""Recording a visit by keys only: vitals checked as they are left, diagnoses picked by pinyin."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pilot_helpers import app_on_demo_copy, draft_data, sign_in, wait_for
from sqlmodel import select
from textual.widgets import OptionList, Static

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import find_diagnoses
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import AuditEntry, OutboxEntry, Resident, Visit
from clinic_tui.data.visit_service import save_visit
from clinic_tui.screens.visit_form import VisitFormScreen
from clinic_tui.widgets.diagnosis_picker import DiagnosisPicker, uncoded


def _new_resident(engine) -> str:
    with unit_of_work(engine) as session:
        clinic = current_clinic(session)
        resident = Resident(clinic_id=clinic.id, name="周测试", sex="1", birth_date=date(1970, 5, 1))
        return records.create(session, resident, None).id


async def _open_visit_form(app: ClinicApp, pilot) -> str:
    await sign_in(app, pilot)
    resident_id = _new_resident(app.store.engine)
    app.push_screen(VisitFormScreen(context={"resident_id": resident_id}))
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, VisitFormScreen) and getattr(app.screen.focused, "id", None) == "field-visit_date"
        ),
    )
    return resident_id


async def _type_field(pilot, text: str) -> None:
    await pilot.press(*text, "enter")


async def _go_to(app, pilot, field: str) -> None:
    while not app.screen.form.input(field).has_focus:
        await pilot.press("enter")


def _visits(engine, resident_id: str) -> list[Visit]:
    with read_session(engine) as session:
        return list(session.exec(select(Visit).where(Visit.resident_id == resident_id)))


async def test_a_visit_with_vitals_and_a_diagnosis_found_by_pinyin_is_saved_audited_and_queued(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_visit_form(app, pilot)
        assert "就诊记录" in str(app.screen.query_one(".form-title", Static).render())
        await _go_to(app, pilot, "chief_complaint")
        for text in ("dizzy", "150", "95", "78", "36.5", "65", "170"):
            await _type_field(pilot, text)
        await _go_to(app, pilot, "glucose_kind")
        await pilot.press("enter")
        picker = app.screen.query_one(DiagnosisPicker)
        assert picker.query_input.has_focus
        await pilot.press(*"gxy")
        matches = picker.query_one("#diagnosis-matches", OptionList)
        await wait_for(pilot, lambda: matches.display and matches.option_count > 0)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(picker.chosen) == 1)
        await pilot.press("enter")  # an empty search moves on
        assert app.screen.form.input("treatment").has_focus
        await _type_field(pilot, "rest")
        await _go_to(app, pilot, "fee")
        await pilot.press(*"15", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, VisitFormScreen))
        engine = app.store.engine
        (visit,) = _visits(engine, resident_id)
        best = find_diagnoses(engine, "gxy")[0]
        assert (visit.sbp, visit.dbp, visit.heart_rate, visit.temperature_c) == (150, 95, 78, 36.5)
        assert (visit.weight_kg, visit.height_cm, visit.fee_fen, visit.chief_complaint) == (65, 170, 1500, "dizzy")
        assert visit.diagnoses == [
            {"code": best.code, "name": best.name, "system": best.system, "version": best.version}
        ]
        assert visit.doctor_id == app.user_id and visit.institution_code == "QS0101"
        with read_session(engine) as session:
            audit = session.exec(select(AuditEntry).where(AuditEntry.record_id == visit.id)).one()
            outbox = session.exec(select(OutboxEntry).where(OutboxEntry.record_id == visit.id)).one()
        assert (audit.action, audit.kind, audit.user_id) == ("create", "visit", app.user_id)
        assert (outbox.kind, outbox.state) == ("visit", "pending")


async def test_a_systolic_of_1400_is_refused_and_nothing_is_saved(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_visit_form(app, pilot)
        await _go_to(app, pilot, "sbp")
        await _type_field(pilot, "1400")
        message = app.screen.form.input("sbp").parent.query_one(".field-message", Static)
        assert "not possible" in str(message.render()) and message.has_class("error")
        await pilot.press(*"90", "enter")
        await _go_to(app, pilot, "glucose_kind")
        await pilot.press("enter", *"I10")
        picker = app.screen.query_one(DiagnosisPicker)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(picker.chosen) == 1)
        await pilot.press("ctrl+s")
        status = app.screen.query_one("#form-status", Static)
        await wait_for(pilot, lambda: "Not saved" in str(status.render()))
        assert app.screen.form.input("sbp").has_focus
        assert _visits(app.store.engine, resident_id) == []


async def test_200_over_120_is_flagged_and_saved(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_visit_form(app, pilot)
        await _go_to(app, pilot, "sbp")
        await _type_field(pilot, "200")
        await _type_field(pilot, "120")
        for field in ("sbp", "dbp"):
            message = app.screen.form.input(field).parent.query_one(".field-message", Static)
            assert message.has_class("flag") and "hypertensive crisis" in str(message.render())
        await _go_to(app, pilot, "glucose_kind")
        await pilot.press("enter", *"I10")
        picker = app.screen.query_one(DiagnosisPicker)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(picker.chosen) == 1)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, VisitFormScreen))
        (visit,) = _visits(app.store.engine, resident_id)
        assert (visit.sbp, visit.dbp) == (200, 120)
        assert visit.diagnoses[0]["code"] == "I10"


async def test_without_a_diagnosis_nothing_is_saved_and_free_text_is_kept_uncoded(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_visit_form(app, pilot)
        await pilot.press("ctrl+s")
        picker = app.screen.query_one(DiagnosisPicker)
        message = picker.query_one("#diagnosis-message", Static)
        await wait_for(pilot, lambda: "at least one diagnosis" in str(message.render()))
        assert picker.query_input.has_focus and _visits(app.store.engine, resident_id) == []
        await pilot.press(*"zzzq", "enter")
        await wait_for(pilot, lambda: len(picker.chosen) == 1)
        assert "no ICD-10 code" in str(message.render()) and message.has_class("flag")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, VisitFormScreen))
        (visit,) = _visits(app.store.engine, resident_id)
        assert visit.diagnoses == [{"code": None, "name": "zzzq", "system": None, "version": None}]


async def test_delete_on_the_chosen_list_removes_a_diagnosis(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_visit_form(app, pilot)
        await _go_to(app, pilot, "glucose_kind")
        await pilot.press("enter")
        picker = app.screen.query_one(DiagnosisPicker)
        for count, code in enumerate(("I10", "E11.9"), start=1):
            await pilot.press(*code, "enter")
            await wait_for(pilot, lambda count=count: len(picker.chosen) == count)
        await pilot.press("tab", "up", "delete")
        assert [d["code"] for d in picker.chosen] == ["E11.9"]
        assert '"I10"' not in app.screen.form.input("diagnoses").value  # what drafts and saving read
        await pilot.press("backspace")
        assert picker.chosen == [] and picker.query_input.has_focus
        assert app.screen.form.input("diagnoses").value == "[]"


async def test_an_unsaved_visit_comes_back_from_its_draft_with_its_diagnoses(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        resident_id = await _open_visit_form(app, pilot)
        await _go_to(app, pilot, "sbp")
        await _type_field(pilot, "142")
        await _go_to(app, pilot, "glucose_kind")
        await pilot.press("enter", *"I10", "enter")
        form = app.screen
        await wait_for(pilot, lambda: '"I10"' in draft_data(app, form).get("diagnoses", ""))
        draft = app.drafts.get(form.draft_id)
        app.pop_screen()  # as after a power cut: the draft stays, the screen is gone
        app.push_screen(VisitFormScreen(context={"resident_id": resident_id}, draft=draft.data))
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, VisitFormScreen)
                and app.screen is not form
                and app.screen.query(DiagnosisPicker)
                and app.screen.query_one(DiagnosisPicker).chosen
            ),
        )
        assert [d["code"] for d in app.screen.query_one(DiagnosisPicker).chosen] == ["I10"]
        assert app.screen.form.input("sbp").value == "142"


async def test_an_opened_visit_shows_what_was_saved_and_an_edit_changes_only_what_was_typed(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        engine = app.store.engine
        resident_id = _new_resident(engine)
        coded = {
            "code": "I10",
            "name": "特发性(原发性)高血压",
            "system": "ICD-10-primary-care",
            "version": "clinic-tui-1",
        }
        diagnoses = [coded, uncoded("头晕待查")]
        visit_id = save_visit(
            engine,
            resident_id=resident_id,
            user_id=app.user_id,
            values={
                "visit_at": datetime(2026, 11, 20, 2, 30, tzinfo=UTC),
                "mode": "4",
                "sbp": 150,
                "dbp": 95,
                "glucose_mmol": 6.1,
                "glucose_kind": "fasting",
                "diagnoses": diagnoses,
                "fee_fen": 1250,
                "referral_flag": True,
            },
        )
        app.push_screen(VisitFormScreen(record_id=visit_id, context={"resident_id": resident_id}))
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, VisitFormScreen)
                and getattr(app.screen.focused, "id", None) == "field-visit_date"
            ),
        )
        form = app.screen.form
        await wait_for(pilot, lambda: app.screen.query_one(DiagnosisPicker).chosen == diagnoses)
        shown = {name: form.input(name).value for name in ("mode", "glucose_kind", "fee", "referral_flag")}
        assert shown == {"mode": "4", "glucose_kind": "1", "fee": "12.50", "referral_flag": "1"}
        await _go_to(app, pilot, "sbp")
        await pilot.press("end", *["backspace"] * 3, *"138", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, VisitFormScreen))
        with read_session(engine) as session:
            last = session.exec(
                select(AuditEntry).where(AuditEntry.record_id == visit_id).order_by(AuditEntry.id.desc())
            ).first()
        assert (last.action, last.changes) == ("update", {"sbp": [150, 138]})
