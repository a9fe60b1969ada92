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

import hashlib
import struct
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy.engine import Connection, Row

from clinic_tui.sync.wire_rules import record_set_hash, record_set_hash_of_sum

_TERMS = ("term_revision", "term_0", "term_1", "term_2", "term_3")
_COLUMNS = (
    "id",
    "kind",
    "revision",
    "origin",
    "clinic_id",
    "seq",
    "updated_at",
    "deleted",
    "data",
    "received_at",
    *_TERMS,
)
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
        "received_at = ?, term_revision = ?, term_0 = ?, term_1 = ?, term_2 = ?, term_3 = ? "
        "WHERE id = ? AND revision < ?"
    )
    return _Dialect(insert, update, "?", sqlite=True)


# PostgreSQL: one row per array position. The arrays go in binary (%b): psycopg's text form of an
# array escapes every element through a regular expression, dearer than the rows' own JSON.
# The rows go in in the order given (ORDINALITY): two
# batches inserting the same ids take their locks in the same order and cannot deadlock.
_PG_INSERT = (
    f"INSERT INTO sync_record ({', '.join(_COLUMNS)}) "
    "SELECT r.id, r.kind, r.revision, 'clinic', %s, NULL, r.updated_at, r.deleted, CAST(r.data AS JSONB), %s, "
    "r.revision, r.t0, r.t1, r.t2, r.t3 "
    "FROM unnest(%b::text[], %b::text[], %b::integer[], %b::timestamptz[], %b::boolean[], %b::text[], "
    "%b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[]) "
    "WITH ORDINALITY AS r(id, kind, revision, updated_at, deleted, data, t0, t1, t2, t3, n) ORDER BY r.n"
)
# Only a newer revision replaces the stored one (a stale resend changes nothing).
_PG_UPDATE = (
    "UPDATE sync_record AS s SET revision = r.revision, updated_at = r.updated_at, deleted = r.deleted, "
    "data = CAST(r.data AS JSONB), received_at = %s, "
    "term_revision = r.revision, term_0 = r.t0, term_1 = r.t1, term_2 = r.t2, term_3 = r.t3 "
    "FROM unnest(%b::text[], %b::integer[], %b::timestamptz[], %b::boolean[], %b::text[], "
    "%b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[]) "
    "AS r(id, revision, updated_at, deleted, data, t0, t1, t2, t3) WHERE s.id = r.id AND s.revision < r.revision"
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


def clinic_versions(
    conn: Connection, clinic_id: str, kinds: Sequence[str] | None = None
) -> Sequence[Row[str, str, int]]:
    """(kind, id, revision) of every record the clinic pushed that the hub holds (10,000 rows for a
    clinic after a year), or of those of ``kinds`` only."""
    mark = _dialect(conn).mark
    select = f"SELECT kind, id, revision FROM sync_record WHERE origin = 'clinic' AND clinic_id = {mark}"
    if kinds is not None:
        select += f" AND kind IN ({', '.join([mark] * len(kinds))})"
    return conn.exec_driver_sql(select, (clinic_id, *(kinds or ()))).fetchall()


def hash_terms(record_id: str, revision: int) -> tuple[int, int, int, int]:
    """The record's term of ``record_set_hash`` (the first 128 bits of sha256 of "<id>:<revision>"),
    as four 32-bit parts, most significant first (``record_id`` canonical, as push stores it)."""
    return struct.unpack_from(">4I", hashlib.sha256(f"{record_id}:{revision}".encode("ascii")).digest())


_NUMBERS = (
    "SELECT kind, count(*), sum(CASE WHEN term_revision = revision THEN 1 ELSE 0 END), "
    "sum(term_0), sum(term_1), sum(term_2), sum(term_3) FROM sync_record "
    "WHERE origin = 'clinic' AND clinic_id = {mark} GROUP BY kind"
)


def clinic_numbers(conn: Connection, clinic_id: str) -> dict[str, tuple[int, str]]:
    """Per kind, the count and ``record_set_hash`` of the clinic's records the hub holds (what
    reconcile answers): one sum of the stored terms per kind. A 10,000-record clinic took 50-60
    ms of hashing every record on every sync (issue 19); this is one indexed aggregate. A kind
    with a row whose terms are missing or were worked out for another revision (written, or its
    revision changed, by a path that does not keep them) is hashed the old way, so the answer
    never depends on every writer remembering them."""
    numbers: dict[str, tuple[int, str]] = {}
    missing: list[str] = []
    for kind, count, termed, *sums in conn.exec_driver_sql(_NUMBERS.format(mark=_dialect(conn).mark), (clinic_id,)):
        if termed != count:
            missing.append(kind)
            continue
        s0, s1, s2, s3 = (int(part) for part in sums)  # PostgreSQL sums bigints as numeric
        numbers[kind] = (count, record_set_hash_of_sum((s0 << 96) + (s1 << 64) + (s2 << 32) + s3))
    if missing:
        pairs: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for kind, record_id, revision in clinic_versions(conn, clinic_id, missing):  # the owner index
            pairs[kind].append((record_id, revision))
        numbers.update((kind, (len(items), record_set_hash(items))) for kind, items in pairs.items())
    return dict(sorted(numbers.items()))


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
        return (
            self._stored(rec.updated_at),
            rec.deleted,
            rec.stored_data(),
            self._now,
            rec.revision,
            *hash_terms(rec.id_text, rec.revision),
        )

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
    def _columns(records: list[Any]) -> tuple[list[Any], ...]:
        """PostgreSQL: the updated_at, deleted, data and term columns, as arrays."""
        terms = [hash_terms(rec.id_text, rec.revision) for rec in records]
        return (
            [rec.updated_at for rec in records],
            [rec.deleted for rec in records],
            [rec.stored_data() for rec in records],
            *([term[part] for term in terms] for part in range(4)),  # term_revision: the revision column
        )
