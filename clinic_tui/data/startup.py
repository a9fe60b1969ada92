"""Getting the app's database ready: demo copy, migration, daily backup, reference data.

Whether the file can be trusted is decided cheaply at every start (``check_usable``): the header,
the page size, the page count against the file's size (a truncated file), and that the schema is
clinic-tui's. An empty, truncated or foreign file is refused and left exactly as it is; a new
database is made only where no file exists.

The full check (``PRAGMA quick_check``) reads the whole file (about 2 s per GB on an old PC), so it
runs only when the last session did not end cleanly or the last full check is older than a week:
a ``clean_exit`` row in ``app_setting`` is written when the app quits normally and removed as soon
as it opens the database again, and ``last_full_check`` holds the day of the last check that
passed. ``clinic-tui db check`` always checks. The day's backup is taken after these checks, and
the copy is itself checked before it counts (data/maintenance.py); a copy that fails makes the next
start check the whole file again.

Most starts find nothing to do: the last session ended cleanly, the last full check is recent, the
schema is current, the shipped diagnosis lists are unchanged and today's backup exists.
``open_as_is`` recognises such a start with plain SQLite, so the ORM need not load before the
dashboard is drawn.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.maintenance import BackupRejected, daily_backup, daily_backup_path
from clinic_tui.data.private_files import private_folder, restrict
from clinic_tui.data.search_keys import name_keys_current, refresh_name_keys
from clinic_tui.data.sqlite_file import HEAD_REVISION, DatabaseError, check_usable, stored_revision, writing

if TYPE_CHECKING:
    from clinic_tui.data.migrate import OpenedDatabase


def ensure_demo_copy(target: Path, example: Path = EXAMPLE_DATABASE) -> bool:
    """Copy the example database to ``target`` unless it is there; True when a copy was made."""
    if target.exists():
        return False
    if not example.exists():
        raise DatabaseError("missing", example, "the demo database local.db.example is not installed")
    private_folder(target.parent)
    partial = target.with_suffix(".part")
    shutil.copyfile(example, partial)
    restrict(partial)
    partial.replace(target)
    return True


CLEAN_EXIT_KEY = "clean_exit"
LAST_CHECK_KEY = "last_full_check"  # ISO day of the last full check that passed
CHECK_EVERY = timedelta(days=7)


def _check_is_old(value: str | None, today: date | None = None) -> bool:
    try:
        last = date.fromisoformat(value) if value else None
    except ValueError:
        last = None
    today = today or date.today()
    return last is None or not (today - CHECK_EVERY < last <= today)


def full_check_due(path: Path) -> bool:
    """Whether the next open of ``path`` reads every page: after a session that did not end
    cleanly, when no full check passed in the last week, or when the file cannot be read plainly."""
    if not path.exists():
        return False  # a new database: nothing to check
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            rows = dict(
                connection.execute(
                    "SELECT key, value FROM app_setting WHERE key IN (?, ?)", (CLEAN_EXIT_KEY, LAST_CHECK_KEY)
                ).fetchall()
            )
        finally:
            connection.close()
    except sqlite3.Error:
        return True  # unreadable or older than the markers: let the full check say what is wrong
    return CLEAN_EXIT_KEY not in rows or _check_is_old(rows.get(LAST_CHECK_KEY))


def _set_clean_exit(path: Path, clean: bool) -> None:
    with writing(path) as connection:
        if clean:
            connection.execute("INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, '1')", (CLEAN_EXIT_KEY,))
        else:
            connection.execute("DELETE FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,))


def mark_clean_exit(path: Path) -> None:
    """Called when the app quits normally: the next start may skip the full integrity check."""
    _set_clean_exit(path, True)


def clear_clean_exit(path: Path) -> None:
    """From now until this session ends normally, a crash makes the next start check every page."""
    _set_clean_exit(path, False)


def open_as_is(settings: Settings, *, clear_marker: bool = True) -> Path | None:
    """The database, when it can be used as it is, for an app session; None when it needs
    preparing (``prepare_database``): new, not quit cleanly, its full check due, an older schema,
    changed diagnosis lists, or no backup made today. Raises DatabaseError for a file that cannot
    be used (empty, truncated, foreign, damaged header, locked, read-only).

    ``clear_marker``: remove the ``clean_exit`` marker in the same transaction as the checks. The
    app passes False and calls ``clear_clean_exit`` itself once the login screen is up: that write
    commits with an fsync and checkpoints the file as its connection closes (several fsyncs, 5 to
    30 ms of waiting on the disk on the bench machine, more on an old PC's disk) that the way to the
    dashboard need not wait for (issue 19). It is cleared while the login screen is shown, before
    anyone has signed in, let alone saved anything; a crash in between loses one full check, not a
    record. The write lock is still taken here (a locked or read-only file is refused as before);
    a transaction that wrote nothing commits without touching the disk."""
    from clinic_tui.search.icd_catalog import BUILTIN_FINGERPRINT_KEY, builtin_fingerprint

    path = settings.database_path()
    if not path.exists():
        return None
    check_usable(path, full_check=False)  # a stat, 100 bytes and the schema: refuses what cannot be trusted
    if not daily_backup_path(path, settings.backup_dir()).exists():
        return None
    with writing(path) as connection:
        if stored_revision(connection) != HEAD_REVISION:
            return None  # nothing written: prepare_database upgrades, then clears the marker
        rows = dict(
            connection.execute(
                "SELECT key, value FROM app_setting WHERE key IN (?, ?, ?)",
                (CLEAN_EXIT_KEY, LAST_CHECK_KEY, BUILTIN_FINGERPRINT_KEY),
            ).fetchall()
        )
        if (
            CLEAN_EXIT_KEY not in rows
            or _check_is_old(rows.get(LAST_CHECK_KEY))
            or rows.get(BUILTIN_FINGERPRINT_KEY) != builtin_fingerprint()
        ):
            return None  # prepare_database checks the whole file or reloads the lists
        if not name_keys_current(connection):
            return None  # prepare_database makes the residents' name keys again
        if clear_marker:  # until this session ends normally, in the same transaction as the checks
            connection.execute("DELETE FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,))
    return path


def _record_full_check(path: Path, passed: bool) -> None:
    with writing(path) as connection:
        if passed:
            connection.execute(
                "INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, ?)",
                (LAST_CHECK_KEY, date.today().isoformat()),
            )
        else:
            connection.execute("DELETE FROM app_setting WHERE key = ?", (LAST_CHECK_KEY,))


def open_checked_when_due(path: Path, backup_dir: Path) -> OpenedDatabase:
    """Open ``path`` for a command that works on its records (``clinic-tui sync``), reading every
    page only when the app's start would (``full_check_due``): an end-of-day sync of a large
    clinic does not read the whole file each time (issue 19). The header, page count and schema
    are checked every time, as at every start."""
    from clinic_tui.data.migrate import open_database

    full_check = full_check_due(path)
    opened = open_database(path, backup_dir, full_check=full_check)
    if full_check:
        _record_full_check(path, True)
    return opened


def checked_when_due(path: Path, backup_dir: Path) -> OpenedDatabase | None:
    """``open_checked_when_due`` without loading the ORM when the file needs nothing: checked as
    there (the header, page count and schema every time, every page when due) and None when its
    schema is current, which the caller then reads and writes with plain ``sqlite3``
    (``clinic-tui sync``: docs/sync.md, "Cost of a sync"). A file to upgrade or to create is
    opened by ``open_database`` (Alembic, the copy made before) and returned as it returns it."""
    from clinic_tui.data.sqlite_file import reading

    if not path.exists():
        return open_checked_when_due(path, backup_dir)
    full_check = full_check_due(path)
    check_usable(path, full_check=full_check)
    if full_check:
        _record_full_check(path, True)
    with reading(path) as connection:
        current = stored_revision(connection) == HEAD_REVISION
    if current:
        return None
    from clinic_tui.data.migrate import open_database

    return open_database(path, backup_dir, full_check=False)  # every page was read above when due


def prepare_database(settings: Settings, *, app_session: bool = False) -> OpenedDatabase:
    """Open the configured database (or the demo copy) at the current schema, backed up today.

    ``app_session``: the app is starting and will call ``mark_clean_exit`` when it quits normally.
    Runs in the app's database worker, never on the UI thread. When today's copy fails its check,
    ``rejected_backup`` of the result names where it was put aside (the app tells the doctor), and
    the next start checks the whole file.
    """
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.diagnoses import ensure_builtin_catalog
    from clinic_tui.data.migrate import open_database

    path = settings.database_path()
    if settings.is_demo:
        ensure_demo_copy(path)
    full_check = full_check_due(path)
    opened = open_database(path, settings.backup_dir(), full_check=full_check)
    if full_check or opened.created:
        _record_full_check(path, True)
    if app_session:
        _set_clean_exit(path, False)  # until this session ends normally
    try:
        daily_backup(path, settings.backup_dir(), keep=settings.backup_keep_days)
    except BackupRejected as exc:
        _record_full_check(path, False)
        opened = replace(opened, rejected_backup=exc.path)

    with unit_of_work(opened.engine) as session:
        ensure_builtin_catalog(session)
    with writing(path) as connection:
        if not name_keys_current(connection):
            refresh_name_keys(connection)
    return opened
