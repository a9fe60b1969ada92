"""The upward referral slip at 80x24, in Chinese and in English (pytest-textual-snapshot).

As in ``test_snapshots.py``: the whole app on a copy of the demo database, today pinned to the
demo's day in China's time zone. One picture of a routine slip opened from the dashboard with the
resident picked, one of an emergency (the green channel banner and the transport question).
Accept deliberate changes with ``pytest tests/app/test_referral_snapshots.py --snapshot-update``
after looking at the new pictures.
"""

from __future__ import annotations

import pytest
from pilot_helpers import LANGUAGES, steady, until


async def _at_slip(pilot, *keys: str) -> None:
    """Signed in, Ctrl+R, resident xly (许林宇) picked, then ``keys``; nothing left moving."""
    app = pilot.app
    await until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.screen.data is not None)
    await pilot.press("ctrl+r")
    await until(pilot, lambda: getattr(app.screen.focused, "id", None) == "resident-query")
    await pilot.press(*"xly", "enter")
    await until(
        pilot,
        lambda: (
            getattr(app.screen.focused, "id", None) == "diagnosis-query" and app.screen.form.input("past_history").value
        ),
    )
    await pilot.press(*keys)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


async def _routine(pilot) -> None:
    await _at_slip(pilot, "enter", "2", "enter")  # to the reason, template 2: urgency has focus


async def _emergency(pilot) -> None:
    await _at_slip(pilot, "enter", "4", "enter", "3", "enter")  # transport has focus, its legend below


@pytest.mark.parametrize("language", LANGUAGES)
def test_referral_slip(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_routine)


@pytest.mark.parametrize("language", LANGUAGES)
def test_referral_slip_emergency_green_channel(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_emergency)
