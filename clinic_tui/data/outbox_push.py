"""The push half of the local sync bookkeeping: walking the outbox, building the wire records of a
batch, applying the hub's answers.

Invariant (DESIGN sync 2): an outbox row leaves only when the hub confirmed that exact revision.
A push of 10,000 records reads and writes here 50 times, so the statements are plain DB-API on the
engine's own connection: SQLAlchemy's per-row result and parameter processing cost more than the
statements themselves (about 120 us a record, against 20 us). ``wire_record`` keeps the record
exactly as ``records.sync_payload`` gives it for the ORM object; a test compares the two.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any, Callable, Iterable, NamedTuple

from sqlalchemy import JSON, Boolean, Date, Engine, Float, Integer, String, TypeDecorator

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import SYNCED_KINDS, utcnow
from clinic_tui.data.models.base import UTCDateTime
from clinic_tui.data.records import PRIVATE_FIELDS

# The clinic's own statuses of an upward referral (docs/protocol.md); the rest are the hospital's.
CLINIC_REFERRAL_STATUSES = ("draft", "review", "sent", "cancelled")
_IN_CHUNK = 500  # ids per "IN (...)": well under SQLite's limit on bound variables


class OutboxItem(NamedTuple):
    """One outbox row: a record at the revision to send (a tuple: a sync makes and hashes 10,000)."""

    kind: str
    record_id: str
    revision: int


# Where a walk through the pending rows stopped: (queued_at as stored, rowid) of the last row taken.
PendingKey = tuple[str, int]


@dataclass
class AnswerCounts:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    still_pending: int = 0  # answered for a revision older than the one now queued (edited meanwhile)


def stored_now() -> str:
    """Now, as SQLAlchemy stores a UTC datetime on SQLite (for plain DB-API statements)."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")


def driver_cursor(session):
    """The sqlite3 cursor of the session's connection, inside its transaction."""
    return session.connection().connection.driver_connection.cursor()


# --- walking the outbox ------------------------------------------------------------------------------
_PENDING = "SELECT kind, record_id, revision, queued_at, rowid FROM outbox WHERE state = 'pending' "
_SEND_ORDER = "ORDER BY queued_at, rowid "


def pending_items(engine: Engine) -> list[OutboxItem]:
    """Every pending row, oldest first (the order in which a sync sends them)."""
    with read_session(engine) as session:
        rows = driver_cursor(session).execute(_PENDING + _SEND_ORDER).fetchall()
    return [OutboxItem(kind, rid, rev) for kind, rid, rev, _, _ in rows]


def pending_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return driver_cursor(session).execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]


def next_pending(engine: Engine, limit: int, after: PendingKey | None) -> tuple[list[OutboxItem], PendingKey | None]:
    """The next ``limit`` pending rows in send order after ``after`` (keyset), and the new key.

    Reading one batch at a time keeps a sync linear in the outbox size. A row edited meanwhile was
    re-queued with a later ``queued_at``, so the walk meets it again at its new revision.
    """
    with read_session(engine) as session:
        if after is None:
            rows = driver_cursor(session).execute(_PENDING + _SEND_ORDER + "LIMIT ?", (limit,)).fetchall()
        else:
            queued_at, rowid = after
            rows = driver_cursor(session).execute(
                _PENDING + "AND (queued_at > ? OR (queued_at = ? AND rowid > ?)) " + _SEND_ORDER + "LIMIT ?",
                (queued_at, queued_at, rowid, limit)).fetchall()
    if not rows:
        return [], after
    return [OutboxItem(kind, rid, rev) for kind, rid, rev, _, _ in rows], (rows[-1][3], rows[-1][4])


# --- the wire records of a batch ------------------------------------------------------------------------
def _utc_iso(stored: str) -> str:
    """A stored UTC datetime as ``datetime.isoformat`` writes it once read back aware."""
    if len(stored) == 26 and stored[10] == " ":  # as SQLAlchemy stores them: by hand, 5 times faster
        return f"{stored[:10]}T{stored[11:19] if stored.endswith('.000000') else stored[11:]}+00:00"
    return datetime.fromisoformat(stored).replace(tzinfo=timezone.utc).isoformat()


@cache
def _wire_columns(kind: str) -> tuple[str, list[str], list[tuple[int, Callable[[Any], Any]]]]:
    """For a kind: the SELECT of its synced columns, their names, and the columns whose stored form
    differs from the wire's, with the conversion (what SQLAlchemy's types and ``_jsonable`` do)."""
    table = SYNCED_KINDS[kind].__table__
    columns = [column for column in table.columns if column.name not in PRIVATE_FIELDS]
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        if isinstance(column.type, UTCDateTime):
            converters.append((index, _utc_iso))
            continue
        stored = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(stored, Boolean):
            converters.append((index, bool))
        elif isinstance(stored, JSON):
            converters.append((index, json.loads))
        elif not isinstance(stored, (String, Integer, Float, Date)):  # these are stored as they go
            raise TypeError(f"{kind}.{column.name}: no plain conversion for {column.type!r}")
    names = [column.name for column in columns]
    select = f"SELECT {', '.join(names)} FROM {table.name} WHERE id IN "
    return select, names, converters


