"""The clinic's database as a sync sees it: plain ``sqlite3`` transactions, the ORM only when asked.

A sync is given either the app's SQLAlchemy ``Engine`` (the app's background worker, the tests) or a
``ClinicFile`` (``clinic-tui sync``: a process that never needs SQLAlchemy for an ordinary sync;
docs/sync.md, "Cost of a sync"). Its bookkeeping (outbox walk, answers, cursor, receipts, reconcile
numbers) runs through ``reading`` and ``writing`` on either: for an engine, on one of its pooled
driver connections (its pragmas set by ``data/db.py``); for a file, on one plain connection with the
same pragmas. What needs the ORM (applying pulled records, taking records back after a restore,
the sync screen's lists) asks for ``orm_engine``, which a ``ClinicFile`` makes on first use.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Union, cast

from clinic_tui.data.sqlite_file import connect

if TYPE_CHECKING:
    from sqlalchemy import Engine


class ClinicFile:
    """The clinic's SQLite file, for a process that has checked it (``data.startup``) and runs one
    sync: a plain connection kept for the sync, and an ORM engine made only if something needs it."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._in_use = threading.Lock()
        self._owner = threading.get_ident()  # the thread the kept connection belongs to
        self._engine: Engine | None = None

    def _connect(self) -> sqlite3.Connection:
        connection = connect(self.path)  # synchronous=FULL, foreign keys, busy timeout
        connection.row_factory = None  # tuples, as the engine's driver connections give
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The kept connection; a fresh one if it is busy (nested use) or asked for on another
        thread than the one that opened it (sqlite3 refuses a connection another thread made)."""
        if threading.get_ident() != self._owner or not self._in_use.acquire(blocking=False):
            extra = self._connect()
            try:
                yield extra
            finally:
                extra.close()
            return
        try:
            if self._connection is None:
                self._connection = self._connect()
            yield self._connection
        finally:
            self._in_use.release()

    @property
    def engine(self) -> Engine:
        """The ORM engine on the same file (loads SQLAlchemy and the models the first time)."""
        if self._engine is None:
            from clinic_tui.data.db import open_engine

            self._engine = open_engine(self.path)
        return self._engine

    def dispose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


# What the sync functions take: the app's engine or a checked file.
Database = Union["Engine", ClinicFile]


def orm_engine(db: Database) -> Engine:
    """An engine for ORM sessions on ``db``."""
    return db.engine if isinstance(db, ClinicFile) else db


def database_path(db: Database) -> str:
    if isinstance(db, ClinicFile):
        return str(db.path)
    return db.url.database or ":memory:"


@contextmanager
def _driver_connection(db: Database) -> Iterator[sqlite3.Connection]:
    if isinstance(db, ClinicFile):
        with db.connection() as connection:
            yield connection
        return
    pooled = db.raw_connection()  # the engine's connect event set the pragmas and isolation_level=None
    try:
        yield cast(sqlite3.Connection, pooled.driver_connection)
    finally:
        pooled.close()


@contextmanager
def reading(db: Database) -> Iterator[sqlite3.Cursor]:
    """One read transaction (a consistent snapshot); nothing is committed."""
    with _driver_connection(db) as connection:
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        try:
            yield cursor
        finally:
            cursor.close()
            if connection.in_transaction:
                connection.execute("ROLLBACK")


@contextmanager
def writing(db: Database) -> Iterator[sqlite3.Cursor]:
    """One write transaction, the write lock taken at once (``BEGIN IMMEDIATE``, as the app's
    unit of work); committed only if the block ends without an error."""
    with _driver_connection(db) as connection:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
        except BaseException:
            cursor.close()
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        cursor.close()
        connection.execute("COMMIT")
