"""The clinic's examination bookings list (Ctrl+N) at 80x24, in Chinese and in English
(pytest-textual-snapshot): five bookings (exam_list_world.py), the critical report first with its red
mark, the days ahead next, the status line counting them and the criticals to acknowledge. Accept
deliberate changes with ``--snapshot-update`` on these tests only, after looking at the pictures. The
setup (fixed day, China time, no cursor blink) is that of ``test_snapshots.py``."""

from __future__ import annotations

import pytest
from exam_list_world import book_five
from pilot_helpers import LANGUAGES, screen_is, steady, until


async def _at_list(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: screen_is(app, "DashboardScreen") and app.user_name in app.header_text)
    book_five(app)
    app.refresh_header()
    await pilot.press("ctrl+n")
    await until(pilot, lambda: screen_is(app, "ExamBookingsScreen") and app.screen.row_count == 5)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_exam_bookings_list(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_list, terminal_size=(80, 24))
