"""Getting the app's database ready: demo copy, migration, daily backup, reference data."""

from __future__ import annotations

import shutil
from pathlib import Path

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


def prepare_database(settings: Settings) -> OpenedDatabase:
    """Open the configured database (or the demo copy) at the current schema, backed up today."""
    path = settings.database_path()
    if settings.is_demo:
        ensure_demo_copy(path)
    opened = open_database(path, settings.backup_dir())
    daily_backup(path, settings.backup_dir(), keep=settings.backup_keep_days)
    from clinic_tui.data.diagnoses import ensure_builtin_catalog

    with unit_of_work(opened.engine) as session:
        ensure_builtin_catalog(session)
    return opened
