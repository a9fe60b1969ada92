"""The referral page at 80x24, in Chinese and in English (pytest-textual-snapshot).

An emergency referral the hospital accepted and the patient reached: the green-channel mark, the
status, the sync line, the hospital's appointment and the start of the history must all show on
the first screen. Accept deliberate changes with ``--snapshot-update`` on these tests only, after
looking at the pictures. The setup (fixed day, China time, no cursor blink) is that of
``test_snapshots.py``.
"""

from __future__ import annotations

import pytest
from pilot_helpers import LANGUAGES, screen_is, steady, until

NUMBER = "QS0101-20261107-0001"  # in the demo data: an emergency, accepted, then arrived


async def _at_referral_page(pilot) -> None:
    """Signed in, Ctrl+E to the list, F7 and the number to find it, Enter twice to open it."""
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: screen_is(app, "DashboardScreen") and app.user_name in app.header_text)
    await pilot.press("ctrl+e")
    await until(pilot, lambda: screen_is(app, "ReferralsScreen"))
    await pilot.press("f7", *NUMBER, "enter")
    table = app.screen.query_one("#results")
    await until(pilot, lambda: app.screen.query_text == NUMBER and table.row_count == 1 and not app.workers)
    await pilot.press("enter")
    await until(pilot, lambda: screen_is(app, "ReferralScreen") and app.screen.detail is not None)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_referral_page(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_referral_page, terminal_size=(80, 24))
