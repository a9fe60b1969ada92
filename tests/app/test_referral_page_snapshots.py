"""The referral page at 80x24, in Chinese and in English (pytest-textual-snapshot).

An emergency referral the hospital accepted and the patient reached: the green-channel mark, the
status, the sync line, the hospital's appointment and the start of the history must all show on
the first screen. Accept deliberate changes with ``--snapshot-update`` on these tests only, after
looking at the pictures. The setup (fixed day, China time, no cursor blink) is that of
``test_snapshots.py``.
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
NUMBER = "QS0101-20261107-0001"  # in the demo data: an emergency, accepted, then arrived


class _DemoDay(date):
    @classmethod
    def today(cls) -> date:
        return TODAY


@pytest.fixture
def fixed_clock():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("clinic_tui.app.date", _DemoDay)
        patch.setattr("clinic_tui.screens.dashboard.date", _DemoDay)
        patch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def make_app(tmp_path: Path, fixed_clock):
    def make(language: str) -> ClinicApp:
        database = tmp_path / "clinic.db"
        shutil.copyfile(EXAMPLE_DATABASE, database)
        i18n.set_language(language)
        return ClinicApp(Settings(database=database, language=language))

    return make


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"not reached on {pilot.app.screen!r}")


def _screen_is(app, name: str) -> bool:
    return type(app.screen).__name__ == name


async def _at_referral_page(pilot) -> None:
    """Signed in, Ctrl+E to the list, F7 and the number to find it, Enter twice to open it."""
    app = pilot.app
    await _until(pilot, lambda: _screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await _until(pilot, lambda: _screen_is(app, "DashboardScreen") and app.user_name in app.header_text)
    await pilot.press("ctrl+e")
    await _until(pilot, lambda: _screen_is(app, "ReferralsScreen"))
    await pilot.press("f7", *NUMBER, "enter")
    table = app.screen.query_one("#results")
    await _until(pilot, lambda: app.screen.query_text == NUMBER and table.row_count == 1 and not app.workers)
    await pilot.press("enter")
    await _until(pilot, lambda: _screen_is(app, "ReferralScreen") and app.screen.detail is not None)
    await _until(pilot, lambda: not app.workers)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("language", LANGUAGES)
def test_referral_page(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_referral_page, terminal_size=(80, 24))
