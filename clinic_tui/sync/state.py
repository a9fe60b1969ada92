"""The local side of sync besides the push itself: the epoch, re-queueing, the reconcile numbers,
the receipts and what the sync screen shows.

No network here (the sync engine talks to the hub); every function is one read or one transaction.
What a sync itself does is plain SQL (``sync.local``: no ORM in ``clinic-tui sync``); what the sync
screen reads goes through the ORM.
Sync invariant 6 (docs/architecture-sync.md): records the hub made (origin "hub") are never
queued nor counted as the clinic's. The push bookkeeping (outbox walk, batches, answers) is
``outbox``; pulled changes are applied by ``apply``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

from clinic_tui import clock
from clinic_tui.data.sqlite_file import stored_datetime
from clinic_tui.sync.local import Database, reading, writing
from clinic_tui.sync.outbox import OutboxItem, stored_now
from clinic_tui.sync.rejections import rejection_text
from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncTrigger
from clinic_tui.sync.tables import SYNCED_TABLES
from clinic_tui.sync.texts import kind_label
from clinic_tui.sync.wire_rules import CLINIC_KINDS, EDITS_CHECKED_FROM, record_set_hash

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clinic_tui.data.models import SyncRun

PULL_CURSOR = "pull"


@dataclass(frozen=True)
class RejectedRecord:
    kind: str
    record_id: str
    revision: int
    code: str | None
    message: str | None  # the hub's reason in the current language (sync/rejections.py)
    resident_id: str | None
    label: str


def owned_kinds() -> list[str]:
    """The kinds this clinic pushes and the hub takes."""
    return [kind for kind in SYNCED_TABLES if kind in CLINIC_KINDS]


def _owned_rows(kind: str, columns: str) -> str:
    """SELECT ``columns`` of the records of ``kind`` the clinic owns (not the hub's own)."""
    table = SYNCED_TABLES[kind]
    owned = "origin != 'hub'" if table.origin else "1"
    return f"SELECT {columns} FROM {table.table} WHERE {owned}"


def _confirmed_rows(kind: str, columns: str) -> str:
    """... of those the hub has confirmed: none of their revisions waits in the outbox."""
    return _owned_rows(kind, columns) + " AND id NOT IN (SELECT record_id FROM outbox WHERE kind = ?)"


# --- epoch, re-queueing, reconcile ----------------------------------------------------------------
# Plain SQL, inside SQLite: a first sync queues every record (10,000 in the bench) at once.
_QUEUE = "INSERT INTO outbox (kind, record_id, revision, queued_at, state, attempts) "
_REQUEUE_ALL = (
    " ON CONFLICT (kind, record_id) DO UPDATE SET revision = excluded.revision, state = 'pending', "
    "reject_code = NULL, reject_message = NULL, reject_params = NULL "
    # A row already pending at that revision is left as it is: a first sync of a clinic whose
    # every record waits (10,000 in the bench) would otherwise rewrite the whole outbox.
    "WHERE outbox.revision != excluded.revision OR outbox.state != 'pending' OR outbox.reject_code IS NOT NULL "
    "OR outbox.reject_message IS NOT NULL OR outbox.reject_params IS NOT NULL"
)
_REQUEUE_MISSING = " ON CONFLICT (kind, record_id) DO NOTHING"


def _requeue(cursor: sqlite3.Cursor, kinds: Iterable[str], *, everything: bool) -> int:
    """Queue every owned record of ``kinds``; ``everything`` also re-sends rows already queued or
    rejected (a new hub epoch: its earlier answers are void)."""
    queued = 0
    for kind in kinds:
        select_owned = _owned_rows(kind, "?, id, revision, ?, 'pending', 0")
        cursor.execute(_QUEUE + select_owned + (_REQUEUE_ALL if everything else _REQUEUE_MISSING), (kind, stored_now()))
        queued += cursor.rowcount
    return queued


class PullCursor(NamedTuple):
    value: str | None  # where the next pull starts (None: from the beginning)
    epoch: str | None  # the hub's epoch it belongs to


def pull_cursor(engine: Database) -> PullCursor | None:
    with reading(engine) as cursor:
        row = cursor.execute("SELECT value, epoch FROM sync_cursor WHERE name = ?", (PULL_CURSOR,)).fetchone()
    return None if row is None else PullCursor(*row)


def _store_cursor(cursor: sqlite3.Cursor, value: str | None, epoch: str) -> None:
    cursor.execute(
        "INSERT INTO sync_cursor (name, value, epoch, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value, epoch = excluded.epoch, "
        "updated_at = excluded.updated_at",
        (PULL_CURSOR, value, epoch, stored_now()),
    )


def store_pull_cursor(engine: Database, value: str, epoch: str) -> None:
    """A pull page that brought nothing: only the cursor moves (``apply.apply_pull_page`` otherwise)."""
    with writing(engine) as cursor:
        _store_cursor(cursor, value, epoch)


def compare_first(engine: Database, hub_numbers: dict[str, Any] | None = None) -> bool:
    """Whether a sync must ask the hub's numbers before it pushes (docs/sync.md, "Exchanges").

    Yes when this database has not synced with the hub (no epoch known yet), or when an edit of an
    earlier record (revision above 1) waits and the hub, at the last clean sync (``hub_numbers``,
    ``recovery.stored_hub_numbers``), was older than protocol revision 4: after a backup was copied
    over the file, such an edit can carry a revision the hub already holds with other contents,
    and such a hub answers it "duplicate". A hub of revision 4 answers it ``revision_taken``
    instead, which the push handles as it handles a "duplicate" naming a newer revision (the
    push's ``behind``: take back, lift the edit above the hub's revision, send it again), so the
    ordinary day needs no exchange before its push, edits or not. A new record (revision 1, a new
    uuid) cannot be shadowed at all."""
    known = pull_cursor(engine)
    if known is None or not known.epoch:
        return True
    if hub_numbers is not None and (hub_numbers.get("protocol_revision") or 0) >= EDITS_CHECKED_FROM:
        return False
    with reading(engine) as cursor:
        edit = cursor.execute("SELECT 1 FROM outbox WHERE state = 'pending' AND revision > 1 LIMIT 1").fetchone()
    return edit is not None


def adopt_epoch(engine: Database, epoch: str) -> bool:
    """Note the hub's epoch. A new one (restored hub, or a first sync) drops the pull cursor and
    queues everything the clinic owns, in one transaction; True when that happened.

    Before a first sync (no epoch known) no hub has answered this database: a sync learns the
    epoch before its first push (``compare_first``), so every outbox row is still pending as it
    was queued, and only records without a row are queued (10,000 waiting: 5 ms instead of 9).
    After another epoch every answer is void: rejected and confirmed records go again too."""
    with writing(engine) as cursor:
        row = cursor.execute("SELECT epoch FROM sync_cursor WHERE name = ?", (PULL_CURSOR,)).fetchone()
        if row is not None and row[0] == epoch:
            return False
        _store_cursor(cursor, None, epoch)
        _requeue(cursor, owned_kinds(), everything=row is not None and bool(row[0]))
        return True


def requeue_kinds(engine: Database, kinds: Iterable[str]) -> int:
    """Queue again every confirmed record of ``kinds`` (reconcile found the hub missing some)."""
    with writing(engine) as cursor:
        return _requeue(cursor, kinds, everything=False)


def local_reconcile(engine: Database) -> dict[str, tuple[int, str]]:
    """Per kind: count and record_set_hash of the records the hub should hold (owned, none queued)."""
    with reading(engine) as cursor:
        return _numbers(cursor, confirmed=True)


def _counted(kind: str, columns: str, *, confirmed: bool) -> tuple[str, tuple[str, ...]]:
    """The SELECT of ``columns`` of the owned records of ``kind`` (``confirmed``: of those, the
    ones the hub confirmed), with its parameters."""
    return (_confirmed_rows(kind, columns), (kind,)) if confirmed else (_owned_rows(kind, columns), ())


def _numbers(cursor: sqlite3.Cursor, *, confirmed: bool) -> dict[str, tuple[int, str]]:
    """Per kind, count and record_set_hash of the owned records (``confirmed``: of the confirmed)."""
    numbers = {}
    for kind in owned_kinds():
        pairs = cursor.execute(*_counted(kind, "id, revision", confirmed=confirmed)).fetchall()
        if pairs:
            numbers[kind] = (len(pairs), record_set_hash(pairs))
    return numbers


def confirmed_today(engine: Database, today: date) -> dict[str, int]:
    """Per kind, the records changed on ``today`` (local time) that the hub has confirmed."""
    with reading(engine) as cursor:
        return _changed_on(cursor, today, confirmed=True)


def _changed_on(cursor: sqlite3.Cursor, today: date, *, confirmed: bool) -> dict[str, int]:
    """Per kind, the owned records (``confirmed``: of those, the confirmed) changed on ``today``."""
    start = stored_datetime(clock.at(today))
    end = stored_datetime(clock.at(today, datetime.max.time()))
    counts: dict[str, int] = {}
    for kind in owned_kinds():
        select, parameters = _counted(kind, "count(*)", confirmed=confirmed)
        (count,) = cursor.execute(
            select + " AND updated_at >= ? AND updated_at <= ?", (*parameters, start, end)
        ).fetchone()
        if count:
            counts[kind] = count
    return counts


def numbers_once_confirmed(engine: Database, today: date) -> tuple[dict[str, tuple[int, str]], dict[str, int]]:
    """``local_reconcile`` and ``confirmed_today`` as they will be once the hub has confirmed every
    record this clinic owns (nothing left queued), from one snapshot: worked out while the last
    batch of a push is on its way (``engine``: they serve only if that came true)."""
    with reading(engine) as cursor:
        return _numbers(cursor, confirmed=False), _changed_on(cursor, today, confirmed=False)


# --- receipts ----------------------------------------------------------------------------------------
# The columns of sync_run a sync writes, and how (JSON columns as SQLAlchemy's JSON type writes them).
_RUN_COUNTS = ("pushed", "accepted", "duplicate", "rejected", "conflict", "pulled", "resent")
_RUN_JSON = ("confirmed_counts", "today_counts", "conflicts")
_RUN_TEXT = ("outcome", "epoch", "error_message")


def start_run(engine: Database, trigger: SyncTrigger | str) -> int:
    columns = ("started_at", '"trigger"', "outcome", *_RUN_COUNTS, *_RUN_JSON)
    values = (stored_now(), str(trigger), str(SyncOutcome.RUNNING), *[0] * len(_RUN_COUNTS), *["{}"] * len(_RUN_JSON))
    with writing(engine) as cursor:
        cursor.execute(f"INSERT INTO sync_run ({', '.join(columns)}) VALUES ({', '.join('?' * len(values))})", values)
        run_id = cursor.lastrowid
    assert run_id is not None
    return run_id


def close_interrupted_runs(engine: Database, message: str) -> int:
    """Runs still "running" although no sync holds the lock: their process was stopped (killed, a
    power cut). Close them as errors with ``message``; the time they stopped is not known."""
    with writing(engine) as cursor:
        cursor.execute(
            "UPDATE sync_run SET outcome = ?, error_message = ? WHERE outcome = ?",
            (str(SyncOutcome.ERROR), message, str(SyncOutcome.RUNNING)),
        )
        return cursor.rowcount


def _run_value(name: str, value: Any) -> Any:
    if name in _RUN_JSON:
        return json.dumps(value)
    if name in _RUN_COUNTS:
        return int(value)
    if name in _RUN_TEXT:
        return value.value if isinstance(value, Enum) else value
    raise ValueError(f"sync_run has no column {name} a sync writes")


def finish_run(engine: Database, run_id: int, **fields: Any) -> None:
    """The receipt: ``fields`` (counts, outcome, the hub's numbers, ...) and the time it ended."""
    names = [*fields, "finished_at"]
    values = [*(_run_value(name, value) for name, value in fields.items()), stored_now(), run_id]
    quoted = [f'"{name}"' if name == "conflict" else name for name in names]
    with writing(engine) as cursor:
        cursor.execute(f"UPDATE sync_run SET {', '.join(f'{n} = ?' for n in quoted)} WHERE id = ?", values)
        assert cursor.rowcount == 1, run_id


def recent_runs(engine: Engine, limit: int = 10) -> list[SyncRun]:
    from sqlalchemy import select
    from sqlmodel import col

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import SyncRun

    with read_session(engine) as session:
        return list(session.execute(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)).scalars())


