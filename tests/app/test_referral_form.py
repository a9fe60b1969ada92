"""Upward referrals by keys only: from the dashboard in under 30 keystrokes, drafts, problems in
Chinese, the green channel, and the slip prefilled from a resident's page or a follow-up."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from functools import lru_cache

from pilot_helpers import app_on_demo_copy, draft_data, sign_in, wait_for
from sqlmodel import select
from textual.widgets import OptionList, Static

from clinic_tui import clock, i18n
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import AuditEntry, OutboxEntry, Referral, ReferralEvent, Resident, Task
from clinic_tui.screens.referral_form import ReferralFormScreen
from clinic_tui.widgets.diagnosis_picker import DiagnosisPicker
from clinic_tui.widgets.resident_picker import ResidentPicker

PATIENT, PATIENT_QUERY = "许林宇", "xly"  # the only demo resident with these initials


class KeyCounter:
    """Presses keys through Pilot and counts them; characters of free text are counted apart."""

    def __init__(self, pilot):
        self.pilot, self.keys, self.typed = pilot, 0, 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        self.typed += len(text)
        await self.pilot.press(*text)


def _referrals(engine, **where) -> list[Referral]:
    """The referrals made by the test: those not in the demo database."""
    with read_session(engine) as session:
        statement = select(Referral).where(Referral.id.not_in(_demo_referral_ids()))
        for name, value in where.items():
            statement = statement.where(getattr(Referral, name) == value)
        return list(session.exec(statement))


@lru_cache(maxsize=1)
def _demo_referral_ids() -> frozenset[str]:
    from clinic_tui.config import EXAMPLE_DATABASE

    with sqlite3.connect(f"file:{EXAMPLE_DATABASE}?mode=ro", uri=True) as connection:
        return frozenset(row[0] for row in connection.execute("SELECT id FROM referral"))


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def _focused_id(app) -> str:
    return getattr(app.screen.focused, "id", None) or ""


async def _open_blank_form(app, pilot, keys: KeyCounter | None = None) -> None:
    await sign_in(app, pilot)
    await (keys.press("ctrl+r") if keys else pilot.press("ctrl+r"))
    await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app) == "resident-query")


async def _pick_resident(app, pilot, keys: KeyCounter) -> None:
    await keys.type(PATIENT_QUERY)
    await keys.press("enter")
    await wait_for(pilot, lambda: app.screen.resident_id is not None and _focused_id(app) == "diagnosis-query")


async def _pick_diagnosis(app, pilot, keys: KeyCounter, query: str = "gxy") -> None:
    picker = app.screen.query_one(DiagnosisPicker)
    await keys.type(query)
    matches = picker.query_one("#diagnosis-matches", OptionList)
    await wait_for(pilot, lambda: matches.display and matches.option_count > 0)
    await keys.press("enter")
    await wait_for(pilot, lambda: not picker.query_input.value)  # added (or already there)
    await keys.press("enter")  # an empty search moves on


async def _enter_until(app, keys: KeyCounter, field: str) -> None:
    while _focused_id(app) != f"field-{field}":
        await keys.press("enter")


async def test_a_standard_referral_from_the_dashboard_takes_at_most_30_keystrokes(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = KeyCounter(pilot)
        await _open_blank_form(app, pilot, keys)
        await _pick_resident(app, pilot, keys)
        await _pick_diagnosis(app, pilot, keys)
        assert _focused_id(app) == "field-reason"
        assert "1 诊断不明确" in _text(app, "#referral-legend")  # the catalogue's reasons, numbered
        await keys.press("2", "enter")  # template 2
        await keys.press("1", "enter")  # urgency: routine
        assert _focused_id(app) == "field-purpose"  # no transport question for a routine referral
        await keys.press("enter")  # purpose: outpatient, prefilled
        assert "示范县人民医院" in _text(app, "#referral-legend")
        await keys.press("enter")  # hospital: the lead hospital, prefilled
        assert "8 心血管内科" in _text(app, "#referral-legend")  # with today's slots left
        await keys.press("8", "enter")  # department
        await _enter_until(app, keys, "consent")  # wished date, complaint, history, exams, treatment...
        await keys.press("1", "enter")  # the patient consents and signs: the name is filled in
        assert app.screen.form.input("consent_signer").value == PATIENT
        await keys.press("ctrl+t")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
        assert keys.keys <= 30, f"{keys.keys} keystrokes besides {keys.typed} characters of text"
        engine = app.store.engine
        (referral,) = _referrals(engine)
        with read_session(engine) as session:
            events = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).all()
            (task,) = session.exec(select(Task).where(Task.source_id == referral.id)).all()
            ids = [referral.id, task.id, *(e.id for e in events)]
            queued = set(session.exec(select(OutboxEntry.kind).where(OutboxEntry.record_id.in_(ids))).all())
            authors = set(session.exec(select(AuditEntry.user_id).where(AuditEntry.record_id.in_(ids))).all())
    today = clock.today()
    assert (referral.status, referral.urgency, referral.purpose) == ("sent", "normal", "outpatient")
    assert re.fullmatch(rf"QS0101-{today:%Y%m%d}-\d{{4}}", referral.referral_no)
    assert referral.patient_name == PATIENT and referral.reason == "经本机构治疗病情控制不满意"
    assert "I10" in [d["code"] for d in referral.diagnoses]  # picked, beside those of the latest visit
    assert (referral.to_org_code, referral.to_department_code, referral.to_department_name) == (
        "SFX001",
        "NK-XXG",
        "心血管内科",
    )
    assert referral.treatment_so_far and "血压" in (referral.past_history or "") + str(referral.examinations)
    assert (referral.consent_given, referral.consent_by, referral.consent_signer) == (True, "patient", PATIENT)
    assert referral.author_id == referral.from_doctor_id == app.user_id and referral.from_org_code == "QS0101"
    assert sorted((e.from_status or "", e.to_status) for e in events) == [("", "draft"), ("draft", "sent")]
    assert (task.kind, task.due_date, task.resident_id) == (
        "referral_check",
        today + timedelta(days=14),
        referral.resident_id,
    )
    assert queued == {"referral", "referral_event", "task"} and authors == {app.user_id}


async def test_sending_an_incomplete_slip_shows_each_problem_in_chinese_beside_its_field(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_blank_form(app, pilot)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "未发出" in _text(app, "#form-status"))
        assert _focused_id(app) == "resident-query"
        assert "请先选择居民" in _text(app, "#resident-message")
        keys = KeyCounter(pilot)
        await _pick_resident(app, pilot, keys)
        await pilot.press("ctrl+t")

        def message(field: str) -> str:
            return str(app.screen.form.input(field).parent.query_one(".field-message", Static).render())

        await wait_for(pilot, lambda: message("reason") == "请填写转诊原因。")
        assert message("urgency") == "请选择紧急程度。"
        assert message("department") == "请选择转入科室。"
        assert message("consent") == "须经患者或家属知情同意。"
        assert message("consent_signer") == "请填写知情同意书签字人。"
        assert _focused_id(app) == "field-reason"  # the first thing to complete
        while app.screen.query_one(DiagnosisPicker).chosen:  # the latest visit's diagnoses, removed
            app.screen.query_one("#diagnosis-chosen").focus()
            await pilot.press("delete")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "请至少填写一个初步诊断" in _text(app, "#diagnosis-message"))
        assert _focused_id(app) == "diagnosis-query"
        assert _referrals(app.store.engine) == []


async def test_an_emergency_is_the_green_channel_with_a_phone_reminder_and_needs_transport(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = KeyCounter(pilot)
        await _open_blank_form(app, pilot, keys)
        await _pick_resident(app, pilot, keys)
        await _pick_diagnosis(app, pilot, keys)
        await keys.press("4", "enter", "3")
        banner = app.screen.query_one("#referral-banner", Static)
        await wait_for(pilot, lambda: banner.display)
        assert "急诊·绿色通道" in _text(app, "#referral-banner") and "0838-6200120" in _text(app, "#referral-banner")
        row = app.screen.form.input("urgency").parent
        assert row.has_class("green-channel")
        await keys.press("enter")
        assert _focused_id(app) == "field-transport"
        assert "吸氧" in _text(app, "#referral-legend")
        await keys.press("enter", "enter", "enter", "1", "enter")  # no transport answer yet
        await _enter_until(app, keys, "consent")
        await keys.press("1", "ctrl+t")
        await wait_for(pilot, lambda: _focused_id(app) == "field-transport")
        assert "转运评估" in str(app.screen.form.input("transport").parent.query_one(".field-message", Static).render())
        await keys.press(*"135", "ctrl+t")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
    (referral,) = _referrals(app.store.engine)
    assert (referral.status, referral.urgency) == ("sent", "emergency")
    assert referral.transport == {
        "oxygen": True,
        "monitor": False,
        "stretcher": True,
        "escort": False,
        "ambulance_120": True,
    }
    assert referral.reason == "急危重症，需急诊救治"


async def test_ctrl_s_keeps_a_draft_slip_that_opens_again_as_it_was(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = KeyCounter(pilot)
        await _open_blank_form(app, pilot, keys)
        await _pick_resident(app, pilot, keys)
        await keys.type("胸闷待查")
        await keys.press("enter")
        picker = app.screen.query_one(DiagnosisPicker)
        await wait_for(pilot, lambda: any(d["name"] == "胸闷待查" for d in picker.chosen))
        await keys.press("enter")
        await keys.press("2", "enter", "2", "enter", "enter", "enter", "7", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
        (draft,) = _referrals(app.store.engine)
        assert (draft.status, draft.urgency, draft.to_department_name) == ("draft", "urgent", "神经内科")
        assert draft.diagnoses[-1] == {"code": None, "name": "胸闷待查", "system": None, "version": None}
        assert draft.consent_given is False and draft.patient_name == PATIENT
        app.push_screen(ReferralFormScreen(record_id=draft.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app))
        form = app.screen.form
        assert (form.input("urgency").value, form.input("department").value) == ("2", "7")
        assert form.input("reason").value == "经本机构治疗病情控制不满意"
        await wait_for(pilot, lambda: draft.referral_no in _text(app, ".form-title"))
        assert PATIENT in _text(app, ".form-title")
        assert not app.screen.query(ResidentPicker)  # the resident of a slip is fixed
        await _enter_until(app, keys, "consent")
        await keys.press("1", "ctrl+t")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
    (sent,) = _referrals(app.store.engine)
    assert (sent.id, sent.status, sent.referral_no) == (draft.id, "sent", draft.referral_no)


async def test_what_was_typed_survives_as_a_form_draft_and_comes_back(tmp_path):
    from clinic_tui.screens.routes import form_for_draft

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = KeyCounter(pilot)
        await _open_blank_form(app, pilot, keys)
        await _pick_resident(app, pilot, keys)
        await keys.press("enter", *"外伤")
        form = app.screen
        await wait_for(pilot, lambda: draft_data(app, form).get("reason") == "外伤")
        resident_id = form.resident_id
        await app.pop_screen()  # as after a power cut: the draft stays, the screen is gone
        app.push_screen(form_for_draft(app.drafts.get(form.draft_id)))
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ReferralFormScreen)
                and app.screen is not form
                and _focused_id(app)
                and app.screen.resident_id == resident_id
            ),
        )
        assert app.screen.form.input("reason").value == "外伤"
        await wait_for(pilot, lambda: PATIENT in _text(app, "#resident-message"))


async def test_ctrl_r_on_a_residents_page_opens_the_slip_prefilled_for_them(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        with read_session(app.store.engine) as session:
            resident = session.exec(select(Resident).where(Resident.name == PATIENT)).one()
        from clinic_tui.screens.resident_page import ResidentScreen

        app.push_screen(ResidentScreen(resident.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app))
        form = app.screen.form
        assert app.screen.resident_id == resident.id and not app.screen.query(ResidentPicker)
        await wait_for(pilot, lambda: PATIENT in _text(app, ".form-title"))
        # The focus moves to the diagnosis once the prefill is in (after the title, under load).
        await wait_for(pilot, lambda: _focused_id(app) == "diagnosis-query")
        assert "Hypertension" in form.input("past_history").value
        assert form.input("treatment_so_far").value and app.screen.query_one(DiagnosisPicker).chosen


async def test_f9_on_a_follow_up_lands_in_the_slip_it_drafted(tmp_path):
    from clinic_tui.screens.followup_form import FollowupFormScreen

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        with unit_of_work(app.store.engine) as session:
            clinic = current_clinic(session)
            resident = records.create(
                session,
                Resident(
                    clinic_id=clinic.id, name="吴转诊", sex="2", birth_date=date(1970, 5, 1), chronic_conditions=["02"]
                ),
                None,
            )
        app.push_screen(FollowupFormScreen(context={"resident_id": resident.id}))
        await wait_for(pilot, lambda: isinstance(app.screen, FollowupFormScreen) and app.screen.focused is not None)
        while not app.screen.form.input("sbp").has_focus:
            await pilot.press("enter")
        await pilot.press(*"185", "enter", *"100", "enter")
        await wait_for(pilot, lambda: app.screen.assessment is not None and app.screen.assessment.emergency_referral)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app))
        screen = app.screen
        (draft,) = _referrals(app.store.engine)
        assert screen.record_id == draft.id and screen.resident_id == resident.id
        assert screen.form.input("urgency").value == "3" and screen.query_one("#referral-banner").display
        assert "185/100" in screen.form.input("reason").value


async def test_ctrl_r_on_a_visit_saves_it_as_referred_and_opens_the_slip_on_it(tmp_path):
    from clinic_tui.data.models import Visit
    from clinic_tui.screens.visit_form import VisitFormScreen

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        with read_session(app.store.engine) as session:
            resident = session.exec(select(Resident).where(Resident.name == PATIENT)).one()
        app.push_screen(VisitFormScreen(context={"resident_id": resident.id}))
        await wait_for(
            pilot, lambda: isinstance(app.screen, VisitFormScreen) and _focused_id(app) == "field-visit_date"
        )
        while _focused_id(app) != "field-chief_complaint":
            await pilot.press("enter")
        await pilot.press(*"chest pain", "enter", *"190", "enter", *"115", "enter")
        while _focused_id(app) != "diagnosis-query":
            await pilot.press("enter")
        await _pick_diagnosis(app, pilot, KeyCounter(pilot))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app))
        await wait_for(pilot, lambda: app.screen.form.input("chief_complaint").value == "chest pain")
        assert "190/115" in app.screen.form.input("examinations").value
        with read_session(app.store.engine) as session:
            visit = session.exec(select(Visit).where(Visit.resident_id == resident.id, Visit.sbp == 190)).one()
        assert visit.referral_flag and app.screen.context["visit_id"] == visit.id
        await _enter_until(app, KeyCounter(pilot), "reason")
        await pilot.press(*"xyz", "ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
    (draft,) = _referrals(app.store.engine, source_visit_id=visit.id)
    assert draft.resident_id == resident.id and draft.chief_complaint == "chest pain"


async def test_the_doctor_wished_and_the_precautions_of_the_slip_are_kept(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = KeyCounter(pilot)
        await _open_blank_form(app, pilot, keys)
        await _pick_resident(app, pilot, keys)
        await _pick_diagnosis(app, pilot, keys)
        await _enter_until(app, keys, "to_doctor_wished")
        await keys.type("王主任")
        await _enter_until(app, keys, "precautions")
        await keys.type("途中监测血压")
        await keys.press("ctrl+s")
        await wait_for(pilot, lambda: bool(_referrals(app.store.engine)))
        (referral,) = _referrals(app.store.engine)
    assert (referral.status, referral.to_doctor_wished, referral.precautions) == ("draft", "王主任", "途中监测血压")
