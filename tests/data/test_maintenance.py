"""Online backups with daily rotation, and the integrity check."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.maintenance import backup_to, daily_backup, integrity_problems, rotate
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


def test_one_backup_a_day_and_only_the_newest_are_kept(engine, tmp_path):
    source, folder = engine.url.database, tmp_path / "backups"
    start = date(2026, 11, 1)
    made = [daily_backup(source, folder, today=start + timedelta(days=i), keep=3) for i in range(5)]
    assert all(made)
    assert daily_backup(source, folder, today=start + timedelta(days=4), keep=3) is None  # already today
    kept = sorted(p.name for p in folder.iterdir())
    stem = made[0].name.rsplit("-", 1)[0]
    assert kept == [f"{stem}-202611{d:02d}.db" for d in (3, 4, 5)]


def test_rotation_leaves_other_files_alone(tmp_path):
    for name in ("clinic-20261101.db", "clinic-20261102.db", "clinic-before-0001-x.db", "other-20261101.db"):
        (tmp_path / name).write_bytes(b"")
    removed = rotate(tmp_path, "clinic", keep=1)
    assert [p.name for p in removed] == ["clinic-20261101.db"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clinic-20261102.db", "clinic-before-0001-x.db", "other-20261101.db"]


def test_integrity_check_reports_a_broken_reference(engine, clinic, tmp_path):
    path = engine.url.database
    engine.dispose()
    connection = sqlite3.connect(path)  # foreign keys are off by default in a raw connection
    connection.execute(
        "INSERT INTO visit (id, clinic_id, created_at, updated_at, revision, deleted, resident_id, visit_at, "
        "mode, diagnoses, fee_fen, referral_flag) VALUES ('v1', ?, '2026-01-01', '2026-01-01', 1, 0, "
        "'nobody', '2026-01-01', '1', '[]', 0, 0)", (clinic.id,)
    )
    connection.commit()
    connection.close()
    problems = integrity_problems(path)
    assert len(problems) == 1 and "visit" in problems[0] and "resident" in problems[0]
