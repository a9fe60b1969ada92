"""Ctrl+T and Ctrl+S put the cursor on the first field to correct, top down (issue 14, item 14:
Ctrl+T jumped to the last missing field), and the count of fields says "1 field" in English."""

from __future__ import annotations

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlmodel import select
from textual.widgets import Static

from clinic_tui import i18n
from clinic_tui.data.db import read_session
from clinic_tui.data.models import Resident
from clinic_tui.screens.referral_form import ReferralFormScreen

PATIENT = "许林宇"


def _with_message(app) -> list[str]:
    """The form's fields showing an error, in the form's order."""
    form = app.screen.form
    return [
        spec.name
        for spec in form.specs
        if form.input(spec.name).parent.query_one(".field-message", Static).has_class("error")
        and form.input(spec.name).parent.display
    ]


async def _open_slip_for_patient(app, pilot):
    from clinic_tui.screens.resident_page import ResidentScreen

    await sign_in(app, pilot)
    with read_session(app.store.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == PATIENT)).one()
    app.push_screen(ResidentScreen(resident.id))
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(app.screen, ReferralFormScreen) and app.screen.focused is not None)


async def test_ctrl_t_goes_to_the_first_field_to_complete_each_time(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_slip_for_patient(app, pilot)
        form = app.screen.form
        seen = []
        for _round in range(3):
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: bool(_with_message(app)))
            fields = _with_message(app)
            assert app.screen.focused is form.input(fields[0]), (fields, app.screen.focused)
            seen.append(fields[0])
            # Complete the first one, so the next Ctrl+T must go further down, not to the last.
            field = form.input(fields[0])
            field.value = "1" if fields[0] in ("urgency", "department", "consent") else "患者要求"
            await pilot.pause()
        assert len(set(seen)) == 3, seen


async def test_one_field_to_correct_is_said_in_the_singular(tmp_path):
    i18n.set_language("en")
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_slip_for_patient(app, pilot)
        form = app.screen.form
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: bool(_with_message(app)))
        first, *others = _with_message(app)
        for name in others:  # all completed but the first
            form.input(name).value = PATIENT if name == "consent_signer" else "1"
        await pilot.pause()
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: _with_message(app) == [first])
        assert "Not sent: 1 thing to complete." in str(app.screen.query_one("#form-status", Static).render())
