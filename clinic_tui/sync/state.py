"""The local side of sync besides the push itself: the epoch, re-queueing, the reconcile numbers,
the receipts and what the sync screen shows.

No network here (the sync engine talks to the hub); every function is one read or one transaction.
Sync invariant 6 (docs/architecture-sync.md): records the hub made (origin "hub") are never
queued nor counted as the clinic's. The push bookkeeping (outbox walk, batches, answers) is
``outbox``; pulled changes are applied by ``apply``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from clinic_tui import clock
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry, SyncCursor, SyncRun, utcnow
from clinic_tui.data.sqlite_file import stored_datetime
from clinic_tui.i18n import N_, _
from clinic_tui.sync.outbox import OutboxItem, driver_cursor, stored_now
from clinic_tui.sync.rejections import rejection_text
from clinic_tui.sync.status import REACHED_HUB, SyncOutcome, SyncTrigger
from clinic_tui.sync.wire import CLINIC_KINDS, record_set_hash

if TYPE_CHECKING:
    from sqlalchemy import CursorResult

PULL_CURSOR = "pull"
KIND_LABELS = {
    "resident": N_("resident"),
    "visit": N_("visit"),
    "followup": N_("follow-up"),
    "referral": N_("referral"),
    "referral_event": N_("referral status change"),
    "contract": N_("contract"),
    "service_record": N_("service record"),
    "team": N_("team"),
    "task": N_("task"),
    "user": N_("staff member"),
    "service_package": N_("service package"),
    "remote_request": N_("remote request"),
    "lab_order": N_("lab order"),
}


@dataclass(frozen=True)
class RejectedRecord:
    kind: str
    record_id: str
    revision: int
    code: str | None
    message: str | None  # the hub's reason in the current language (sync/rejections.py)
    resident_id: str | None
    label: str


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def owned_kinds() -> list[str]:
    """The kinds this clinic pushes and the hub takes."""
    return [kind for kind in SYNCED_KINDS if kind in CLINIC_KINDS]


def _owned_rows(kind: str, columns: str) -> str:
    """SELECT ``columns`` of the records of ``kind`` the clinic owns (not the hub's own)."""
    model = SYNCED_KINDS[kind]
    owned = "origin != 'hub'" if hasattr(model, "origin") else "1"
    return f"SELECT {columns} FROM {model.__tablename__} WHERE {owned}"


def _confirmed_rows(kind: str, columns: str) -> str:
    """... of those the hub has confirmed: none of their revisions waits in the outbox."""
    return _owned_rows(kind, columns) + " AND id NOT IN (SELECT record_id FROM outbox WHERE kind = ?)"


# --- epoch, re-queueing, reconcile ----------------------------------------------------------------
# Plain SQL, inside SQLite: a first sync queues every record (10,000 in the bench) at once.
_QUEUE = "INSERT INTO outbox (kind, record_id, revision, queued_at, state, attempts) "
_REQUEUE_ALL = (
    " ON CONFLICT (kind, record_id) DO UPDATE SET revision = excluded.revision, state = 'pending', "
    "reject_code = NULL, reject_message = NULL, reject_params = NULL"
)
_REQUEUE_MISSING = " ON CONFLICT (kind, record_id) DO NOTHING"


def _requeue(session: Session, kinds: Iterable[str], *, everything: bool) -> int:
    """Queue every owned record of ``kinds``; ``everything`` also re-sends rows already queued or
    rejected (a new hub epoch: its earlier answers are void)."""
    cursor = driver_cursor(session)
    queued = 0
    for kind in kinds:
        select_owned = _owned_rows(kind, "?, id, revision, ?, 'pending', 0")
        cursor.execute(_QUEUE + select_owned + (_REQUEUE_ALL if everything else _REQUEUE_MISSING), (kind, stored_now()))
        queued += cursor.rowcount
    return queued


def pull_cursor(engine: Engine) -> SyncCursor | None:
    with read_session(engine) as session:
        return session.get(SyncCursor, PULL_CURSOR)


def compare_first(engine: Engine) -> bool:
    """Whether a sync must ask the hub's numbers before it pushes (docs/sync.md, "Exchanges").

    Yes when this database has not synced with the hub (no epoch known yet), or when an edit of an
    earlier record (revision above 1) waits: after a backup was copied over the file, such an edit
    can carry a revision the hub already holds with other contents, and would be answered
    "duplicate". A new record (revision 1, a new uuid) cannot be shadowed so, and a revision the
    hub holds newer is answered "duplicate" naming it (the push's ``behind``), so an ordinary day
    of new records needs no exchange before its push."""
    with read_session(engine) as session:
        cursor = session.get(SyncCursor, PULL_CURSOR)
        if cursor is None or not cursor.epoch:
            return True
        edit = session.execute(
            select(col(OutboxEntry.kind))
            .where(col(OutboxEntry.state) == "pending", col(OutboxEntry.revision) > 1)
            .limit(1)
        ).first()
        return edit is not None


def adopt_epoch(engine: Engine, epoch: str) -> bool:
    """Note the hub's epoch. A new one (restored hub, or a first sync) drops the pull cursor and
    queues everything the clinic owns, in one transaction; True when that happened."""
    with unit_of_work(engine) as session:
        cursor = session.get(SyncCursor, PULL_CURSOR)
        if cursor is not None and cursor.epoch == epoch:
            return False
        if cursor is None:
            cursor = SyncCursor(name=PULL_CURSOR)
        cursor.value, cursor.epoch, cursor.updated_at = None, epoch, utcnow()
        session.add(cursor)
        _requeue(session, owned_kinds(), everything=True)
        return True


def requeue_kinds(engine: Engine, kinds: Iterable[str]) -> int:
    """Queue again every confirmed record of ``kinds`` (reconcile found the hub missing some)."""
    with unit_of_work(engine) as session:
        return _requeue(session, kinds, everything=False)


def local_reconcile(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per kind: count and record_set_hash of the records the hub should hold (owned, none queued)."""
    with read_session(engine) as session:
        cursor = driver_cursor(session)
        numbers = {}
        for kind in owned_kinds():
            pairs = cursor.execute(_confirmed_rows(kind, "id, revision"), (kind,)).fetchall()
            if pairs:
                numbers[kind] = (len(pairs), record_set_hash(pairs))
        return numbers


def confirmed_today(engine: Engine, today: date) -> dict[str, int]:
    """Per kind, the records changed on ``today`` (local time) that the hub has confirmed."""
    start = stored_datetime(clock.at(today))
    end = stored_datetime(clock.at(today, datetime.max.time()))
    counts: dict[str, int] = {}
    with read_session(engine) as session:
        cursor = driver_cursor(session)
        for kind in owned_kinds():
            (count,) = cursor.execute(
                _confirmed_rows(kind, "count(*)") + " AND updated_at >= ? AND updated_at <= ?", (kind, start, end)
            ).fetchone()
            if count:
                counts[kind] = count
    return counts


# --- receipts ----------------------------------------------------------------------------------------
def start_run(engine: Engine, trigger: SyncTrigger) -> int:
    with unit_of_work(engine) as session:
        run = SyncRun(trigger=trigger)
        session.add(run)
        session.flush()
        assert run.id is not None  # given by the database at the flush
        return run.id


def close_interrupted_runs(engine: Engine, message: str) -> int:
    """Runs still "running" although no sync holds the lock: their process was stopped (killed, a
    power cut). Close them as errors with ``message``; the time they stopped is not known."""
    with unit_of_work(engine) as session:
        result = session.execute(
            update(SyncRun)
            .where(col(SyncRun.outcome) == SyncOutcome.RUNNING)
            .values(outcome=SyncOutcome.ERROR, error_message=message)
        )
        return cast("CursorResult[Any]", result).rowcount


def finish_run(engine: Engine, run_id: int, **fields: Any) -> SyncRun:
    with unit_of_work(engine) as session:
        run = session.get(SyncRun, run_id)
        assert run is not None, run_id
        for name, value in fields.items():
            setattr(run, name, value)
        run.finished_at = utcnow()
        session.add(run)
        session.flush()
        return run


def recent_runs(engine: Engine, limit: int = 10) -> list[SyncRun]:
    with read_session(engine) as session:
        return list(session.execute(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)).scalars())


def latest_receipt(engine: Engine) -> SyncRun | None:
    """The last sync that reached the hub and reconciled (its numbers are the hub's)."""
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
    from clinic_tui.data.models import Resident

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
    with read_session(engine) as session:
        return [str(row[0]) for row in driver_cursor(session).execute(_UNMATCHED).fetchall()]


def rejected_count(engine: Engine) -> int:
    with read_session(engine) as session:
        count: int = session.execute(
            select(func.count()).select_from(OutboxEntry).where(col(OutboxEntry.state) == "rejected")
        ).scalar_one()
    return count


def count_by_kind(items: Iterable[OutboxItem]) -> dict[str, int]:
    return dict(Counter(item.kind for item in items))
