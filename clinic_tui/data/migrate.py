"""Open a database for the app: create it, or upgrade it to the current schema after a backup.

The schema is migrated, never recreated (data invariant 4, docs/architecture.md). Before an
upgrade the file is copied next to the daily backups, so a failed upgrade can always be undone by hand.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Engine

from clinic_tui.data.db import open_engine
from clinic_tui.data.maintenance import BackupRejected, backup_to
from clinic_tui.data.private_files import create_private
from clinic_tui.data.sqlite_file import HEAD_REVISION, DatabaseError, check_usable, stored_revision

_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class OpenedDatabase:
    engine: Engine
    path: Path
    created: bool
    upgraded_from: str | None  # the revision before an upgrade, if there was one
    backup: Path | None  # the copy made before upgrading
    rejected_backup: Path | None = None  # today's copy failed its check and was put here (startup.py)


def _alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def _stored_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the file, read without Alembic."""
    connection = engine.raw_connection()
    try:
        return stored_revision(cast(sqlite3.Connection, connection.driver_connection))
    finally:
        connection.close()


def _create(path: Path) -> None:
    """A new database at head, made as ``NAME.new`` and renamed: a power cut never leaves a
    half-made file at ``path`` (which the next start would refuse as empty or foreign)."""
    partial = path.with_name(path.name + ".new")
    for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
        if leftover.exists():
            leftover.unlink()  # an earlier creation cut short: never held anyone's records
    create_private(partial)
    engine = open_engine(partial)
    try:
        upgrade_to(engine)
    finally:
        engine.dispose()
    if path.exists():  # made by someone else meanwhile: leave theirs alone
        partial.unlink()
        raise DatabaseError("exists", path)
    partial.replace(path)


def open_database(path: Path, backup_dir: Path | None = None, *, full_check: bool = True) -> OpenedDatabase:
    """Open ``path`` at the current schema, creating or upgrading it; raise DatabaseError if unusable.

    A database is created only where no file exists: an empty, truncated or foreign file is refused
    and left as it is. ``full_check=False`` skips reading every page (the header and schema are
    still checked).
    """
    path = Path(path)
    created = not path.exists()
    if created:
        _create(path)
    else:
        check_usable(path, full_check=full_check)
    engine = open_engine(path)
    current = _stored_revision(engine)
    if created or current == HEAD_REVISION:
        return OpenedDatabase(engine, path, created, None, None)
    head = head_revision()
    if current is not None and current not in known_revisions():
        engine.dispose()
        raise DatabaseError("too_new", path, f"schema revision {current}")
    backup = None
    if current != head:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup_dir = backup_dir or path.parent / "backups"
        try:
            backup = backup_to(path, backup_dir / f"{path.stem}-before-{current or 'unversioned'}-{stamp}.db")
        except BackupRejected as exc:
            engine.dispose()
            raise DatabaseError("corrupt", path, f"the copy before the upgrade failed its check: {exc.path}") from exc
        upgrade_to(engine)
    return OpenedDatabase(engine, path, False, current if current != head else None, backup)
