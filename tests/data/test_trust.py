"""Whether the database file can be trusted, decided at every start: a new database only where no
file exists; an empty, truncated, foreign or damaged file refused and left byte for byte as it was,
and no backup made of it, so every good backup stays."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from damage import damage_flipped_bytes, damage_garbage_page

from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.maintenance import copy_problems
from clinic_tui.data.sqlite_file import DatabaseError
from clinic_tui.data.startup import (
    CLEAN_EXIT_KEY,
    LAST_CHECK_KEY,
    full_check_due,
    mark_clean_exit,
    open_as_is,
    prepare_database,
)


def _settings_after_a_week(tmp_path: Path) -> Settings:
    """A clinic's database after a week of normal days: quit cleanly, seven good backups."""
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    settings = Settings(database=db)
    prepare_database(settings, app_session=True).engine.dispose()
    mark_clean_exit(db)
    folder = settings.backup_dir()
    today_backup = next(folder.glob("clinic-*.db"))
    for days in range(1, 7):
        shutil.copyfile(today_backup, folder / f"clinic-{date.today() - timedelta(days=days):%Y%m%d}.db")
    today_backup.unlink()  # the next start makes today's
    return settings


def _backups(settings: Settings) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(settings.backup_dir().glob("clinic-*.db"))}


def _truncate(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 100 * 4096)  # whole pages gone: the size alone looks fine


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _odd_size(path: Path) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 1000)


def _foreign(path: Path) -> None:
    path.unlink()
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE photo (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO photo VALUES (1, 'holiday')")
    connection.commit()
    connection.close()


def _text(path: Path) -> None:
    path.write_text("name,phone\n张三,13800138000\n", encoding="utf-8")


@pytest.mark.parametrize(
    "damage, kind",
    [
        (_empty, "empty"),
        (_truncate, "truncated"),
        (_odd_size, "corrupt"),
        (_foreign, "foreign"),
        (_text, "not_a_database"),
    ],
)
def test_a_file_that_cannot_be_trusted_is_refused_and_left_as_it_was(tmp_path, damage, kind):
    settings = _settings_after_a_week(tmp_path)
    db = settings.database
    damage(db)
    before, backups = db.read_bytes(), _backups(settings)
    for attempt in (open_as_is, prepare_database):  # the quick path and the full one
        with pytest.raises(DatabaseError) as raised:
            attempt(settings)
        assert raised.value.kind == kind
    assert db.read_bytes() == before  # byte for byte
    assert _backups(settings) == backups  # no backup of it, none pushed out
    assert not (settings.backup_dir() / "rejected").exists()


@pytest.mark.parametrize("damage", [damage_garbage_page, damage_flipped_bytes])
def test_a_damaged_page_after_a_crash_is_refused_before_any_backup(tmp_path, damage):
    settings = _settings_after_a_week(tmp_path)
    db = settings.database
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("DELETE FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,))  # a power cut
    connection.close()
    damage(db)
    before, backups = db.read_bytes(), _backups(settings)
    with pytest.raises(DatabaseError) as raised:
        prepare_database(settings, app_session=True)
    assert raised.value.kind == "corrupt"
    assert db.read_bytes() == before and _backups(settings) == backups


@pytest.mark.parametrize("damage", [damage_garbage_page, damage_flipped_bytes])
def test_a_damaged_page_the_quick_start_cannot_see_is_contained_by_the_backup_check(tmp_path, damage):
    """Quit cleanly, checked recently: the start does not read every page. Today's copy fails its
    check, is put aside, the doctor is told, and the next start reads every page and refuses."""
    settings = _settings_after_a_week(tmp_path)
    db = settings.database
    damage(db)
    backups = _backups(settings)
    assert not full_check_due(db)
    opened = prepare_database(settings, app_session=True)
    opened.engine.dispose()
    assert opened.rejected_backup is not None and opened.rejected_backup.parent.name == "rejected"
    assert _backups(settings) == backups  # every good backup still there
    assert all(copy_problems(p) == [] for p in backups)  # and sound
    assert full_check_due(db)
    mark_clean_exit(db)
    assert full_check_due(db)  # a clean quit does not make up for the failed copy
    assert open_as_is(settings) is None
    with pytest.raises(DatabaseError) as raised:
        prepare_database(settings, app_session=True)
    assert raised.value.kind == "corrupt"
    assert _backups(settings) == backups


def test_the_full_check_runs_again_when_the_last_is_a_week_old(tmp_path):
    settings = _settings_after_a_week(tmp_path)
    db = settings.database
    assert not full_check_due(db)
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "UPDATE app_setting SET value = ? WHERE key = ?",
            ((date.today() - timedelta(days=7)).isoformat(), LAST_CHECK_KEY),
        )
    connection.close()
    assert full_check_due(db)
    prepare_database(settings, app_session=True).engine.dispose()
    mark_clean_exit(db)
    assert not full_check_due(db)
    assert open_as_is(settings) == db


def test_a_new_database_is_made_only_where_no_file_is_and_is_owner_only(tmp_path):
    settings = Settings(database=tmp_path / "clinics" / "new.db")
    opened = prepare_database(settings, app_session=True)
    opened.engine.dispose()
    assert opened.created
    db = settings.database
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert not list(db.parent.glob("*.new*"))
    backup = next(settings.backup_dir().glob("new-*.db"))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
