"""The push's reads and bulk writes of ``sync_record``, through the driver.

A push of 500 records spent more time in SQLAlchemy's per-row parameter processing (the JSON
column's encoder, the datetime binders, a 500-id IN list) than in the database. Here each row is
put in the driver's form once (the ``data`` column as the JSON text it arrived as, see
``incoming``), and the statements go to the driver as they are. The rows read back exactly as SQLAlchemy's own
writes do: a test compares the two on SQLite and PostgreSQL.
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
    sqlite = dialect_name == "sqlite"
    mark = "?" if sqlite else "%s"
    data = mark if sqlite else f"CAST({mark} AS JSONB)"
    values = [data if name == "data" else mark for name in _COLUMNS]
    insert = f"INSERT INTO sync_record ({', '.join(_COLUMNS)}) VALUES ({', '.join(values)})"
    # Only a newer revision replaces the stored one (a stale resend changes nothing).
    update = (
        f"UPDATE sync_record SET revision = {mark}, updated_at = {mark}, deleted = {mark}, data = {data}, "
        f"received_at = {mark} WHERE id = {mark} AND revision < {mark}"
    )
    return _Dialect(insert, update, mark, sqlite)


def stored_versions(conn: Connection, ids: list[str], *, lock: bool = False) -> dict[str, StoredVersion]:
    """The stored version of each of ``ids`` the hub holds; ``lock`` takes their row locks
    (PostgreSQL; a SQLite write transaction already excludes other writers)."""
    dialect = _dialect(conn)
    found: dict[str, StoredVersion] = {}
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
            return value.astimezone(UTC).strftime(_SQLITE_DATETIME)
        return value

    def _values(self, rec: Any) -> tuple[Any, ...]:
        return (self._stored(rec.updated_at), rec.deleted, rec.stored_data(), self._now)

    def insert(self, records: list[Any]) -> None:
        """Insert new records (``incoming.Incoming``)."""
        if records:
            rows = [
                (rec.id_text, rec.kind, rec.revision, "clinic", self._clinic_id, None, *self._values(rec))
                for rec in records
            ]
            self._conn.exec_driver_sql(self._dialect.insert, rows)

    def update(self, records: list[Any]) -> None:
        """Replace stored records by these newer revisions."""
        if records:
            rows = [(rec.revision, *self._values(rec), rec.id_text, rec.revision) for rec in records]
            self._conn.exec_driver_sql(self._dialect.update, rows)
