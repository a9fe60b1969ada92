"""The push's reads and bulk writes of ``sync_record``, through the driver.

A push of 500 records spent more time in SQLAlchemy's per-row parameter processing (the JSON
column's encoder, the datetime binders, a 500-id IN list) than in the database. Here each row is
put in the driver's form once (the ``data`` column as the JSON text it arrived as, see
``incoming``), and the statements go to the driver as they are. The rows read back exactly as SQLAlchemy's own
writes do: a test compares the two on SQLite and PostgreSQL.

On PostgreSQL each statement takes its rows as arrays, one per column (``unnest``), and the ids
as one array (``= ANY``): one statement per batch instead of one per row. psycopg's pipelined
``executemany`` sent, and the server parsed, bound and executed, one INSERT per record; that and an
IN list of a different length every batch (a new query text to parse on both sides, never
prepared) cost 15-17 ms of CPU (hub and database together) per 216-record push, against 7-10 ms
this way (issue 19, bench/county_load.py). SQLite has no arrays, and its ``executemany`` runs
in-process anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection, Row

_COLUMNS = ("id", "kind", "revision", "origin", "clinic_id", "seq", "updated_at", "deleted", "data", "received_at")
# How SQLAlchemy's DateTime stores a UTC datetime on SQLite, which has no datetime type.
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


_IN_CHUNK = 500


class StoredVersion(NamedTuple):
    """What the hub holds of a record id: enough to decide an incoming revision."""

    id: str
    kind: str
    revision: int
    origin: str
    clinic_id: str | None


@dataclass(frozen=True)
class _Dialect:
    insert: str
    update: str
    mark: str
    sqlite: bool


def _dialect(conn: Connection) -> _Dialect:
    return _statements(conn.dialect.name)


@cache
def _statements(dialect_name: str) -> _Dialect:
    if dialect_name != "sqlite":
        return _Dialect(_PG_INSERT, _PG_UPDATE, "%s", sqlite=False)
    values = ", ".join("?" for _ in _COLUMNS)
    insert = f"INSERT INTO sync_record ({', '.join(_COLUMNS)}) VALUES ({values})"
    # Only a newer revision replaces the stored one (a stale resend changes nothing).
    update = (
        "UPDATE sync_record SET revision = ?, updated_at = ?, deleted = ?, data = ?, "
        "received_at = ? WHERE id = ? AND revision < ?"
    )
    return _Dialect(insert, update, "?", sqlite=True)


# PostgreSQL: one row per array position. The arrays go in binary (%b): psycopg's text form of an
# array escapes every element through a regular expression, dearer than the rows' own JSON.
# The rows go in in the order given (ORDINALITY): two
# batches inserting the same ids take their locks in the same order and cannot deadlock.
_PG_INSERT = (
    f"INSERT INTO sync_record ({', '.join(_COLUMNS)}) "
    "SELECT r.id, r.kind, r.revision, 'clinic', %s, NULL, r.updated_at, r.deleted, CAST(r.data AS JSONB), %s "
    "FROM unnest(%b::text[], %b::text[], %b::integer[], %b::timestamptz[], %b::boolean[], %b::text[]) "
    "WITH ORDINALITY AS r(id, kind, revision, updated_at, deleted, data, n) ORDER BY r.n"
)
# Only a newer revision replaces the stored one (a stale resend changes nothing).
_PG_UPDATE = (
    "UPDATE sync_record AS s SET revision = r.revision, updated_at = r.updated_at, deleted = r.deleted, "
    "data = CAST(r.data AS JSONB), received_at = %s "
    "FROM unnest(%b::text[], %b::integer[], %b::timestamptz[], %b::boolean[], %b::text[]) "
    "AS r(id, revision, updated_at, deleted, data) WHERE s.id = r.id AND s.revision < r.revision"
)
_PG_VERSIONS = "SELECT id, kind, revision, origin, clinic_id FROM sync_record WHERE id = ANY(%b::text[])"


def stored_versions(conn: Connection, ids: list[str], *, lock: bool = False) -> dict[str, StoredVersion]:
    """The stored version of each of ``ids`` the hub holds; ``lock`` takes their row locks
    (PostgreSQL; a SQLite write transaction already excludes other writers)."""
    dialect = _dialect(conn)
    found: dict[str, StoredVersion] = {}
    if not dialect.sqlite:
        if ids:
            select = _PG_VERSIONS + (" FOR UPDATE" if lock else "")
            found.update((row[0], StoredVersion(*row)) for row in conn.exec_driver_sql(select, (list(ids),)))
        return found
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        select = (
            f"SELECT id, kind, revision, origin, clinic_id FROM sync_record "
            f"WHERE id IN ({', '.join([dialect.mark] * len(chunk))})"
        )
        if lock and not dialect.sqlite:
            select += " FOR UPDATE"
        found.update((row[0], StoredVersion(*row)) for row in conn.exec_driver_sql(select, tuple(chunk)))
    return found


def clinic_versions(conn: Connection, clinic_id: str) -> Sequence[Row[str, str, int]]:
    """(kind, id, revision) of every record the clinic pushed that the hub holds: what reconcile
    hashes (10,000 rows for a clinic after a year)."""
    mark = _dialect(conn).mark
    return conn.exec_driver_sql(
        f"SELECT kind, id, revision FROM sync_record WHERE origin = 'clinic' AND clinic_id = {mark}", (clinic_id,)
    ).fetchall()


class RecordWriter:
    """Rows of one clinic's records for one connection, written in bulk."""

    def __init__(self, conn: Connection, clinic_id: str, now: datetime):
        self._conn = conn
        self._dialect = _dialect(conn)
        self._clinic_id = clinic_id
        self._now = self._stored(now)

    def _stored(self, value: datetime) -> Any:
        """A UTC-aware datetime as the driver takes it."""
        if self._dialect.sqlite:
            # As strftime(_SQLITE_DATETIME) writes it (years have four digits within limits'
            # bounds), at a fifth of its cost: it ran for every record of every push.
            text = str(value if value.tzinfo is UTC else value.astimezone(UTC))[:-6]  # less "+00:00"
            return text if value.microsecond else f"{text}.000000"
        return value

    def _values(self, rec: Any) -> tuple[Any, ...]:
        return (self._stored(rec.updated_at), rec.deleted, rec.stored_data(), self._now)

    def insert(self, records: list[Any]) -> None:
        """Insert new records (``incoming.Incoming``)."""
        if not records:
            return
        if not self._dialect.sqlite:
            columns = (
                [rec.id_text for rec in records],
                [rec.kind for rec in records],
                [rec.revision for rec in records],
                *self._columns(records),
            )
            self._conn.exec_driver_sql(self._dialect.insert, (self._clinic_id, self._now, *columns))
            return
        rows = [
            (rec.id_text, rec.kind, rec.revision, "clinic", self._clinic_id, None, *self._values(rec))
            for rec in records
        ]
        self._conn.exec_driver_sql(self._dialect.insert, rows)

    def update(self, records: list[Any]) -> None:
        """Replace stored records by these newer revisions."""
        if not records:
            return
        if not self._dialect.sqlite:
            ids, revisions = [rec.id_text for rec in records], [rec.revision for rec in records]
            self._conn.exec_driver_sql(self._dialect.update, (self._now, ids, revisions, *self._columns(records)))
            return
        rows = [(rec.revision, *self._values(rec), rec.id_text, rec.revision) for rec in records]
        self._conn.exec_driver_sql(self._dialect.update, rows)

    @staticmethod
    def _columns(records: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
        """PostgreSQL: the updated_at, deleted and data columns, as arrays."""
        return (
            [rec.updated_at for rec in records],
            [rec.deleted for rec in records],
            [rec.stored_data() for rec in records],
        )
