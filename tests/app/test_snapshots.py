"""What the main screens look like at 80x24, in Chinese and in English (pytest-textual-snapshot).

Each test runs the whole app on a copy of the demo database, drives it with keys to the screen,
and compares a screenshot with the accepted SVG in ``__snapshots__/test_snapshots/``. After a
deliberate change of a screen, look at the new pictures and accept them with
``pytest tests/app/test_snapshots.py --snapshot-update``.

The screens show dates: the ``make_app`` fixture (tests/app/conftest.py) pins "today" to the day
the demo data was generated (2026-11-20, through ``CLINIC_TUI_TODAY``) and the clock to China's
time zone, so the pictures do not change from one day to the next.
"""

from __future__ import annotations

import pytest
from pilot_helpers import LANGUAGES, screen_is, steady, until

QUERY = "zl"  # pinyin initials with several residents in the demo data


async def _at_login(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen") and "│" in app.header_text)
    await steady(pilot)


async def _at_dashboard(pilot) -> None:
    """Signed in as 李建国 (PIN 1234), the dashboard showing its five counts."""
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")

    def filled() -> bool:
        screen = app.screen
        return (
            screen_is(app, "DashboardScreen")
            and screen.data is not None
            and screen.query_one("#sections").option_count == 5
            and app.user_name in app.header_text
        )

    await until(pilot, filled)
    await steady(pilot)


async def _at_residents_search(pilot) -> None:
    app = pilot.app
    await _at_dashboard(pilot)
    await pilot.press("f3")
    await until(pilot, lambda: screen_is(app, "ResidentsScreen"))
    await pilot.press(*QUERY)
    table = app.screen.query_one("#results")
    await until(
        pilot,
        lambda: (
            app.screen.query_text == QUERY and table.row_count > 0 and table.row_count < app.store.residents.count()
        ),
    )
    await until(pilot, lambda: not app.workers)  # the last keystroke's search is on the screen
    await steady(pilot)


async def _at_help(pilot) -> None:
    app = pilot.app
    await _at_dashboard(pilot)
    await pilot.press("f1")
    await until(pilot, lambda: screen_is(app, "HelpScreen"))
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_screen(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_login)


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_dashboard)


@pytest.mark.parametrize("language", LANGUAGES)
def test_residents_after_typing_a_query(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_residents_search)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_screen_on_the_dashboard(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_help)
