"""The one place that opens the clinic's SQLite file, and the unit of work every user action uses.

Power cuts are routine in a village: WAL with ``synchronous=FULL`` makes every committed action
durable, foreign keys keep references whole, and a busy timeout lets the sync worker and the UI
share the file. Write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on the busy
timeout instead of failing half-way when a read lock cannot be upgraded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from clinic_tui.data.sqlite_file import BUSY_TIMEOUT_MS, DatabaseError  # noqa: F401  (DatabaseError: re-exported)

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path)}"


def open_engine(path: Path | str, *, read_only: bool = False) -> Engine:
    """An engine for the SQLite file at ``path`` with the durability settings above."""
    url = sqlite_url(path)
    if read_only:
        url = f"sqlite:///file:{Path(path)}?mode=ro&uri=true"
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            if read_only and "journal_mode" in pragma:
                continue
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction for one user action: everything in it commits together or not at all."""
    with Session(engine.execution_options(immediate=True), expire_on_commit=False) as session:
        with session.begin():
            yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading: never committed, so anything written by mistake is discarded on close."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
