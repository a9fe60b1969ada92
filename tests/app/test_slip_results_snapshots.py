"""The referral slip's results from the lead hospital at 80x24, in Chinese and in English: the
checklist focused (the recognised results of the last 30 days ticked, the ECG report not), its
legend under the form. Accept deliberate changes with ``--snapshot-update`` after looking."""

from __future__ import annotations

import pytest
from pilot_helpers import LANGUAGES, steady, until

PATIENT = "苏雪琳"  # her glucose and ALT came back recognised (互认); a remote ECG read too


async def _at_results(pilot) -> None:
    from sqlmodel import select

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import Resident
    from clinic_tui.screens.referral_form import ReferralFormScreen

    app = pilot.app
    await until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.screen.data is not None)
    with read_session(app.store.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == PATIENT)).one()
    app.push_screen(ReferralFormScreen(context={"resident_id": resident.id}))
    await until(pilot, lambda: getattr(app.screen.focused, "id", None) == "diagnosis-query")
    for _ in range(30):  # Enter through the fields, as the doctor does, to the checklist
        if getattr(app.screen.focused, "id", None) == "results-list":
            break
        await pilot.press("enter")
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_referral_slip_results_checklist(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_results)
