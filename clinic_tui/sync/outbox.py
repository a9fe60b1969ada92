"""The push half of the local sync bookkeeping: walking the outbox, building the wire records of a
batch, applying the hub's answers.

Sync invariant 2 (docs/architecture-sync.md): an outbox row leaves only when the hub confirmed that
exact revision.
A push of 10,000 records reads and writes here 50 times, so the statements are plain DB-API
(``sync.local``: the engine's own connection, or the file's in ``clinic-tui sync``, which never
loads the ORM; SQLAlchemy's per-row result and parameter processing cost more than the statements
themselves), and the wire records are written as JSON by SQLite (``wire_json``).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from clinic_tui.data.sqlite_file import stored_datetime
from clinic_tui.domain.referral import CLINIC_UP_STATUSES
from clinic_tui.sync.local import Database, reading, writing
from clinic_tui.sync.tables import SYNCED_TABLES
from clinic_tui.sync.wire_json import record_select
from clinic_tui.sync.wire_rules import REVISION_TAKEN, confirmation_hash

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The clinic's own statuses of an upward referral (docs/protocol.md); the rest are the hospital's.
CLINIC_REFERRAL_STATUSES = tuple(s.value for s in CLINIC_UP_STATUSES)
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
    behind: int = 0  # "duplicate" naming a newer revision than the one sent: restored from a backup (kept)


def stored_now() -> str:
    """Now, as SQLAlchemy stores a UTC datetime on SQLite (for plain DB-API statements)."""
    return stored_datetime(datetime.now(UTC))


def driver_cursor(session: Session) -> sqlite3.Cursor:
    """The sqlite3 cursor of the session's connection, inside its transaction."""
    return cast(sqlite3.Connection, session.connection().connection.driver_connection).cursor()


# --- walking the outbox ------------------------------------------------------------------------------
_PENDING = "SELECT kind, record_id, revision, queued_at, rowid FROM outbox WHERE state = 'pending' "
_SEND_ORDER = "ORDER BY queued_at, rowid "
# After a key, as a row value: the send-order index is searched from the key, not scanned up to it.
_AFTER_KEY = "AND (queued_at, rowid) > (?, ?) "


def pending_items(engine: Database) -> list[OutboxItem]:
    """Every pending row, oldest first (the order in which a sync sends them)."""
    with reading(engine) as cursor:
        rows = cursor.execute(_PENDING + _SEND_ORDER).fetchall()
    return [OutboxItem(kind, rid, rev) for kind, rid, rev, _, _ in rows]


def pending_count(engine: Database) -> int:
    with reading(engine) as cursor:
        count: int = cursor.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
    return count


def is_empty(engine: Database) -> bool:
    """Nothing queued: no row pending nor rejected."""
    with reading(engine) as cursor:
        return cursor.execute("SELECT 1 FROM outbox LIMIT 1").fetchone() is None


def next_pending(engine: Database, limit: int, after: PendingKey | None) -> tuple[list[OutboxItem], PendingKey | None]:
    """The next ``limit`` pending rows in send order after ``after`` (keyset), and the new key.

    Reading one batch at a time keeps a sync linear in the outbox size. A row edited meanwhile was
    re-queued with a later ``queued_at``, so the walk meets it again at its new revision.
    """
    with reading(engine) as cursor:
        if after is None:
            rows = cursor.execute(_PENDING + _SEND_ORDER + "LIMIT ?", (limit,)).fetchall()
        else:
            queued_at, rowid = after
            rows = cursor.execute(
                _PENDING + _AFTER_KEY + _SEND_ORDER + "LIMIT ?",
                (queued_at, rowid, limit),
            ).fetchall()
    if not rows:
        return [], after
    return [OutboxItem(kind, rid, rev) for kind, rid, rev, _, _ in rows], (rows[-1][3], rows[-1][4])


# --- the wire records of a batch ------------------------------------------------------------------------
_CLINIC_STATUS = (
    "SELECT to_status FROM referral_event WHERE referral_id = ? AND origin != 'hub' AND deleted = 0 "
    f"AND to_status IN ({', '.join('?' * len(CLINIC_REFERRAL_STATUSES))}) "
    "ORDER BY at DESC, created_at DESC LIMIT 1"
)


def _clinic_status(cursor: sqlite3.Cursor, referral_id: str, status: str) -> str:
    """The status the clinic itself set: what it may push (the hub owns the hospital's moves)."""
    if status in CLINIC_REFERRAL_STATUSES:
        return status
    own = cursor.execute(_CLINIC_STATUS, (referral_id, *CLINIC_REFERRAL_STATUSES)).fetchone()
    return own[0] if own else "sent"  # the hospital answered it, so the clinic had sent it