def latest_receipt(engine: Engine) -> SyncRun | None:
    """The last sync that reached the hub and reconciled (its numbers are the hub's)."""
    from sqlalchemy import select
    from sqlmodel import col

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import SyncRun

    with read_session(engine) as session:
        return session.execute(
            select(SyncRun)
            .where(col(SyncRun.outcome).in_(REACHED_HUB), col(SyncRun.finished_at).is_not(None))
            .order_by(col(SyncRun.id).desc())
            .limit(1)
        ).scalar_one_or_none()


def last_success_at(engine: Engine) -> datetime | None:
    receipt = latest_receipt(engine)
    return receipt.finished_at if receipt else None


# --- what the UI shows ----------------------------------------------------------------------------
def pending_by_kind(engine: Engine) -> dict[str, int]:
    from sqlalchemy import func, select
    from sqlmodel import col

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import OutboxEntry

    with read_session(engine) as session:
        return dict(
            session.execute(
                select(col(OutboxEntry.kind), func.count())
                .where(col(OutboxEntry.state) == "pending")
                .group_by(col(OutboxEntry.kind))
            ).all()
        )


def rejected_records(engine: Engine) -> list[RejectedRecord]:
    """The "needs attention" list: what the hub refused, with its reason and where to fix it."""
    from sqlalchemy import select
    from sqlmodel import col

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry, Resident

    found = []
    with read_session(engine) as session:
        rows = (
            session.execute(
                select(OutboxEntry)
                .where(col(OutboxEntry.state) == "rejected")
                .order_by(col(OutboxEntry.kind), col(OutboxEntry.queued_at))
            )
            .scalars()
            .all()
        )
        for row in rows:
            model = SYNCED_KINDS.get(row.kind)
            record = session.get(model, row.record_id) if model else None
            resident_id = row.record_id if row.kind == "resident" else getattr(record, "resident_id", None)
            resident = session.get(Resident, resident_id) if resident_id else None
            label = kind_label(row.kind) if resident is None else f"{resident.name} · {kind_label(row.kind)}"
            found.append(
                RejectedRecord(
                    row.kind,
                    row.record_id,
                    row.revision,
                    row.reject_code,
                    rejection_text(row.reject_code, row.reject_params, row.reject_message),
                    resident_id,
                    label,
                )
            )
    return found


