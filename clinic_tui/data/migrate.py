"""Open a database for the app: create it, or upgrade it to the current schema after a backup.

The schema is migrated, never recreated (DESIGN data 4). Before an upgrade the file is copied next
to the daily backups, so a failed upgrade can always be undone by hand.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from clinic_tui.data.db import DatabaseError, open_engine
from clinic_tui.data.maintenance import backup_to

_MIGRATIONS = Path(__file__).with_name("migrations")
_SQLITE_HEADER = b"SQLite format 3\x00"
# The newest migration. Read with plain SQL at every start, so Alembic (about 10 MiB and 200 ms of
# imports) loads only when there is something to upgrade; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0006"


@dataclass(frozen=True)
class OpenedDatabase:
    engine: Engine
    path: Path
    created: bool
    upgraded_from: str | None  # the revision before an upgrade, if there was one
    backup: Path | None  # the copy made before upgrading


def _alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
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


def _check_header(path: Path) -> None:
    """The cheap sanity check of every start: an SQLite file whose page geometry makes sense."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header:
        return  # an empty file becomes a new database
    if not header.startswith(_SQLITE_HEADER) or len(header) < 100:
        raise DatabaseError("not_a_database", path)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1) or path.stat().st_size % page_size:
        raise DatabaseError("corrupt", path, "damaged file header or truncated file")


def _check_usable(path: Path, *, full_check: bool) -> None:
    """Turn the ways a file can be unusable into a DatabaseError the app can explain.

    ``full_check`` reads every page (PRAGMA quick_check): about 2 s per GB, so the app asks for it
    only after a session that did not end cleanly (see data/startup.py).
    """
    _check_header(path)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseError("read_only", path)
    connection = sqlite3.connect(path, timeout=1.0)
    try:
        if full_check and connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise DatabaseError("corrupt", path)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # parses the schema
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        kind = "locked" if "locked" in str(exc) else "corrupt"
        raise DatabaseError(kind, path, str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise DatabaseError("corrupt", path, str(exc)) from exc
    finally:
        connection.close()


def _stored_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the file, read without Alembic."""
    from sqlalchemy import text

    with engine.connect() as connection:
        has_table = connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")).first()
        if not has_table:
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_database(path: Path, backup_dir: Path | None = None, *, full_check: bool = True) -> OpenedDatabase:
    """Open ``path`` at the current schema, creating or upgrading it; raise DatabaseError if unusable.

    ``full_check=False`` skips reading every page (the header and schema are still checked).
    """
    path = Path(path)
    created = not path.exists() or path.stat().st_size == 0
    if created:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        _check_usable(path, full_check=full_check)
    engine = open_engine(path)
    current = None if created else _stored_revision(engine)
    if current == HEAD_REVISION:
        return OpenedDatabase(engine, path, created, None, None)
    head = head_revision()
    if current is not None and current not in known_revisions():
        engine.dispose()
        raise DatabaseError("too_new", path, f"schema revision {current}")
    backup = None
    if current != head:
        if not created:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            backup_dir = backup_dir or path.parent / "backups"
            backup = backup_to(path, backup_dir / f"{path.stem}-before-{current or 'unversioned'}-{stamp}.db")
        upgrade_to(engine)
    return OpenedDatabase(engine, path, created, None if created else current if current != head else None, backup)
