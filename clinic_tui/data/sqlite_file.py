"""The SQLite file itself, with the standard library only: whether it can be used, and plain connections.

Nothing here imports SQLAlchemy. An ordinary start reads what the login screen, the header and the
dashboard show through plain connections, and the ORM (about 0.7 s of imports and mapper set-up
on an old PC) loads in the background once the dashboard is up (see ``data/store.py``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import overload

BUSY_TIMEOUT_MS = 5000
# The newest migration. Read with plain SQL at every start, so Alembic (about 10 MiB and 200 ms of
# imports) loads only when there is something to upgrade; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0016"
_SQLITE_HEADER = b"SQLite format 3\x00"
# How SQLAlchemy's DateTime stores a (naive, UTC) datetime in SQLite: what plain queries compare with.
_STORED_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class DatabaseError(Exception):
    """A database that cannot be used as it is; ``kind`` says why, for a plain message."""

    def __init__(self, kind: str, path: Path, detail: str = ""):
        super().__init__(f"{kind}: {path}{': ' + detail if detail else ''}")
        # locked | read_only | corrupt | too_new | not_a_database | missing | empty | truncated | foreign
        self.kind = kind
        self.path = path
        self.detail = detail


def check_header(path: Path) -> None:
    """The cheap sanity check of every start: one read of 100 bytes and a ``stat``.

    Refused, and left exactly as it is: an empty file (a failed copy, a careless editor), a file
    that is not SQLite, a header whose page geometry makes no sense, and a file shorter than the
    page count its header records (truncated by a copy or a full disk). The page count is only
    trusted when no write-ahead log is beside the file (a log may hold a newer header).
    """
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header:
        raise DatabaseError("empty", path)
    if not header.startswith(_SQLITE_HEADER) or len(header) < 100:
        raise DatabaseError("not_a_database", path)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    size = path.stat().st_size
    if page_size < 512 or page_size & (page_size - 1) or size % page_size:
        raise DatabaseError("corrupt", path, "damaged file header or truncated file")
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when "version-valid-for" equals the change counter.
    counted = pages > 0 and header[92:96] == header[24:28]
    wal = path.with_name(path.name + "-wal")
    if counted and size < pages * page_size and not (wal.exists() and wal.stat().st_size > 0):
        raise DatabaseError("truncated", path, f"{size // page_size} of {pages} pages")


def is_ours(connection: sqlite3.Connection) -> bool:
    """Whether the schema is clinic-tui's: every database the app made records its schema revision."""
    return (
        connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
        is not None
    )


def check_usable(path: Path, *, full_check: bool) -> None:
    """Turn the ways a file can be unusable into a DatabaseError the app can explain.

    ``full_check`` reads every page (PRAGMA quick_check): about 2 s per GB, so the app asks for it
    only after a session that did not end cleanly or when the last one is old (data/startup.py).
    Nothing is written to a file that is refused.
    """
    check_header(path)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise DatabaseError("read_only", path)
    connection = sqlite3.connect(path, timeout=1.0)
    try:
        if full_check and connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise DatabaseError("corrupt", path)
        if not is_ours(connection):  # also parses the schema
            raise DatabaseError("foreign", path)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        kind = "locked" if "locked" in str(exc) else "corrupt"
        raise DatabaseError(kind, path, str(exc)) from exc
    except sqlite3.DatabaseError as exc:
        raise DatabaseError("corrupt", path, str(exc)) from exc
    finally:
        connection.close()


def connect(path: Path | str) -> sqlite3.Connection:
    """A plain connection with the app's durability settings; the caller says where transactions go."""
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


@contextmanager
def reading(path: Path | str) -> Iterator[sqlite3.Connection]:
    """One consistent snapshot for a few reads; nothing is written."""
    connection = connect(path)
    try:
        connection.execute("BEGIN")
        yield connection
    finally:
        connection.close()  # the read transaction ends with the connection


@contextmanager
def writing(path: Path | str) -> Iterator[sqlite3.Connection]:
    """One small write transaction (the write lock taken at once); committed only if no error."""
    connection = connect(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield connection
        connection.execute("COMMIT")
    finally:
        connection.close()  # an uncommitted transaction is rolled back with it


def stored_revision(connection: sqlite3.Connection) -> str | None:
    """The schema revision recorded in the file (Alembic's table), read without Alembic."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if not has_table:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def stored_datetime(value: datetime) -> str:
    """An aware datetime as the ORM stores it, for comparing with stored values in plain SQL."""
    return value.astimezone(UTC).strftime(_STORED_DATETIME)


@overload
def read_datetime(value: str) -> datetime: ...
@overload
def read_datetime(value: None) -> None: ...
def read_datetime(value: str | None) -> datetime | None:
    """A stored datetime read back aware, in UTC, as the ORM reads it."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)
