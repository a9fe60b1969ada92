"""Online backups, checked before they count, rotated with a tail; restoring one; the integrity check."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from damage import damage_flipped_bytes, damage_garbage_page

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.maintenance import (
    RESTORED_KEY,
    BackupRejected,
    backup_to,
    copy_problems,
    daily_backup,
    integrity_problems,
    keep_set,
    restore_backup,
    rotate,
)
from clinic_tui.data.models import Resident


def _names(path):
    connection = sqlite3.connect(path)
    try:
        return [r[0] for r in connection.execute("SELECT name FROM resident ORDER BY name")]
    finally:
        connection.close()


def test_a_backup_taken_while_the_app_is_open_holds_every_committed_record(engine, clinic, tmp_path):
    with unit_of_work(engine) as session:
        records.create(session, Resident(clinic_id=clinic.id, name="张三"), None)
    source = engine.url.database
    with engine.connect():  # the app still holds the database open
        target = backup_to(source, tmp_path / "copy.db")
    assert _names(target) == ["张三"]
    assert integrity_problems(target) == []
    assert not target.with_suffix(".db.part").exists()


def test_one_backup_a_day_and_the_newest_days_are_kept(engine, tmp_path):
    source, folder = engine.url.database, tmp_path / "backups"
    start = date(2026, 11, 2)  # a Monday: the five days are one ISO week, so no weekly tail here
    made = [daily_backup(source, folder, today=start + timedelta(days=i), keep=3) for i in range(5)]
    assert all(made)
    assert daily_backup(source, folder, today=start + timedelta(days=4), keep=3) is None  # already today
    kept = sorted(p.name for p in folder.iterdir())
    stem = made[0].name.rsplit("-", 1)[0]
    assert kept == [f"{stem}-202611{d:02d}.db" for d in (4, 5, 6)]


def test_rotation_keeps_a_tail_of_7_days_4_weeks_and_3_months():
    today = date(2026, 12, 2)
    days = [today - timedelta(days=i) for i in range(200)]
    kept = sorted(keep_set(days), reverse=True)
    assert kept[:7] == days[:7]  # the last week, day by day
    weekly, monthly = kept[7:11], kept[11:]
    assert len(weekly) == 4 and len({d.isocalendar()[:2] for d in weekly}) == 4
    assert all(d.isoweekday() == 7 for d in weekly)  # the newest of each week: its Sunday
    assert len(monthly) == 3 and [d.day for d in monthly] == [31, 30, 31]  # the last day of each month
    assert monthly[-1] == date(2026, 8, 31)  # three months back beyond the weeks


def test_rotation_counts_only_the_days_there_are():
    """A clinic that opens twice a week still keeps 7 backups, not a week's worth."""
    days = [date(2026, 12, 1) - timedelta(days=i) for i in range(0, 70, 3)]
    assert sorted(keep_set(days, daily=7, weekly=0, monthly=0), reverse=True) == days[:7]


def test_rotation_leaves_other_files_alone(tmp_path):
    for name in ("clinic-20261101.db", "clinic-20261102.db", "clinic-before-0001-x.db", "other-20261101.db"):
        (tmp_path / name).write_bytes(b"")
    removed = rotate(tmp_path, "clinic", daily=1, weekly=0, monthly=0)
    assert [p.name for p in removed] == ["clinic-20261101.db"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clinic-20261102.db",
        "clinic-before-0001-x.db",
        "other-20261101.db",
    ]


def test_a_backup_is_a_single_owner_only_file_in_an_owner_only_folder(engine, tmp_path):
    made = daily_backup(engine.url.database, tmp_path / "backups", today=date(2026, 12, 2))
    assert sorted(p.name for p in made.parent.iterdir()) == [made.name]  # no -wal, -shm or .part beside it
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("damage", [damage_garbage_page, damage_flipped_bytes])
def test_a_damaged_database_makes_no_backup_and_pushes_none_out(engine, clinic, tmp_path, damage):
    source, folder = Path(engine.url.database), tmp_path / "backups"
    engine.dispose()
    start = date(2026, 11, 20)
    good = [daily_backup(source, folder, today=start + timedelta(days=i)) for i in range(7)]
    good_bytes = {p: p.read_bytes() for p in good}
    damage(source)
    for day in range(7, 14):  # a week of starts on the damaged file
        with pytest.raises(BackupRejected) as raised:
            daily_backup(source, folder, today=start + timedelta(days=day))
        assert raised.value.path.parent == folder / "rejected" and raised.value.problems
    assert sorted(p for p in folder.glob("*.db")) == good  # every good backup still there ...
    for path in good:
        assert path.read_bytes() == good_bytes[path] and copy_problems(path) == []  # ... and sound
    rejected = sorted(p.name for p in (folder / "rejected").iterdir())
    assert len(rejected) == 7 and not list(folder.glob("*.part"))


def test_restoring_keeps_the_replaced_file_and_marks_the_database(engine, clinic, tmp_path):
    source, folder = Path(engine.url.database), tmp_path / "backups"
    backup = daily_backup(source, folder, today=date(2026, 12, 1))
    with unit_of_work(engine) as session:
        records.create(session, Resident(clinic_id=clinic.id, name="李四"), None)
    engine.dispose()
    before = source.read_bytes()
    kept = restore_backup(source, backup, folder)
    assert kept.parent == folder / "replaced" and kept.read_bytes() == before
    assert _names(source) == [] and _names(kept) == ["李四"]
    connection = sqlite3.connect(source)
    mark = json.loads(connection.execute("SELECT value FROM app_setting WHERE key = ?", (RESTORED_KEY,)).fetchone()[0])
    connection.close()
    assert mark["backup"] == backup.name
    assert stat.S_IMODE(source.stat().st_mode) == 0o600
    assert backup.exists()  # the backup itself stays, to restore again


def test_integrity_check_reports_a_broken_reference(engine, clinic, tmp_path):
    path = engine.url.database
    engine.dispose()
    connection = sqlite3.connect(path)  # foreign keys are off by default in a raw connection
    connection.execute(
        "INSERT INTO visit (id, clinic_id, created_at, updated_at, revision, deleted, resident_id, visit_at, "
        "mode, diagnoses, fee_fen, referral_flag) VALUES ('v1', ?, '2026-01-01', '2026-01-01', 1, 0, "
        "'nobody', '2026-01-01', '1', '[]', 0, 0)",
        (clinic.id,),
    )
    connection.commit()
    connection.close()
    problems = integrity_problems(path)
    assert len(problems) == 1 and "visit" in problems[0] and "resident" in problems[0]
