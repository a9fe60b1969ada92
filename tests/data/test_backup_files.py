"""The attachment files in the clinic's backups (docs/bad-day.md): a backup carries the files its
database names into a store shared by the backups (one copy per file, whatever the days), verified
by hash and owner-only; rotation keeps every file a kept backup names; a restore puts them back;
what is missing or damaged is named with the request it belongs to."""

from __future__ import annotations

import os
import stat
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

from clinic_tui.data import records
from clinic_tui.data.attachments import engine_folder, examine
from clinic_tui.data.backup_files import (
    DAMAGED,
    MISSING,
    backup_problems,
    clean_store,
    live_problems,
    store_of,
)
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.maintenance import backup_to, daily_backup, list_backups, restore_backup
from clinic_tui.data.models import Resident
from clinic_tui.data.remote_requests import submit


def _attach(engine, clinic, doctor, tmp_path: Path, size: int = 300_000, label: str = "a") -> tuple[str, str, bytes]:
    """A request sent with one PDF; returns (request number, sha256, bytes)."""
    original = tmp_path / f"心电图-{label}.pdf"
    data = b"%PDF-1.4\n" + os.urandom(size - 9)
    original.write_bytes(data)
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name=f"王{label}"), None)
    candidate = examine(str(original))
    _, number = submit(
        engine,
        resident_id=resident.id,
        values={
            "service": "ecg",
            "urgency": "routine",
            "question": "请判读心电图",
            "consent": True,
            "attachments": [asdict(candidate)],
        },
        user_id=doctor.id,
    )
    original.unlink()
    return number, candidate.sha256, data


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_carries_the_files_its_database_names_once_for_all_days(engine, clinic, doctor, tmp_path):
    number, sha, data = _attach(engine, clinic, doctor, tmp_path)
    source, folder = Path(engine.url.database), tmp_path / "backups"
    start = date(2026, 11, 2)
    for day in range(3):
        assert daily_backup(source, folder, today=start + timedelta(days=day))
    store = folder / "attachments"
    assert [p.name for p in store.iterdir()] == [sha]  # one copy, not one per day
    stored = store / sha
    assert stored.read_bytes() == data
    assert stored.stat().st_ino != (engine_folder(engine) / sha).stat().st_ino  # a copy, not a link
    assert _mode(stored) == 0o600 and _mode(store) == 0o700
    assert not list(store.glob("*.part"))
    for info in list_backups(source, folder, check=True):
        assert info.sound and info.file_problems == []
    assert backup_problems(folder / f"{source.stem}-20261102.db", full=True) == []
    assert number  # the request that names it is in every backup


def test_rotation_keeps_the_files_of_kept_backups_and_drops_the_others(engine, clinic, doctor, tmp_path):
    source, folder = Path(engine.url.database), tmp_path / "backups"
    start = date(2026, 11, 2)  # one ISO week: no weekly tail
    _, old_sha, _ = _attach(engine, clinic, doctor, tmp_path, label="old")
    assert daily_backup(source, folder, today=start, keep=2)
    # The request goes (a hand edit stands for any way a file stops being named): later backups lack it.
    import sqlite3

    with sqlite3.connect(source) as db:
        db.execute("UPDATE remote_request SET attachments = '[]'")
        db.execute("DELETE FROM attachment_file WHERE sha256 = ?", (old_sha,))
    _, new_sha, _ = _attach(engine, clinic, doctor, tmp_path, label="new")
    assert daily_backup(source, folder, today=start + timedelta(days=1), keep=2)
    store = folder / "attachments"
    assert {p.name for p in store.iterdir()} == {old_sha, new_sha}  # the first backup still names the old one
    assert daily_backup(source, folder, today=start + timedelta(days=2), keep=2)  # the first day rotates out
    assert {p.name for p in store.iterdir()} == {new_sha}
    for info in list_backups(source, folder, check=True):
        assert info.file_problems == []


def test_a_backup_being_made_or_unreadable_stops_the_cleaning(engine, clinic, doctor, tmp_path):
    folder = tmp_path / "backups"
    _, sha, _ = _attach(engine, clinic, doctor, tmp_path)
    target = backup_to(engine.url.database, folder / "clinic-20261102.db")
    (folder / "clinic-20261103.db").write_bytes(b"not a database at all, not even a header" * 200)
    assert clean_store(folder) == []
    assert (store_of(target) / sha).exists()
    (folder / "clinic-20261103.db").unlink()
    target.replace(folder / "clinic-20261102.db.part")  # a copy not yet named still counts
    assert clean_store(folder) == []
    assert (folder / "attachments" / sha).exists()


def test_a_file_damaged_beside_the_database_is_not_carried_and_is_named(engine, clinic, doctor, tmp_path):
    number, sha, data = _attach(engine, clinic, doctor, tmp_path)
    live = engine_folder(engine) / sha
    live.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit flipped on the disk
    target = backup_to(engine.url.database, tmp_path / "backups" / "clinic-20261102.db")
    assert target.exists()  # the database is worth keeping without the file
    assert not (store_of(target) / sha).exists() and not list(store_of(target).glob("*.part"))
    (problem,) = backup_problems(target)
    assert (problem.sha256, problem.kind, problem.records[0][0], problem.lost) == (sha, MISSING, number, True)
    (problem,) = live_problems(engine.url.database)
    assert (problem.kind, problem.records[0]) == (DAMAGED, (number, "心电图-a.pdf"))
    live.unlink()
    (problem,) = live_problems(engine.url.database)
    assert problem.kind == MISSING


def test_a_restore_puts_the_files_back_verified_by_hash(engine, clinic, doctor, tmp_path):
    number, sha, data = _attach(engine, clinic, doctor, tmp_path)
    database, folder = Path(engine.url.database), tmp_path / "backups"
    backup = backup_to(database, folder / "clinic-20261102.db")
    engine.dispose()
    live = engine_folder(engine)
    for path in live.iterdir():
        path.unlink()
    live.rmdir()  # the folder lost with the PC's disk; the backups were elsewhere
    restore_backup(database, backup, folder)
    assert (live / sha).read_bytes() == data and _mode(live / sha) == 0o600
    assert live_problems(database) == []

    # A damaged copy in the store is not put back under the file's name.
    (live / sha).unlink()
    stored = store_of(backup) / sha
    stored.write_bytes(b"%PDF-" + bytes(len(data) - 5))
    restore_backup(database, backup, folder)
    assert not (live / sha).exists() and not (live / f"{sha}.part").exists()
    (problem,) = live_problems(database)
    assert (problem.kind, problem.records[0][0]) == (MISSING, number)
    (listed,) = list_backups(database, folder, check=True)
    assert listed.sound and [p.kind for p in listed.file_problems] == [DAMAGED]


def test_a_database_from_before_attachments_is_backed_up_as_before(tmp_path):
    """The copy made before an upgrade reads a schema whose requests had no attachments yet."""
    import sqlite3

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE remote_request (id TEXT PRIMARY KEY, request_no TEXT)")
        db.execute("INSERT INTO remote_request VALUES ('1', 'R1')")
    db.close()
    target = backup_to(old, tmp_path / "backups" / "old-before-0010-x.db")
    assert target.exists() and backup_problems(target) == [] and live_problems(old) == []
    assert not (tmp_path / "backups" / "attachments").exists()