@dataclass(frozen=True)
class Overview:
    """What the sync screen shows, read in one go: waiting records, recent runs, the last receipt."""

    pending: dict[str, int]
    runs: list[SyncRun]
    receipt: SyncRun | None
    rejected: list[RejectedRecord]
    unmatched: list[str]  # request numbers of hospital answers about remote requests not held here


def overview(engine: Engine, runs_shown: int) -> Overview:
    return Overview(
        pending=pending_by_kind(engine),
        runs=recent_runs(engine, runs_shown),
        receipt=latest_receipt(engine),
        rejected=rejected_records(engine),
        unmatched=unmatched_remote_answers(engine),
    )


_UNMATCHED = (
    "SELECT DISTINCT coalesce(request_no, request_id) FROM remote_event WHERE deleted = 0 "
    "AND request_id NOT IN (SELECT id FROM remote_request) ORDER BY 1"
)


def unmatched_remote_answers(engine: Engine) -> list[str]:
    """The hospital's answers (remote_event) about requests this database does not hold, by request
    number: kept, not dropped (sync/apply.py), and named on the sync screen so the doctor knows an
    answer came for a request written on another PC or lost with a restored file."""
    with reading(engine) as cursor:
        return [str(row[0]) for row in cursor.execute(_UNMATCHED).fetchall()]


def rejected_summary(engine: Database) -> tuple[int, str | None]:
    """For the receipt: how many records the hub refused, and the reason of the first one in the
    order of the "needs attention" list (``rejected_records``), in the current language."""
    with reading(engine) as cursor:
        (count,) = cursor.execute("SELECT count(*) FROM outbox WHERE state = 'rejected'").fetchone()
        first = cursor.execute(
            "SELECT reject_code, reject_params, reject_message FROM outbox WHERE state = 'rejected' "
            "ORDER BY kind, queued_at LIMIT 1"
        ).fetchone()
    if first is None:
        return count, None
    code, params, message = first
    return count, rejection_text(code, json.loads(params) if params is not None else None, message)


def rejected_count(engine: Engine) -> int:
    from sqlalchemy import func, select
    from sqlmodel import col

    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import OutboxEntry

    with read_session(engine) as session:
        count: int = session.execute(
            select(func.count()).select_from(OutboxEntry).where(col(OutboxEntry.state) == "rejected")
        ).scalar_one()
    return count


def count_by_kind(items: Iterable[OutboxItem]) -> dict[str, int]:
    return dict(Counter(item.kind for item in items))
