"""The local side of sync: the outbox, what the hub answered, the reconcile numbers, the receipts.

No network here (the sync engine talks to the hub); every function is one read or one transaction.
Invariants (DESIGN sync 2, 6): an outbox row leaves only when the hub confirmed that exact
revision; records the hub made (origin "hub") are never queued nor counted as the clinic's.
Pulled changes are applied by ``sync_apply``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import Date, DateTime, Engine, and_, func, literal_column, or_, select, update

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry, ReferralEvent, SyncCursor, SyncRun, utcnow
from clinic_tui.data.models.base import UTCDateTime
from clinic_tui.data.records import PRIVATE_FIELDS
from clinic_tui.i18n import N_, _
from clinic_tui.sync.wire import CLINIC_KINDS, record_set_hash

PULL_CURSOR = "pull"
# The clinic's own statuses of an upward referral (docs/protocol.md); the rest are the hospital's.
CLINIC_REFERRAL_STATUSES = ("draft", "review", "sent", "cancelled")
KIND_LABELS = {
    "resident": N_("resident"), "visit": N_("visit"), "followup": N_("follow-up"), "referral": N_("referral"),
    "referral_event": N_("referral status change"), "contract": N_("contract"),
    "service_record": N_("service record"), "team": N_("team"), "task": N_("task"), "user": N_("staff member"),
    "service_package": N_("service package"),
}


@dataclass(frozen=True)
class OutboxItem:
    kind: str
    record_id: str
    revision: int


@dataclass(frozen=True)
class RejectedRecord:
    kind: str
    record_id: str
    revision: int
    code: str | None
    message: str | None
    resident_id: str | None
    label: str


@dataclass
class AnswerCounts:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    conflict: int = 0
    still_pending: int = 0  # answered for a revision older than the one now queued (edited meanwhile)


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def owned_kinds() -> list[str]:
    """The kinds this clinic pushes and the hub takes."""
    return [kind for kind in SYNCED_KINDS if kind in CLINIC_KINDS]


def _owned_query(kind: str, *columns: Any):
    model = SYNCED_KINDS[kind]
    query = select(*columns) if columns else select(model)
    if hasattr(model, "origin"):
        query = query.where(model.origin != "hub")
    return query


# --- push ------------------------------------------------------------------------------------------
_OUTBOX = OutboxEntry.__table__
_ROWID = literal_column("outbox.rowid")
# Where a walk through the pending rows stopped: (queued_at, rowid) of the last row taken.
PendingKey = tuple[datetime, int]


def pending_items(engine: Engine) -> list[OutboxItem]:
    """Every pending row, oldest first (the order in which a sync sends them)."""
    with read_session(engine) as session:
        rows = session.execute(
            select(_OUTBOX.c.kind, _OUTBOX.c.record_id, _OUTBOX.c.revision)
            .where(_OUTBOX.c.state == "pending").order_by(_OUTBOX.c.queued_at, _ROWID)
        ).all()
    return [OutboxItem(*row) for row in rows]


def pending_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(_OUTBOX).where(_OUTBOX.c.state == "pending")
                               ).scalar_one()


def next_pending(engine: Engine, limit: int, after: PendingKey | None) -> tuple[list[OutboxItem], PendingKey | None]:
    """The next ``limit`` pending rows in send order after ``after`` (keyset), and the new key.

    Reading one batch at a time keeps a sync linear in the outbox size. A row edited meanwhile was
    re-queued with a later ``queued_at``, so the walk meets it again at its new revision.
    """
    query = (select(_OUTBOX.c.kind, _OUTBOX.c.record_id, _OUTBOX.c.revision, _OUTBOX.c.queued_at, _ROWID)
             .where(_OUTBOX.c.state == "pending").order_by(_OUTBOX.c.queued_at, _ROWID).limit(limit))
    if after is not None:
        queued_at, rowid = after
        query = query.where(or_(_OUTBOX.c.queued_at > queued_at,
                                and_(_OUTBOX.c.queued_at == queued_at, _ROWID > rowid)))
    with read_session(engine) as session:
        rows = session.execute(query).all()
    if not rows:
        return [], after
    return [OutboxItem(kind, rid, rev) for kind, rid, rev, _, _ in rows], (rows[-1][3], rows[-1][4])


def _clinic_status(session, referral_id: str, status: str) -> str:
    """The status the clinic itself set: what it may push (the hub owns the hospital's moves)."""
    if status in CLINIC_REFERRAL_STATUSES:
        return status
    own = session.execute(
        select(ReferralEvent.to_status)
        .where(ReferralEvent.referral_id == referral_id, ReferralEvent.origin != "hub",
               ReferralEvent.to_status.in_(CLINIC_REFERRAL_STATUSES), ReferralEvent.deleted == False)  # noqa: E712
        .order_by(ReferralEvent.at.desc(), ReferralEvent.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    return own or "sent"  # the hospital answered it, so the clinic had sent it


def _wire_rows(session, kind: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The rows of ``ids`` as plain dicts of every synced column (what ``records.sync_payload``
    gives for an ORM object), read with Core: no ORM objects for a batch of hundreds."""
    table = SYNCED_KINDS[kind].__table__
    columns = [column for column in table.columns if column.name not in PRIVATE_FIELDS]
    names = [column.name for column in columns]
    dated = [column.name for column in columns if isinstance(column.type, (UTCDateTime, Date, DateTime))]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        for row in session.execute(select(*columns).where(table.c.id.in_(ids[start:start + 500]))).all():
            data = dict(zip(names, row))
            for name in dated:
                if data[name] is not None:
                    data[name] = data[name].isoformat()
            found[data["id"]] = data
    return found


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
    unsendable: list[dict[str, Any]] = []
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
            session.connection().exec_driver_sql(_DELETE_EXACT, unsendable)
    return sent, payloads


def _stored_now() -> str:
    """Now, as SQLAlchemy stores a UTC datetime on SQLite (for plain DB-API statements)."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")


# Only the exact revision answered (or found unsendable) leaves the outbox (DESIGN sync 2). Plain
# DB-API executemany: building SQLAlchemy parameters per row cost more than the statements.
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
    now = _stored_now()
    with unit_of_work(engine) as session:
        connection = session.connection()
        matched = 0
        if removed:
            matched += connection.exec_driver_sql(_DELETE_EXACT, removed).rowcount
        if rejected:
            matched += connection.exec_driver_sql(_REJECT_EXACT, [(code, message, now, *key)
                                                                  for code, message, *key in rejected]).rowcount
        counts.still_pending = len(removed) + len(rejected) - matched
        if counts.still_pending:  # edited while the batch was in flight: the new revision goes next
            connection.exec_driver_sql(_TOUCH_NEWER, [(now, *key)
                                                      for key in removed + [tuple(row[2:]) for row in rejected]])
    return counts, conflicts


def mark_too_large(engine: Engine, item: OutboxItem, message: str) -> None:
    """A single record the hub refuses as too large (413): it needs the doctor's attention."""
    with unit_of_work(engine) as session:
        session.execute(update(OutboxEntry).where(
            OutboxEntry.kind == item.kind, OutboxEntry.record_id == item.record_id,
            OutboxEntry.revision == item.revision).values(
            state="rejected", reject_code="body_too_large", reject_message=message,
            attempts=OutboxEntry.attempts + 1, last_attempt_at=utcnow()))


# --- epoch, re-queueing, reconcile ----------------------------------------------------------------
_QUEUE = "INSERT INTO outbox (kind, record_id, revision, queued_at, state, attempts) VALUES (?, ?, ?, ?, 'pending', 0) "
_REQUEUE_ALL = _QUEUE + ("ON CONFLICT (kind, record_id) DO UPDATE SET revision = excluded.revision, state = 'pending', "
                         "reject_code = NULL, reject_message = NULL")
_REQUEUE_MISSING = _QUEUE + "ON CONFLICT (kind, record_id) DO NOTHING"


def _requeue(session, kinds: Iterable[str], *, everything: bool) -> int:
    """Queue every owned record of ``kinds``; ``everything`` also re-sends rows already queued or
    rejected (a new hub epoch: its earlier answers are void)."""
    now = _stored_now()
    queued = 0
    for kind in kinds:
        rows = session.execute(_owned_query(kind, SYNCED_KINDS[kind].id, SYNCED_KINDS[kind].revision)).all()
        if not rows:
            continue
        queued += session.connection().exec_driver_sql(
            _REQUEUE_ALL if everything else _REQUEUE_MISSING, [(kind, rid, rev, now) for rid, rev in rows]).rowcount
    return queued


def pull_cursor(engine: Engine) -> SyncCursor | None:
    with read_session(engine) as session:
        return session.get(SyncCursor, PULL_CURSOR)


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


def _confirmed_pairs(session, kind: str) -> list[tuple[str, int]]:
    model = SYNCED_KINDS[kind]
    queued = select(OutboxEntry.record_id).where(OutboxEntry.kind == kind)
    return [tuple(row) for row in session.execute(
        _owned_query(kind, model.id, model.revision).where(model.id.not_in(queued)))]


def local_reconcile(engine: Engine) -> dict[str, tuple[int, str]]:
    """Per kind: count and record_set_hash of the records the hub should hold (owned, none queued)."""
    with read_session(engine) as session:
        numbers = {}
        for kind in owned_kinds():
            pairs = _confirmed_pairs(session, kind)
            if pairs:
                numbers[kind] = (len(pairs), record_set_hash(pairs))
        return numbers


def confirmed_today(engine: Engine, today: date) -> dict[str, int]:
    """Per kind, the records changed on ``today`` (local time) that the hub has confirmed."""
    start = datetime.combine(today, datetime.min.time()).astimezone()
    end = datetime.combine(today, datetime.max.time()).astimezone()
    counts: dict[str, int] = {}
    with read_session(engine) as session:
        for kind in owned_kinds():
            model = SYNCED_KINDS[kind]
            queued = select(OutboxEntry.record_id).where(OutboxEntry.kind == kind)
            count = session.execute(
                _owned_query(kind, func.count()).select_from(model)
                .where(model.id.not_in(queued), model.updated_at >= start, model.updated_at <= end)
            ).scalar_one()
            if count:
                counts[kind] = count
    return counts


# --- receipts ----------------------------------------------------------------------------------------
def start_run(engine: Engine, trigger: str) -> int:
    with unit_of_work(engine) as session:
        run = SyncRun(trigger=trigger)
        session.add(run)
        session.flush()
        return run.id


def close_interrupted_runs(engine: Engine, message: str) -> int:
    """Runs still "running" although no sync holds the lock: their process was stopped (killed, a
    power cut). Close them as errors with ``message``; the time they stopped is not known."""
    with unit_of_work(engine) as session:
        return session.execute(update(SyncRun).where(SyncRun.outcome == "running")
                               .values(outcome="error", error_message=message)).rowcount


def finish_run(engine: Engine, run_id: int, **fields: Any) -> SyncRun:
    with unit_of_work(engine) as session:
        run = session.get(SyncRun, run_id)
        for name, value in fields.items():
            setattr(run, name, value)
        run.finished_at = utcnow()
        session.add(run)
        session.flush()
        return run


def recent_runs(engine: Engine, limit: int = 10) -> list[SyncRun]:
    with read_session(engine) as session:
        return list(session.execute(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)).scalars())


def latest_receipt(engine: Engine) -> SyncRun | None:
    """The last sync that reached the hub and reconciled (its numbers are the hub's)."""
    with read_session(engine) as session:
        return session.execute(
            select(SyncRun).where(SyncRun.outcome.in_(("ok", "rejected")), SyncRun.finished_at.is_not(None))
            .order_by(SyncRun.id.desc()).limit(1)
        ).scalar_one_or_none()


def last_success_at(engine: Engine) -> datetime | None:
    receipt = latest_receipt(engine)
    return receipt.finished_at if receipt else None


# --- what the UI shows ----------------------------------------------------------------------------
def pending_by_kind(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return dict(session.execute(
            select(OutboxEntry.kind, func.count()).where(OutboxEntry.state == "pending").group_by(OutboxEntry.kind)
        ).all())


def rejected_records(engine: Engine) -> list[RejectedRecord]:
    """The "needs attention" list: what the hub refused, with its reason and where to fix it."""
    from clinic_tui.data.models import Resident

    found = []
    with read_session(engine) as session:
        rows = session.execute(select(OutboxEntry).where(OutboxEntry.state == "rejected")
                               .order_by(OutboxEntry.kind, OutboxEntry.queued_at)).scalars().all()
        for row in rows:
            model = SYNCED_KINDS.get(row.kind)
            record = session.get(model, row.record_id) if model else None
            resident_id = row.record_id if row.kind == "resident" else getattr(record, "resident_id", None)
            resident = session.get(Resident, resident_id) if resident_id else None
            label = kind_label(row.kind) if resident is None else f"{resident.name} · {kind_label(row.kind)}"
            found.append(RejectedRecord(row.kind, row.record_id, row.revision, row.reject_code, row.reject_message,
                                        resident_id, label))
    return found


def rejected_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.execute(select(func.count()).select_from(OutboxEntry)
                               .where(OutboxEntry.state == "rejected")).scalar_one()


def count_by_kind(items: Iterable[OutboxItem]) -> dict[str, int]:
    return dict(Counter(item.kind for item in items))
