"""The clinic's list of examination bookings (检查预约单) on a copy of the demo database (80x24):
Ctrl+N opens it from anywhere (a form with a text field focused too), its rows are the bookings in
the database with their state in words and the critical mark, the unacknowledged critical first and
the days ahead next; Enter opens the booking's page; F1 lists the key and the palette finds the list
by its pinyin initials."""

from __future__ import annotations

import sqlite3

import pytest
from exam_list_world import LISTED, book_five
from pilot_helpers import sign_in, wait_for
from textual.command import CommandPalette
from textual.widgets import DataTable

from clinic_tui.screens import routes


def _screen(app, name: str) -> bool:
    return type(app.screen).__name__ == name and app.screen.is_mounted


def _rows(app) -> list[tuple[str, ...]]:
    table = app.screen.query_one(DataTable)
    return [tuple(map(str, table.get_row_at(i))) for i in range(table.row_count)]


async def test_ctrl_n_lists_the_bookings_in_the_database_and_enter_opens_one(make_app):
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        ids = book_five(app)
        with sqlite3.connect(app.settings.database) as db:
            stored = {
                row[0]: row[1:]
                for row in db.execute(
                    "SELECT id, booking_no, item_name, patient_name FROM exam_booking WHERE deleted = 0"
                )
            }
        assert set(stored) == set(ids)
        # From a form whose text field has the focus: Ctrl+N is not one of a field's editing keys.
        await app.push_screen(routes.form_class("remote")(record_id=None, context={"resident_id": _resident(app)}))
        await wait_for(pilot, lambda: _screen(app, "RemoteFormScreen") and app.screen.focused is not None)
        await pilot.press("ctrl+n")
        await wait_for(
            pilot, lambda: _screen(app, "ExamBookingsScreen") and app.screen.query_one(DataTable).row_count == 5
        )
        assert app.current_mode == "exam"
        rows = _rows(app)
        wanted = [ids[i] for i in LISTED]
        assert ["QS0101-" + row[0] for row in rows] == [stored[i][0] for i in wanted]  # the clinic's code left out
        assert [row[3] for row in rows] == [stored[i][2] for i in wanted]
        assert rows[0][2] == stored[wanted[0]][1] + " 急"  # the urgent chest CT
        days = [row[1] for row in rows]
        assert days == ["11-20", "11-23", "11-25", "11-24", "11-20"]  # the hospital's new day where it moved one
        assert [row[4] for row in rows] == ["危急值 已报告", "已确认", "已预约", "已撤销", "已报告"]
        status = str(app.screen.query_one("#status").render())
        assert "共5张" in status and "待确认危急值报告：1" in status
        # Enter on the second row opens that booking's page.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: _screen(app, "ExamBookingScreen") and app.screen.detail is not None)
        assert app.screen.detail.booking.id == wanted[1]
        await pilot.press("escape")
        await wait_for(pilot, lambda: _screen(app, "ExamBookingsScreen"))


@pytest.mark.parametrize(
    ("language", "row"), [("zh", ("Ctrl+N", "检查预约单")), ("en", ("Ctrl+N", "Examination bookings"))]
)
async def test_f1_lists_ctrl_n_and_the_palette_finds_the_list(make_app, language, row):
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: _screen(app, "HelpScreen"))
        assert row in set(_rows(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: _screen(app, "DashboardScreen"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*("jcyyd" if language == "zh" else "examination b"))  # 检查预约单 by its pinyin initials
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: _screen(app, "ExamBookingsScreen"))
        await wait_for(pilot, lambda: "Ctrl+U" in str(app.screen.query_one("#status").render()))  # none booked yet


def _resident(app) -> str:
    with sqlite3.connect(app.settings.database) as db:
        return db.execute("SELECT id FROM resident WHERE deleted = 0 ORDER BY name LIMIT 1").fetchone()[0]
