"""The app opens a demo copy when nothing is configured, and finds residents as you type."""

from __future__ import annotations

import shutil
from pathlib import Path

from pilot_helpers import login_shown, sign_in, wait_for
from textual.widgets import DataTable, Static

from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings, data_dir
from clinic_tui.screens.login import LoginScreen
from clinic_tui.screens.residents import ResidentsScreen


async def test_with_nothing_configured_the_app_opens_a_demo_copy_and_says_so():
    app = ClinicApp(Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app))
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


def test_the_head_revision_constant_is_alembics_head():
    """Start-up compares the stored revision with HEAD_REVISION instead of loading Alembic."""
    from clinic_tui.data.migrate import HEAD_REVISION, head_revision

    assert HEAD_REVISION == head_revision()


def _checks_run_by(path: Path, settings: Settings) -> list[str]:
    """Open ``path`` as the app does and list the full integrity checks SQLite was asked for."""
    import sqlite3

    from clinic_tui.data.startup import prepare_database

    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        connection = real_connect(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    sqlite3.connect = connect
    try:
        prepare_database(settings, app_session=True).engine.dispose()
    finally:
        sqlite3.connect = real_connect
    return [s for s in statements if "quick_check" in s]


async def test_the_whole_file_is_checked_only_after_a_session_that_did_not_end_cleanly(tmp_path: Path):
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    settings = Settings(database=db)
    assert _checks_run_by(db, settings)  # never opened by this version: checked
    assert _checks_run_by(db, settings)  # that session was not quit normally (a crash): checked again
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert not app.query_one("#loading", Static).display  # not left behind the login screen
        await pilot.press("ctrl+q")
    from clinic_tui.data.startup import mark_clean_exit

    mark_clean_exit(app.store.path)  # what run_app does after a normal exit
    app.store.engine.dispose()
    assert _checks_run_by(db, settings) == []
    assert _checks_run_by(db, settings)  # the session just opened was not closed cleanly


def test_an_ordinary_start_neither_rebuilds_the_catalogue_nor_loads_alembic_or_pypinyin(tmp_path: Path):
    import subprocess
    import sys

    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    probe = (
        "import sys, pathlib\n"
        "from clinic_tui.config import Settings\n"
        "from clinic_tui.data.startup import prepare_database, mark_clean_exit\n"
        f"settings = Settings(database=pathlib.Path({str(db)!r}))\n"
        "mark_clean_exit(prepare_database(settings, app_session=True).path)\n"
        "if sys.argv[1] == 'again':\n"
        "    print(sorted(m for m in ('alembic', 'pypinyin') if m in sys.modules))\n"
    )
    env = {
        "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    first = subprocess.run([sys.executable, "-c", probe, "first"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([sys.executable, "-c", probe, "again"], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]"
