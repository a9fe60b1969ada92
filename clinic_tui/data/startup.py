"""Getting the app's database ready: demo copy, migration, daily backup, reference data.

The full integrity check reads the whole file (about 2 s per GB on an old PC), so it runs only when
the last session did not end cleanly: a ``clean_exit`` row in ``app_setting`` is written when the
app quits normally and removed as soon as it opens the database again. A crash or a power cut
leaves it missing, and the next start checks every page. ``clinic-tui db check`` always does.

Most starts find nothing to do: the last session ended cleanly, the schema is current, the shipped
diagnosis lists are unchanged and today's backup exists. ``open_as_is`` recognises such a start
with plain SQLite, so the ORM need not load before the dashboard is drawn.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.maintenance import daily_backup, daily_backup_path
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
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    shutil.copyfile(example, partial)
    partial.replace(target)
    return True


CLEAN_EXIT_KEY = "clean_exit"


def last_session_ended_cleanly(path: Path) -> bool:
    """Whether the app quit normally the last time it had ``path`` open (read with plain SQLite)."""
    if not path.exists() or path.stat().st_size == 0:
        return True  # a new database: nothing to check
    try:
        connection = sqlite3.connect(path, timeout=1.0)
        try:
            row = connection.execute("SELECT 1 FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False  # unreadable or older than the marker: let the full check say what is wrong
    return row is not None


def _set_clean_exit(path: Path, clean: bool) -> None:
    with writing(path) as connection:
        if clean:
            connection.execute("INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, '1')", (CLEAN_EXIT_KEY,))
        else:
            connection.execute("DELETE FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,))


def mark_clean_exit(path: Path) -> None:
    """Called when the app quits normally: the next start may skip the full integrity check."""
    _set_clean_exit(path, True)


def open_as_is(settings: Settings) -> Path | None:
    """The database, when it can be used as it is, for an app session; None when it needs
    preparing (``prepare_database``): new, not quit cleanly, an older schema, changed diagnosis
    lists, or no backup made today. Raises DatabaseError for a file that cannot be used."""
    from clinic_tui.search.icd_catalog import BUILTIN_FINGERPRINT_KEY, builtin_fingerprint

    path = settings.database_path()
    if not path.exists() or path.stat().st_size == 0 or not last_session_ended_cleanly(path):
        return None
    if not daily_backup_path(path, settings.backup_dir()).exists():
        return None
    check_usable(path, full_check=False)
    with writing(path) as connection:
        loaded = connection.execute("SELECT value FROM app_setting WHERE key = ?", (BUILTIN_FINGERPRINT_KEY,)).fetchone()
        if stored_revision(connection) != HEAD_REVISION or loaded is None or loaded[0] != builtin_fingerprint():
            return None  # nothing written: prepare_database upgrades or reloads, then clears the marker
        if not name_keys_current(connection):
            return None  # prepare_database makes the residents' name keys again
        # Until this session ends normally, in the same transaction as the checks above.
        connection.execute("DELETE FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,))
    return path


def prepare_database(settings: Settings, *, app_session: bool = False) -> OpenedDatabase:
    """Open the configured database (or the demo copy) at the current schema, backed up today.

    ``app_session``: the app is starting and will call ``mark_clean_exit`` when it quits normally.
    """
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.diagnoses import ensure_builtin_catalog
    from clinic_tui.data.migrate import open_database

    path = settings.database_path()
    if settings.is_demo:
        ensure_demo_copy(path)
    opened = open_database(path, settings.backup_dir(), full_check=not last_session_ended_cleanly(path))
    if app_session:
        _set_clean_exit(path, False)  # until this session ends normally
    daily_backup(path, settings.backup_dir(), keep=settings.backup_keep_days)

    with unit_of_work(opened.engine) as session:
        ensure_builtin_catalog(session)
    with writing(path) as connection:
        if not name_keys_current(connection):
            refresh_name_keys(connection)
    return opened
