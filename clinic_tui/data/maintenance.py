"""Backups, their check and rotation, restoring one, and integrity checks of the local database.

Backups use SQLite's online backup API, which copies a consistent snapshot even while the app is
writing. A copy counts as a backup only once ``PRAGMA integrity_check`` of the copy says "ok": it is
written as ``NAME.db.part`` and takes its real name (``<stem>-YYYYMMDD.db`` in the backups folder)
after the check. A copy that fails is moved to ``backups/rejected/`` and never rotated in, so a
damaged database cannot push the good backups out.

A backup carries the attachment files its database names (data/backup_files.py): they go into the
store shared by the backups of the folder, verified by hash, before the copy takes its name; a
backup whose files could not all be carried (a file gone or damaged beside the database, and not
in the store from an earlier day either) is still kept, the database being worth more than the
file, and ``db check`` / ``db restore`` name what it lacks.

Rotation keeps verified backups only: the newest of each of the last 7 days that have one, then
the newest of each of 4 more weeks and of 3 more months (a longer tail, so a slow corruption that
went unnoticed for days still leaves a good backup from before it).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from clinic_tui.data import backup_files
from clinic_tui.data.private_files import create_private, private_folder, restrict

DAILY_PATTERN = re.compile(r"^(?P<stem>.+)-(?P<day>\d{8})\.db$")
REJECTED_FOLDER = "rejected"
REPLACED_FOLDER = "replaced"
KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY = 7, 4, 3
KEEP_REJECTED = 7  # damaged copies kept for whoever investigates; one per day at most
# What ``db restore`` shows of a backup: rows per kind of record (table names).
COUNTED_KINDS = ("resident", "visit", "followup", "referral", "contract", "service_record", "staff")


class BackupRejected(Exception):
    """The copy failed its integrity check: it is kept at ``path`` (in rejected/), not as a backup."""

    def __init__(self, path: Path, problems: list[str]):
        super().__init__(f"backup failed its check, kept at {path}: {'; '.join(problems[:3])}")
        self.path = path
        self.problems = problems


def _copy(source: Path, partial: Path) -> None:
    if partial.exists():
        partial.unlink()  # left by a power cut during an earlier copy
    create_private(partial)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            # One self-contained file: no -wal or -shm is made beside it when it is read or copied.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def copy_problems(path: Path | str) -> list[str]:
    """What ``PRAGMA integrity_check`` reports of a backup file; empty when it is sound."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [r[0] for r in connection.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()


def backup_to(source: Path | str, target: Path | str, *, verify: bool = True) -> Path:
    """Copy the database at ``source`` to ``target`` with the online backup API, owner-only.

    ``verify``: the copy takes its name only if its integrity check passes; otherwise it goes to a
    ``rejected`` folder beside ``target`` and BackupRejected is raised (``target`` is untouched).
    """
    source, target = Path(source), Path(target)
    private_folder(target.parent)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        _copy(source, partial)
    except sqlite3.DatabaseError as exc:  # the source is too damaged to be read through
        if partial.exists():
            raise BackupRejected(_reject(partial, target), [str(exc)]) from exc
        raise
    if verify and (problems := copy_problems(partial)):
        raise BackupRejected(_reject(partial, target), problems)
    # The files first: a backup under its real name always has in its store what could be carried.
    backup_files.carry(partial, backup_files.live_folder(source), backup_files.store_of(target))
    # Only a finished, checked copy takes the real name, so a power cut never leaves a half backup looking whole.
    partial.replace(target)
    return target


def _reject(partial: Path, target: Path) -> Path:
    folder = private_folder(target.parent / REJECTED_FOLDER)
    kept = folder / target.name
    partial.replace(kept)
    stem = DAILY_PATTERN.match(target.name)
    if stem:
        rotate(folder, stem["stem"], daily=KEEP_REJECTED, weekly=0, monthly=0)
    return kept