def _wire_rows(session, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The rows of ``ids`` as the plain dicts ``records.sync_payload`` gives for ORM objects."""
    select, names, converters = _wire_columns(kind)
    cursor = driver_cursor(session)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        for row in cursor.execute(f"{select}({', '.join('?' * len(chunk))})", chunk):
            values = list(row)
            for index, convert in converters:
                if values[index] is not None:
                    values[index] = convert(values[index])
            data = dict(zip(names, values))
            found[data["id"]] = data
    return found


_CLINIC_STATUS = ("SELECT to_status FROM referral_event WHERE referral_id = ? AND origin != 'hub' AND deleted = 0 "
                  f"AND to_status IN ({', '.join('?' * len(CLINIC_REFERRAL_STATUSES))}) "
                  "ORDER BY at DESC, created_at DESC LIMIT 1")


def _clinic_status(session, referral_id: str, status: str) -> str:
    """The status the clinic itself set: what it may push (the hub owns the hospital's moves)."""
    if status in CLINIC_REFERRAL_STATUSES:
        return status
    own = driver_cursor(session).execute(_CLINIC_STATUS, (referral_id, *CLINIC_REFERRAL_STATUSES)).fetchone()
    return own[0] if own else "sent"  # the hospital answered it, so the clinic had sent it


def build_batch(engine: Engine, items: Iterable[OutboxItem]) -> tuple[list[OutboxItem], list[dict[str, Any]]]:
    """The wire records of ``items`` as they are now, with the revisions actually sent.

    Outbox rows that cannot be sent (the record is gone, or is the hub's own) are dropped here:
    the hub would refuse them, and they are not the clinic's to send.
    """
    by_kind: dict[str, list[OutboxItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    sent: list[OutboxItem] = []
    payloads: list[dict[str, Any]] = []
    unsendable: list[tuple[str, str, int]] = []
    with read_session(engine) as session:
        for kind, group in by_kind.items():
            rows = _wire_rows(session, kind, [item.record_id for item in group]) if kind in SYNCED_KINDS else {}
            for item in group:
                data = rows.get(item.record_id)
                if data is None or data.get("origin", "clinic") == "hub":
                    unsendable.append((item.kind, item.record_id, item.revision))
                    continue
                if kind == "referral":
                    data["status"] = _clinic_status(session, data["id"], data["status"])
                payloads.append({"kind": kind, "id": data["id"], "revision": data["revision"],
                                 "updated_at": data["updated_at"], "deleted": data["deleted"], "data": data})
                sent.append(OutboxItem(kind, data["id"], data["revision"]))
    if unsendable:
        with unit_of_work(engine) as session:
            driver_cursor(session).executemany(_DELETE_EXACT, unsendable)
    return sent, payloads


# --- the hub's answers ----------------------------------------------------------------------------------
# Only the exact revision answered (or found unsendable) leaves the outbox (DESIGN sync 2).
_DELETE_EXACT = "DELETE FROM outbox WHERE kind = ? AND record_id = ? AND revision = ?"
_REJECT_EXACT = ("UPDATE outbox SET state = 'rejected', reject_code = ?, reject_message = ?, attempts = attempts + 1, "
                 "last_attempt_at = ? WHERE kind = ? AND record_id = ? AND revision = ?")
_TOUCH_NEWER = ("UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ? "
                "WHERE kind = ? AND record_id = ? AND revision != ?")


def apply_push_answers(engine: Engine, sent: list[OutboxItem], results: list[Any]) -> tuple[AnswerCounts, dict[str, str]]:
    """Apply the hub's per-record answers in one transaction; returns the counts and the conflicts.

    A row is removed (accepted, duplicate, conflict) or marked rejected only if it still holds the
    revision that was answered (``WHERE ... AND revision = ?``): an edit made while the batch was
    in flight bumped the revision, so it stays pending and its attempt is counted.
    """
    counts = AnswerCounts()
    conflicts: dict[str, str] = {}
    kinds = {(item.record_id, item.revision): item.kind for item in sent}
    removed, rejected = [], []
    for result in results:
        kind = result.kind or kinds.get((result.id, result.revision))
        if kind is None or result.revision is None:
            continue
        key = (kind, result.id, result.revision)
        if result.status == "rejected":
            counts.rejected += 1
            rejected.append((result.code, result.message, *key))
            continue
        setattr(counts, result.status, getattr(counts, result.status) + 1)
        if result.status == "conflict":
            conflicts[f"{kind}:{result.id}"] = result.message or result.code or ""
        removed.append(key)
    now = stored_now()
    with unit_of_work(engine) as session:
        cursor = driver_cursor(session)
        matched = 0
        if removed:
            matched += cursor.executemany(_DELETE_EXACT, removed).rowcount
        if rejected:
            matched += cursor.executemany(_REJECT_EXACT, [(code, message, now, *key)
                                                          for code, message, *key in rejected]).rowcount
        counts.still_pending = len(removed) + len(rejected) - matched
        if counts.still_pending:  # edited while the batch was in flight: the new revision goes next
            cursor.executemany(_TOUCH_NEWER, [(now, *key) for key in removed + [tuple(row[2:]) for row in rejected]])
    return counts, conflicts


def mark_too_large(engine: Engine, item: OutboxItem, message: str) -> None:
    """A single record the hub refuses as too large (413): it needs the doctor's attention."""
    with unit_of_work(engine) as session:
        driver_cursor(session).execute(
            "UPDATE outbox SET state = 'rejected', reject_code = 'body_too_large', reject_message = ?, "
            "attempts = attempts + 1, last_attempt_at = ? WHERE kind = ? AND record_id = ? AND revision = ?",
            (message, stored_now(), item.kind, item.record_id, item.revision))
