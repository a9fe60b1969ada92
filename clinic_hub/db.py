"""Engines for SQLite (development, small hubs) and PostgreSQL, with the settings each needs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import overload

from pydantic_core import from_json, to_json
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _json_text(value) -> str:
    """JSON columns (stored answers, audit ids) through pydantic-core's encoder: a few times as fast
    as the json module on a push's hundreds of answers."""
    return to_json(value).decode()


log = logging.getLogger("clinic_hub.db")
_MAX_INT_DIGITS = 4000  # Python refuses to read integers of more than 4300 digits
# Nesting every reader and writer of the hub takes: pydantic-core reads 201 levels and writes 256
# (a response model), Python's json module about 990. The second reader below reads deeper: what
# lies deeper than this is cut off into its JSON text, so that whatever is read can be answered.
READ_DEPTH = 200


def _big_int(text: str) -> int | str:
    return int(text) if len(text.lstrip("-")) <= _MAX_INT_DIGITS else text


def read_json(text: str | bytes):
    """JSON columns read back, whatever they hold: whatever the hub stored (rows from before
    ``limits`` too: a 5000-digit integer, nesting a parser gives up on) reads back as something a
    reader can compute on and a response can carry, never an exception. An integer too long for
    Python comes back as its digits (a string); an object or a list nested deeper than
    ``READ_DEPTH`` as its JSON text (a string); a value no reader can read as an empty object, and
    a warning."""
    try:
        return from_json(text)  # never deeper than READ_DEPTH + 1
    except ValueError:
        pass
    try:
        return _cut_deep(json.loads(text, parse_int=_big_int))
    except (ValueError, RecursionError):
        log.warning("unreadable JSON column read as {}")
        return {}


def _cut_deep(value):
    """``value`` with each object or list deeper than READ_DEPTH replaced by its JSON text (the
    value itself is depth 1). No recursion: the depth is what is being cut."""
    stack = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, item in list(items):
            if isinstance(item, dict | list):
                if depth + 1 > READ_DEPTH:
                    container[key] = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                else:
                    stack.append((item, depth + 1))
    return value


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection that only reads: the token check, /health, reconcile, a pull's page.

    On SQLite its transaction begins deferred: in WAL mode it reads its snapshot beside a writer
    instead of queueing behind the write lock (which every other transaction takes up front, see
    ``_on_begin``), so a long push does not hold up the county's token checks and health checks.
    A write inside it would have to take the lock late and may fail: keep writes out.

    On PostgreSQL it runs without a transaction (autocommit): at the READ COMMITTED level the hub
    runs at, each statement reads its own snapshot inside a transaction too, so a BEGIN and a
    ROLLBACK would only cost two round trips, on each of the three or four reads of every sync.
    """
    with engine.connect() as conn:
        if is_sqlite(engine):
            conn.execution_options(hub_read=True)
        else:
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # pool_pre_ping: a hub behind a load balancer outlives database restarts and failovers.
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, json_serializer=_json_text, json_deserializer=read_json
    )


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"timeout": 30, "check_same_thread": False},
        json_serializer=_json_text,
        json_deserializer=read_json,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # The hub's "accepted" lets a clinic drop the row from its outbox: it must survive a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
        # can fail with "database is locked" instead of waiting when two requests overlap. A
        # transaction that only reads (``reading``) needs no lock and must not wait for one.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("hub_read") else "BEGIN IMMEDIATE")

    return engine
