"""Issue 18: the referral form offers the lead hospital's results, keys only: the recognised ones of
the last 30 days ticked to begin with, Space takes one in or leaves it out, Enter goes on, and the
slip keeps what was chosen (draft and sent)."""

from __future__ import annotations

from pilot_helpers import sign_in, wait_for
from sqlmodel import select
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.data.db import read_session
from clinic_tui.data.models import Referral, Resident
from clinic_tui.screens import routes
from clinic_tui.screens.referral_form import ReferralFormScreen
from clinic_tui.widgets.results_picker import ResultsList, ResultsPicker

# In the demo: her fasting glucose and ALT came back recognised (互认) on 11-05, and a remote ECG
# read on 11-08 (a report: no 互认 mark); the demo's day is 2026-11-20.
PATIENT = "苏雪琳"


def _focused_id(app) -> str:
    return getattr(app.screen.focused, "id", None) or ""


async def _open_for(app, pilot) -> str:
    await sign_in(app, pilot)
    with read_session(app.store.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == PATIENT)).one()
    app.push_screen(ReferralFormScreen(context={"resident_id": resident.id}))
    await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app) == "diagnosis-query")
    await wait_for(pilot, lambda: app.screen.query_one(ResultsPicker).display)
    return resident.id


def _drafts(app) -> list[Referral]:
    with read_session(app.store.engine) as session:
        return list(session.exec(select(Referral).where(Referral.status == "draft", Referral.patient_name == PATIENT)))


async def test_recognised_recent_results_are_ticked_and_keys_change_the_choice(make_app):
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_for(app, pilot)
        picker = app.screen.query_one(ResultsPicker)
        checklist = picker.query_one(ResultsList)
        items = [r.item for r in picker.offered]
        # The recognised and recent first; the ECG report (no 互认 mark) after them.
        assert items == ["血糖（空腹）", "丙氨酸氨基转移酶", "心电诊断"]
        assert [r.item for r in picker.offered if r.key in checklist.selected] == items[:2]
        lines = [str(checklist.get_option_at_index(i).prompt) for i in range(checklist.option_count)]
        assert lines[0] == "[互认] 11-05 血糖（空腹） 8.4 mmol/L 偏高 H · 县人民医院检验科"
        assert lines[2].startswith("[未互认] 11-08 心电诊断 ") and lines[2].endswith("危急值 · 示范县人民医院")
        # Enter through the fields down to the list; the legend under the form says what keys do.
        for _ in range(30):
            if _focused_id(app) == "results-list":
                break
            await pilot.press("enter")
        assert _focused_id(app) == "results-list"
        assert "空格" in str(app.screen.query_one("#referral-legend").render())
        # Leave out the ALT, take in the ECG report; Enter goes on to the next field.
        await pilot.press("down", "space", "down", "space", "enter")
        await wait_for(pilot, lambda: _focused_id(app) == "field-treatment_so_far")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
        # The referral's page shows the slip with them, each ending in its mark.
        (draft,) = _drafts(app)
        await app.push_screen(routes.record_page("referral", draft.id))
        await wait_for(pilot, lambda: "血糖" in str(app.screen.query_one("#slip", Static).render()))
        slip = str(app.screen.query_one("#slip", Static).render())
        assert "血糖（空腹）  8.4  mmol/L  3.9-6.1  偏高 H  县人民医院检验科  2026-11-05  互认" in slip
        assert "心电诊断" in slip and "未互认" in slip
    assert [(r["item"], r["recognised"]) for r in draft.results] == [("血糖（空腹）", True), ("心电诊断", False)]
    glucose, ecg = draft.results
    assert (glucose["value"], glucose["unit"], glucose["reference_range"], glucose["flag"]) == (
        "8.4",
        "mmol/L",
        "3.9-6.1",
        "H",
    )
    assert glucose["institution"] == "县人民医院检验科" and glucose["reported_at"].startswith("2026-11-05")
    assert (ecg["source"], ecg["flag"], ecg["institution"]) == ("report", "critical", "示范县人民医院")


async def test_a_draft_opens_with_its_own_choice_even_none(make_app):
    """Leaving every result out is a choice the draft keeps: it is not filled again on opening."""
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_for(app, pilot)
        app.screen.query_one(ResultsList).focus()
        await pilot.press("space", "down", "space")  # both ticked ones left out
        await wait_for(pilot, lambda: app.screen.form.input("results").value == "[]")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ReferralFormScreen))
        (draft,) = _drafts(app)
        assert draft.results == []
        app.push_screen(ReferralFormScreen(record_id=draft.id))
        await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and _focused_id(app))
        await wait_for(pilot, lambda: app.screen.query_one(ResultsPicker).display)
        assert app.screen.query_one(ResultsList).selected == []
        assert not app.screen.dirty
    i18n.set_language("zh")
