"""The app opens a demo copy when nothing is configured, and finds residents as you type."""

from __future__ import annotations

import shutil
from pathlib import Path

from pilot_helpers import sign_in, wait_for
from textual.widgets import DataTable, Static

from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings, data_dir
from clinic_tui.screens.login import LoginScreen
from clinic_tui.screens.residents import ResidentsScreen


async def test_with_nothing_configured_the_app_opens_a_demo_copy_and_says_so():
    app = ClinicApp(Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert "石桥镇青石村卫生室" in app.header_text and "演示" in app.header_text
    demo = data_dir() / "demo.db"
    assert demo.exists() and demo.stat().st_size > 0
    assert EXAMPLE_DATABASE.read_bytes()[:16] == b"SQLite format 3\x00"


async def test_typing_pinyin_initials_lists_matching_residents(tmp_path: Path):
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    app = ClinicApp(Settings(database=db))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
        await pilot.press("w", "j")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        names = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert names and all(name.startswith(("王", "韦", "魏", "吴", "万", "汪", "武")) for name in names)
        assert "结果" in str(app.screen.query_one("#status", Static).render())


async def test_a_database_from_a_newer_version_is_explained_not_a_traceback(tmp_path: Path):
    import sqlite3

    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    connection = sqlite3.connect(db)
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    app = ClinicApp(Settings(database=db))
    async with app.run_test(size=(80, 24)) as pilot:
        loading = app.screen.query_one("#loading", Static)
        await wait_for(pilot, lambda: "更高版本" in str(loading.render()))