def daily_backup_path(source: Path | str, backup_dir: Path | str, today: date | None = None) -> Path:
    """Where the day's backup of ``source`` is (or will be) kept."""
    today = today or datetime.now(UTC).astimezone().date()
    return Path(backup_dir) / f"{Path(source).stem}-{today:%Y%m%d}.db"


def daily_backup(
    source: Path | str, backup_dir: Path | str, *, today: date | None = None, keep: int = KEEP_DAILY
) -> Path | None:
    """Make today's verified backup if there is none yet; rotate. Returns the new file or None.

    Raises BackupRejected when the copy fails its check; the verified backups are then left as they
    are (nothing is rotated out on a day without a good backup)."""
    source = Path(source)
    target = daily_backup_path(source, backup_dir, today)
    made = None
    if not target.exists():
        made = backup_to(source, target)
    rotate(Path(backup_dir), source.stem, daily=keep)
    backup_files.clean_store(backup_dir)  # only files no backup left in the folder names
    if os.name == "posix":  # backups made before files were created owner-only
        os.chmod(backup_dir, 0o700)
        for _day, path in _dailies(Path(backup_dir), source.stem):
            restrict(path)
    return made


def _dailies(backup_dir: Path, stem: str) -> list[tuple[date, Path]]:
    found = []
    for path in backup_dir.glob(f"{stem}-*.db"):
        match = DAILY_PATTERN.match(path.name)
        if not match or match["stem"] != stem:
            continue
        try:
            found.append((datetime.strptime(match["day"], "%Y%m%d").date(), path))
        except ValueError:
            continue
    return sorted(found, reverse=True)  # newest first


def keep_set(
    days: Iterable[date], *, daily: int = KEEP_DAILY, weekly: int = KEEP_WEEKLY, monthly: int = KEEP_MONTHLY
) -> set[date]:
    """Which of ``days`` rotation keeps: the newest ``daily`` days, then the newest day of each of
    ``weekly`` more ISO weeks and of ``monthly`` more months. A day kept by an earlier rule does not
    count for a later one, so the tail reaches back about 7 days + 4 weeks + 3 months."""
    ordered = sorted(set(days), reverse=True)
    kept: set[date] = set(ordered[: max(daily, 0)])
    for count, period in ((weekly, lambda d: d.isocalendar()[:2]), (monthly, lambda d: (d.year, d.month))):
        seen, taken = set(), 0
        for day in ordered:
            if taken >= count:
                break
            key = period(day)
            if key in seen:
                continue
            seen.add(key)
            if day not in kept:
                kept.add(day)
                taken += 1
    return kept


def rotate(
    backup_dir: Path, stem: str, *, daily: int = KEEP_DAILY, weekly: int = KEEP_WEEKLY, monthly: int = KEEP_MONTHLY
) -> list[Path]:
    """Delete the backups of ``stem`` in ``backup_dir`` that ``keep_set`` does not keep; return them.

    Only ``<stem>-YYYYMMDD.db`` files are considered: the rejected, the replaced and the copies made
    before a schema upgrade live under other names or folders and are never rotated here."""
    dailies = _dailies(backup_dir, stem)
    kept = keep_set((day for day, _ in dailies), daily=daily, weekly=weekly, monthly=monthly)
    removed = [path for day, path in dailies if day not in kept]
    for path in removed:
        path.unlink()
    return removed


@dataclass
class BackupInfo:
    path: Path
    day: date
    size: int
    counts: dict[str, int] = field(default_factory=dict)
    problem: str | None = None  # why it cannot be used; None for a sound backup
    # Attachment files it names that its store lacks (or, checked, that no longer hash right):
    # it can still be restored, without them.
    file_problems: list[backup_files.FileProblem] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return self.problem is None


