"""Getting the app's database ready: demo copy, migration, daily backup, reference data.

The full integrity check reads the whole file (about 2 s per GB on an old PC), so it runs only when
the last session did not end cleanly: a ``clean_exit`` row in ``app_setting`` is written when the
app quits normally and removed as soon as it opens the database again. A crash or a power cut
leaves it missing, and the next start checks every page. ``clinic-tui db check`` always does.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.db import DatabaseError, unit_of_work
from clinic_tui.data.maintenance import daily_backup
from clinic_tui.data.migrate import OpenedDatabase, open_database


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


def _set_clean_exit(engine: Engine, clean: bool) -> None:
    from sqlalchemy import text

    with engine.begin() as connection:
        if clean:
            connection.execute(text("INSERT OR REPLACE INTO app_setting (key, value) VALUES (:key, '1')"),
                               {"key": CLEAN_EXIT_KEY})
        else:
            connection.execute(text("DELETE FROM app_setting WHERE key = :key"), {"key": CLEAN_EXIT_KEY})


def mark_clean_exit(engine: Engine) -> None:
    """Called when the app quits normally: the next start may skip the full integrity check."""
    _set_clean_exit(engine, True)


def prepare_database(settings: Settings, *, app_session: bool = False) -> OpenedDatabase:
    """Open the configured database (or the demo copy) at the current schema, backed up today.

    ``app_session``: the app is starting and will call ``mark_clean_exit`` when it quits normally.
    """
    path = settings.database_path()
    if settings.is_demo:
        ensure_demo_copy(path)
    opened = open_database(path, settings.backup_dir(), full_check=not last_session_ended_cleanly(path))
    if app_session:
        _set_clean_exit(opened.engine, False)  # until this session ends normally
    daily_backup(path, settings.backup_dir(), keep=settings.backup_keep_days)
    from clinic_tui.data.diagnoses import ensure_builtin_catalog

    with unit_of_work(opened.engine) as session:
        ensure_builtin_catalog(session)
    return opened
