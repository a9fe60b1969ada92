"""Issue 14 item 5: one rule for time. Stored UTC, shown in the configured zone (default
Asia/Shanghai), whatever zone the machine is set to: here New York, 13 hours behind."""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, date, datetime

import pytest
from pilot_helpers import sign_in, wait_for
from sqlalchemy import select

from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.migrate import open_database
from clinic_tui.data.models import Resident, Visit

DAY = date(2026, 11, 20)
# 09:30 in Shanghai on the demo's day; 20:30 the evening before in New York.
MOMENT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


@pytest.fixture
def new_york(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    monkeypatch.setenv("CLINIC_TUI_TODAY", DAY.isoformat())
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    engine = open_database(path).engine
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).order_by(Resident.name).limit(1)).scalar_one()
        records.create(
            session,
            Visit(clinic_id=resident.clinic_id, resident_id=resident.id, visit_at=MOMENT, chief_complaint="夜里头晕"),
            None,
        )
    engine.dispose()
    with sqlite3.connect(path) as connection:  # a sync that ended at that moment
        connection.execute(
            "INSERT INTO sync_run (started_at, finished_at, trigger, outcome, pushed, accepted, duplicate, rejected,"
            " conflict, pulled, resent, confirmed_counts, today_counts, conflicts)"
            " VALUES ('2026-11-20 01:29:00.000000', '2026-11-20 01:30:00.000000', 'cli', 'ok', 0, 0, 0, 0, 0, 0, 0,"
            " '{}', '{}', '{}')"
        )
    return path


async def test_screens_show_china_time_on_a_machine_set_to_new_york(new_york, database):
    from textual.widgets import DataTable

    from clinic_tui.screens.sync_screen import SyncScreen

    assert datetime.now().astimezone().utcoffset().total_seconds() == -5 * 3600  # the machine: New York
    app = ClinicApp(Settings(database=database))
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(app, pilot)
        dashboard = app.screen
        await wait_for(pilot, lambda: dashboard.data is not None)
        visits = [(item.name, item.detail) for item in dashboard.data.visits_today]
        assert any(detail == "夜里头晕" for _, detail in visits), visits  # 20 November in China
        table = dashboard.query_one("#items", DataTable)
        shown = [table.get_row_at(i) for i in range(table.row_count)]
        assert any(row[0] == "09:30" and row[2] == "夜里头晕" for row in shown), shown
        assert "11-20 09:30" in app.header_text  # the last sync
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: isinstance(app.screen, SyncScreen) and app.screen.loaded)
        runs = app.screen.query_one("#sync-runs", DataTable)
        assert runs.get_row_at(0)[0] == "11-20 09:29"  # when it started


def test_the_slip_and_the_settings_agree(new_york, monkeypatch):
    from clinic_tui import clock
    from clinic_tui.config import load_settings
    from clinic_tui.slip import _day

    assert load_settings().time_zone == "Asia/Shanghai"
    clock.set_zone("Asia/Shanghai")
    assert _day(MOMENT) == "2026-11-20 09:30"
    assert clock.today() == DAY
    monkeypatch.delenv("CLINIC_TUI_TODAY")
    monkeypatch.setenv("CLINIC_TUI_TIME_ZONE", "Europe/London")
    clock.set_zone(load_settings().time_zone)
    try:
        assert _day(MOMENT) == "2026-11-20 01:30"  # another configured zone moves every time shown
        assert clock.local(MOMENT).tzinfo is clock.zone()
    finally:
        clock.set_zone(clock.DEFAULT_ZONE)


def test_a_zone_that_does_not_exist_is_refused_with_where_it_came_from(monkeypatch):
    from clinic_tui.config import SettingsError, load_settings

    monkeypatch.setenv("CLINIC_TUI_TIME_ZONE", "Mars/Base")
    with pytest.raises(SettingsError, match="CLINIC_TUI_TIME_ZONE"):
        load_settings()