def backup_contents(path: Path) -> dict[str, int]:
    """Rows per kind of record in a backup (read-only)."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {
            kind: connection.execute(f'SELECT count(*) FROM "{kind}"').fetchone()[0]
            for kind in COUNTED_KINDS
            if kind in tables
        }
    finally:
        connection.close()


def list_backups(database: Path, backup_dir: Path, *, check: bool = False) -> list[BackupInfo]:
    """The backups of ``database``, newest first, with what each holds.

    ``check`` runs the full integrity check of each (slow on a big database); without it a backup
    that cannot be read at all is still marked unusable."""
    from clinic_tui.data.sqlite_file import DatabaseError, check_header, is_ours

    found = []
    for day, path in _dailies(Path(backup_dir), Path(database).stem):
        info = BackupInfo(path, day, path.stat().st_size)
        try:
            check_header(path)
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                if not is_ours(connection):
                    raise DatabaseError("foreign", path)
            finally:
                connection.close()
            info.counts = backup_contents(path)
            if check and (problems := copy_problems(path)):
                info.problem = problems[0]
            info.file_problems = backup_files.backup_problems(path, full=check)
        except (DatabaseError, sqlite3.Error) as exc:
            info.problem = getattr(exc, "kind", None) or str(exc)
        found.append(info)
    return found


def set_aside(path: Path, folder: Path, stamp: str) -> Path:
    """Move ``path`` with its ``-wal`` and ``-shm`` into ``folder`` as ``<stem>-replaced-STAMP.db``;
    the three files move together, so what was set aside opens exactly as it was. Never deletes."""
    private_folder(folder)
    kept = folder / f"{path.stem}-replaced-{stamp}{path.suffix}"
    n = 1
    while kept.exists():
        n += 1
        kept = folder / f"{path.stem}-replaced-{stamp}-{n}{path.suffix}"
    for suffix in ("-wal", "-shm"):  # the log first: a main file without its log would look older
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(kept.with_name(kept.name + suffix))
    if path.exists():
        path.replace(kept)
    return kept


def copy_into_place(backup: Path, target: Path) -> None:
    """Copy a backup to ``target`` (which must not exist), owner-only, via a ``.part`` file."""
    partial = target.with_name(target.name + ".part")
    if partial.exists():
        partial.unlink()
    create_private(partial)
    with backup.open("rb") as src, partial.open("r+b") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())
    restrict(partial)
    partial.replace(target)


RESTORED_KEY = "restored_from"  # app_setting: the backup the database was restored from, and when (JSON)


def restore_backup(database: Path, backup: Path, backup_dir: Path) -> Path | None:
    """Put ``backup`` in place of ``database``; the file it replaces (with its log) is moved to
    ``backup_dir/replaced/`` and returned (None when there was none). Never deletes anything.
    The attachment files the backup names go back beside it from the backups' store.

    The backup is checked in full first (it may have been damaged on disk since it was made). The
    restored database records ``restored_from``, so the next sync knows its revision counters are
    older than what the hub holds of this clinic (docs/sync.md)."""
    import json

    from clinic_tui.data.sqlite_file import DatabaseError, check_header, is_ours, writing

    check_header(backup)
    if problems := copy_problems(backup):
        raise DatabaseError("corrupt", backup, problems[0])
    connection = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        if not is_ours(connection):
            raise DatabaseError("foreign", backup)
    finally:
        connection.close()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    side_files = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
    kept = None
    if database.exists() or any(p.exists() for p in side_files):
        # A log left beside the restored file would be replayed into it: it goes aside with the file.
        kept = set_aside(database, Path(backup_dir) / REPLACED_FOLDER, stamp)
        kept = kept if kept.exists() else None
    private_folder(database.parent)
    # The files before the database that names them (nothing there is deleted: files are named by
    # their hash, an extra one harms nothing); what the store lacks is named by the caller
    # (backup_files.live_problems), and a sync fetches it again from the hub if the hub has it.
    backup_files.put_back(backup, database)
    copy_into_place(backup, database)
    mark = json.dumps({"backup": backup.name, "at": datetime.now(UTC).isoformat(timespec="seconds")})
    with writing(database) as connection:
        connection.execute("INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, ?)", (RESTORED_KEY, mark))
    return kept


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
