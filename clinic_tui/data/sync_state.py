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

from sqlalchemy import Engine, bindparam, delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry, Referral, ReferralEvent, SyncCursor, SyncRun, utcnow
from clinic_tui.data.records import sync_payload
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
def pending_items(engine: Engine) -> list[OutboxItem]:
    with read_session(engine) as session:
        rows = session.execute(
            select(OutboxEntry.kind, OutboxEntry.record_id, OutboxEntry.revision)
            .where(OutboxEntry.state == "pending").order_by(OutboxEntry.queued_at, OutboxEntry.record_id)
        ).all()
    return [OutboxItem(*row) for row in rows]


def _clinic_status(session, referral: Referral) -> str:
    """The status the clinic itself set: what it may push (the hub owns the hospital's moves)."""
    if referral.status in CLINIC_REFERRAL_STATUSES:
        return referral.status
    own = session.execute(
        select(ReferralEvent.to_status)
        .where(ReferralEvent.referral_id == referral.id, ReferralEvent.origin != "hub",
               ReferralEvent.to_status.in_(CLINIC_REFERRAL_STATUSES), ReferralEvent.deleted == False)  # noqa: E712
        .order_by(ReferralEvent.at.desc(), ReferralEvent.created_at.desc()).limit(1)
    ).scalar_one_or_none()
    return own or "sent"  # the hospital answered it, so the clinic had sent it


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
    unsendable: list[OutboxItem] = []
    with read_session(engine) as session:
        for kind, group in by_kind.items():
            model = SYNCED_KINDS.get(kind)
            rows = {} if model is None else {
                row.id: row for row in session.execute(
                    select(model).where(model.id.in_([i.record_id for i in group]))).scalars()}
            for item in group:
                row = rows.get(item.record_id)
                if row is None or getattr(row, "origin", "clinic") == "hub":
                    unsendable.append(item)
                    continue
                data = sync_payload(row)
                if isinstance(row, Referral):
                    data["status"] = _clinic_status(session, row)
                payloads.append({"kind": kind, "id": row.id, "revision": row.revision,
                                 "updated_at": row.updated_at.isoformat(), "deleted": row.deleted, "data": data})
                sent.append(OutboxItem(kind, row.id, row.revision))
    if unsendable:
        with unit_of_work(engine) as session:
            for item in unsendable:
                session.execute(delete(OutboxEntry).where(
                    OutboxEntry.kind == item.kind, OutboxEntry.record_id == item.record_id,
                    OutboxEntry.revision == item.revision))
    return sent, payloads


def apply_push_answers(engine: Engine, sent: list[OutboxItem], results: list[Any]) -> tuple[AnswerCounts, dict[str, str]]:
    """Apply the hub's per-record answers in one transaction; returns the counts and the conflicts.

    A row is removed (accepted, duplicate, conflict) or marked rejected only if it still holds the
    revision that was answered: an edit made while the batch was in flight stays pending. The rows
    are read inside the write transaction (BEGIN IMMEDIATE), so no edit can slip in between.
    """
    counts = AnswerCounts()
    conflicts: dict[str, str] = {}
    kinds = {(item.record_id, item.revision): item.kind for item in sent}
    now = utcnow()
    table = OutboxEntry.__table__
    with unit_of_work(engine) as session:
        queued: dict[tuple[str, str], int] = {}
        for kind in {item.kind for item in sent}:
            ids = [item.record_id for item in sent if item.kind == kind]
            for start in range(0, len(ids), 500):
                queued.update({(kind, rid): rev for rid, rev in session.execute(
                    select(table.c.record_id, table.c.revision).where(
                        table.c.kind == kind, table.c.record_id.in_(ids[start:start + 500])))})
        removed, rejected, touched = [], [], []
        for result in results:
            kind = result.kind or kinds.get((result.id, result.revision))
            if kind is None or result.revision is None:
                continue
            key = {"k": kind, "r": result.id}
            if result.status == "rejected":
                counts.rejected += 1
            else:
                setattr(counts, result.status, getattr(counts, result.status) + 1)
                if result.status == "conflict":
                    conflicts[f"{kind}:{result.id}"] = result.message or result.code or ""
            if queued.get((kind, result.id)) != result.revision:
                counts.still_pending += 1  # edited while the batch was in flight: send the new revision
                touched.append(key)
            elif result.status == "rejected":
                rejected.append({**key, "code": result.code, "message": result.message})
            else:
                removed.append(key)
        match = (table.c.kind == bindparam("k"), table.c.record_id == bindparam("r"))
        if removed:
            session.execute(table.delete().where(*match), removed)
        if rejected:
            session.execute(table.update().where(*match).values(
                state="rejected", reject_code=bindparam("code"), reject_message=bindparam("message"),
                attempts=table.c.attempts + 1, last_attempt_at=now), rejected)
        if touched:
            session.execute(table.update().where(*match).values(
                attempts=table.c.attempts + 1, last_attempt_at=now), touched)
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
def _requeue(session, kinds: Iterable[str], *, everything: bool) -> int:
    """Queue every owned record of ``kinds``; ``everything`` also re-sends rows already queued or
    rejected (a new hub epoch: its earlier answers are void)."""
    now = utcnow()
    queued = 0
    for kind in kinds:
        rows = session.execute(_owned_query(kind, SYNCED_KINDS[kind].id, SYNCED_KINDS[kind].revision)).all()
        if not rows:
            continue
        statement = sqlite_insert(OutboxEntry.__table__)
        if everything:
            statement = statement.on_conflict_do_update(
                index_elements=["kind", "record_id"],
                set_={"revision": statement.excluded.revision, "state": "pending",
                      "reject_code": None, "reject_message": None})
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["kind", "record_id"])
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            queued += session.execute(statement, [
                {"kind": kind, "record_id": rid, "revision": rev, "queued_at": now, "state": "pending",
                 "attempts": 0} for rid, rev in chunk]).rowcount
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