def build_batch(engine: Database, items: Iterable[OutboxItem]) -> tuple[list[OutboxItem], list[bytes]]:
    """The wire records of ``items`` as they are now (JSON texts, see ``wire_json``), with the
    revisions actually sent.

    Outbox rows that cannot be sent (the record is gone, or is the hub's own) are dropped here:
    the hub would refuse them, and they are not the clinic's to send.
    """
    by_kind: dict[str, list[OutboxItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    sent: list[OutboxItem] = []
    records: list[bytes] = []
    unsendable: list[tuple[str, str, int]] = []
    with reading(engine) as cursor:
        for kind, group in by_kind.items():
            rows: dict[str, tuple[Any, ...]] = {}
            if kind in SYNCED_TABLES:
                for start in range(0, len(group), _IN_CHUNK):
                    ids = [item.record_id for item in group[start : start + _IN_CHUNK]]
                    rows.update(
                        (row[0], row[1:])
                        for row in cursor.execute(f"{record_select(kind)}({', '.join('?' * len(ids))})", ids)
                    )
            for item in group:
                row = rows.get(item.record_id)
                if row is None or row[1] == "hub":
                    unsendable.append((item.kind, item.record_id, item.revision))
                    continue
                revision, _origin, record = row
                if kind == "referral":
                    record = _with_clinic_status(cursor, record)
                records.append(record)
                sent.append(OutboxItem(kind, item.record_id, revision))
    if unsendable:
        with writing(engine) as cursor:
            cursor.executemany(_DELETE_EXACT, unsendable)
    return sent, records


def _with_clinic_status(cursor: sqlite3.Cursor, record: bytes) -> bytes:
    """A referral goes out with the status the clinic set (the hub owns the hospital's moves)."""
    from pydantic_core import from_json, to_json  # referrals only: an empty sync never loads it

    parsed = from_json(record)
    status = _clinic_status(cursor, parsed["id"], parsed["data"]["status"])
    if status == parsed["data"]["status"]:
        return record
    parsed["data"]["status"] = status
    return to_json(parsed)


# --- the hub's answers ----------------------------------------------------------------------------------
# Only the exact revision answered (or found unsendable) leaves the outbox (sync invariant 2).
_DELETE_EXACT = "DELETE FROM outbox WHERE kind = ? AND record_id = ? AND revision = ?"
_REJECT_EXACT = (
    "UPDATE outbox SET state = 'rejected', reject_code = ?, reject_message = ?, reject_params = ?, "
    "attempts = attempts + 1, last_attempt_at = ? WHERE kind = ? AND record_id = ? AND revision = ?"
)
_TOUCH_NEWER = (
    "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ? WHERE kind = ? AND record_id = ? AND revision != ?"
)


def confirmed_items(sent: list[OutboxItem], answer: Any) -> list[OutboxItem] | None:
    """The records a compact push answer (protocol revision 3) confirms without listing them: every
    record sent that the answer does not list, if their number and ``confirmation_hash`` are the
    ones the hub states; None when they are not (then nothing may be taken as confirmed: ask for
    the per-record answer). ``[]`` for a per-record answer, which answers every record sent (one
    that does not is as untrustworthy: None)."""
    confirmed = answer.confirmed
    if confirmed is None:
        return [] if len(answer.results) == len(sent) else None
    listed = {(result.id, result.revision) for result in answer.results}
    rest = [item for item in sent if (item.record_id, item.revision) not in listed]
    if (
        len(rest) != confirmed.count
        or confirmed.accepted + confirmed.duplicate != confirmed.count
        or confirmation_hash(rest) != confirmed.hash
    ):
        return None
    return rest


def apply_push_answers(
    engine: Database,
    sent: list[OutboxItem],
    results: list[Any],
    confirmed: list[OutboxItem] | None = None,
    confirmed_counts: tuple[int, int] = (0, 0),
) -> tuple[AnswerCounts, dict[str, str]]:
    """Apply the hub's answers in one transaction; returns the counts and the conflicts.

    ``results``: the answers listed one by one; ``confirmed``: the records a compact answer
    confirmed by count and hash (``confirmed_items``), of which ``confirmed_counts`` = (accepted,
    duplicate). A row is removed (accepted, duplicate, conflict) or marked rejected only if it still
    holds the revision that was answered (``WHERE ... AND revision = ?``): an edit made while the
    batch was in flight bumped the revision, so it stays pending and its attempt is counted.
    """
    counts = AnswerCounts(accepted=confirmed_counts[0], duplicate=confirmed_counts[1])
    conflicts: dict[str, str] = {}
    kinds = {(item.record_id, item.revision): item.kind for item in sent}
    removed: list[tuple[str, str, int]] = list(confirmed or ())
    rejected = []
    for result in results:
        kind = result.kind or kinds.get((result.id, result.revision))
        if kind is None or result.revision is None:
            continue
        key = (kind, result.id, result.revision)
        if result.status == "rejected":
            counts.rejected += 1
            params = json.dumps(result.params, ensure_ascii=False) if result.params else None
            rejected.append((result.code, result.message, params, *key))
            continue
        if result.status == "duplicate" and (
            (result.hub_revision or 0) > result.revision or result.code == REVISION_TAKEN
        ):
            # The hub holds a newer revision than this clinic ever sent after it, or this revision
            # as another version (protocol revision 4): the database was restored from a backup.
            # The row stays for sync/recovery.py to sort out.
            counts.behind += 1
            continue
        setattr(counts, result.status, getattr(counts, result.status) + 1)
        if result.status == "conflict":
            conflicts[f"{kind}:{result.id}"] = result.message or result.code or ""
        removed.append(key)
    now = stored_now()
    with writing(engine) as cursor:
        matched = 0
        if removed:
            matched += cursor.executemany(_DELETE_EXACT, removed).rowcount
        if rejected:
            matched += cursor.executemany(
                _REJECT_EXACT, [(code, message, params, now, *key) for code, message, params, *key in rejected]
            ).rowcount
        counts.still_pending = len(removed) + len(rejected) - matched
        if counts.still_pending:  # edited while the batch was in flight: the new revision goes next
            cursor.executemany(_TOUCH_NEWER, [(now, *key) for key in removed + [tuple(row[3:]) for row in rejected]])
    return counts, conflicts


def mark_too_large(engine: Database, item: OutboxItem, message: str) -> None:
    """A single record the hub refuses as too large (413): it needs the doctor's attention."""
    with writing(engine) as cursor:
        cursor.execute(
            "UPDATE outbox SET state = 'rejected', reject_code = 'body_too_large', reject_message = ?, "
            "attempts = attempts + 1, last_attempt_at = ? WHERE kind = ? AND record_id = ? AND revision = ?",
            (message, stored_now(), item.kind, item.record_id, item.revision),
        )
