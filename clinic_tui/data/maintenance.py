"""Backups and integrity checks of the local database.

Backups use SQLite's online backup API, which copies a consistent snapshot even while the app is
writing; one file a day is kept, the oldest beyond ``keep`` are removed.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timezone
from pathlib import Path

DAILY_PATTERN = re.compile(r"^(?P<stem>.+)-(?P<day>\d{8})\.db$")


def backup_to(source: Path | str, target: Path | str) -> Path:
    """Copy the database at ``source`` to ``target`` with the online backup API."""
    source, target = Path(source), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    # Only a finished copy takes the real name, so a power cut never leaves a half backup looking whole.
    partial.replace(target)
    return target


def daily_backup_path(source: Path | str, backup_dir: Path | str, today: date | None = None) -> Path:
    """Where the day's backup of ``source`` is (or will be) kept."""
    today = today or datetime.now(timezone.utc).astimezone().date()
    return Path(backup_dir) / f"{Path(source).stem}-{today:%Y%m%d}.db"


def daily_backup(source: Path | str, backup_dir: Path | str, *, today: date | None = None, keep: int = 7) -> Path | None:
    """Make today's backup if it does not exist yet; rotate old ones. Returns the new file or None."""
    source = Path(source)
    target = daily_backup_path(source, backup_dir, today)
    made = None
    if not target.exists():
        made = backup_to(source, target)
    rotate(Path(backup_dir), source.stem, keep)
    return made


def rotate(backup_dir: Path, stem: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` daily backups of ``stem``; return what was deleted."""
    dailies = sorted(
        (p for p in backup_dir.glob(f"{stem}-*.db") if (m := DAILY_PATTERN.match(p.name)) and m["stem"] == stem),
        key=lambda p: p.name,
    )
    removed = dailies[:-keep] if keep > 0 else dailies
    for path in removed:
        path.unlink()
    return removed


def integrity_problems(path: Path | str) -> list[str]:
    """Everything ``integrity_check`` and ``foreign_key_check`` report; empty when the file is sound."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in connection.execute("PRAGMA integrity_check")]
        problems = [] if rows == ["ok"] else rows
        for table, rowid, parent, _fk in connection.execute("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid}: missing {parent} it refers to")
        return problems
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()


def checkpoint(path: Path | str) -> None:
    """Fold the WAL into the main file, so the file alone is the whole database (to copy or ship)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA optimize")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
