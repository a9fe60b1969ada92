"""The upward referral slip at 80x24, in Chinese and in English (pytest-textual-snapshot).

As in ``test_snapshots.py``: the whole app on a copy of the demo database, today pinned to the
demo's day in China's time zone. One picture of a routine slip opened from the dashboard with the
resident picked, one of an emergency (the green channel banner and the transport question).
Accept deliberate changes with ``pytest tests/app/test_referral_snapshots.py --snapshot-update``
after looking at the new pictures.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings

TODAY = date(2026, 11, 20)  # scripts/generate_demo.py --today default
LANGUAGES = ["zh", "en"]


class _DemoDay(date):
    @classmethod
    def today(cls) -> date:
        return TODAY


@pytest.fixture
def make_app(tmp_path: Path):
    with pytest.MonkeyPatch.context() as patch:
        for module in ("clinic_tui.app", "clinic_tui.screens.dashboard", "clinic_tui.screens.referral_form"):
            patch.setattr(f"{module}.date", _DemoDay)
        patch.setenv("TZ", "Asia/Shanghai")
        time.tzset()

        def make(language: str) -> ClinicApp:
            database = tmp_path / "clinic.db"
            shutil.copyfile(EXAMPLE_DATABASE, database)
            i18n.set_language(language)
            return ClinicApp(Settings(database=database, language=language))

        yield make
    time.tzset()


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"not reached on {pilot.app.screen!r}")


async def _at_slip(pilot, *keys: str) -> None:
    """Signed in, Ctrl+R, resident xly (许林宇) picked, then ``keys``; nothing left moving."""
    app = pilot.app
    await _until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await _until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.screen.data is not None)
    await pilot.press("ctrl+r")
    await _until(pilot, lambda: getattr(app.screen.focused, "id", None) == "resident-query")
    await pilot.press(*"xly", "enter")
    await _until(pilot, lambda: getattr(app.screen.focused, "id", None) == "diagnosis-query"
                 and app.screen.form.input("past_history").value)
    await pilot.press(*keys)
    await _until(pilot, lambda: not app.workers)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


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
