"""Taking back from the hub what a restored database lacks (docs/bad-day.md).

A database restored from a backup (``clinic-tui db restore``, or a backup copied over the file by
hand) has older revision counters than the hub: the hub holds what was sent after the backup was
made. Left alone, a new edit would get a revision the hub already holds, be answered "duplicate"
and dropped, and reconcile would resend whole tables every sync without effect.

So the clinic does not trust its own counters after a restore. Recovery runs when the database is
marked restored (``restored_from``, written by ``db restore``), when the hub answers "duplicate"
naming a revision above the one sent (the hub is ahead: a restore by hand), or when reconcile still
differs after its resend. It reads every record this clinic pushed, as the hub holds it
(``GET /sync/own``, one kind at a time, in pages of ids), and for each:

- the clinic holds a newer revision: nothing to do;
- the clinic changed it after the hub's version was made (queued, and its ``updated_at`` is the
  later one: an edit since the restore): the edit stands, and its revision is lifted above the
  hub's (row and outbox row together) so the hub accepts it;
- otherwise the hub's version is the newer one (or the same): it is written locally with its
  revision, and a queued older version (pending when the backup was made, or queued again by
  reconcile) leaves the outbox: the hub has something newer.

Each page is one transaction (foreign keys checked at its commit); kinds go in the order of
``SYNCED_KINDS``, staff and residents before what refers to them. Staff PINs never leave the clinic
(``pin_hash`` is private), so a staff member taken back has no PIN until one is set again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from clinic_tui.data.maintenance import RESTORED_KEY
from clinic_tui.sync.local import Database, orm_engine, reading, writing
from clinic_tui.sync.tables import SYNCED_TABLES

if TYPE_CHECKING:
    from sqlmodel import Session, SQLModel

HUB_NUMBERS_KEY = "hub_numbers"  # app_setting: per kind [count, hash] the hub held after the last clean sync,
# and the hub's protocol revision then


def stored_hub_numbers(engine: Database) -> dict[str, Any] | None:
    """What the hub held of this clinic when this database last synced cleanly (None: never)."""
    with reading(engine) as cursor:
        row = cursor.execute("SELECT value FROM app_setting WHERE key = ?", (HUB_NUMBERS_KEY,)).fetchone()
    return None if row is None else json.loads(row[0])


def store_hub_numbers(
    engine: Database, epoch: str, kinds: dict[str, Any], protocol_revision: int | None = None
) -> None:
    """``protocol_revision``: the hub's, as this sync's last answer named it (``state.compare_first``)."""
    numbers: dict[str, Any] = {"epoch": epoch, "kinds": {k: [v.count, v.hash] for k, v in sorted(kinds.items())}}
    if protocol_revision is not None:
        numbers["protocol_revision"] = protocol_revision
    value = json.dumps(numbers)
    with writing(engine) as cursor:
        cursor.execute(
            "INSERT INTO app_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (HUB_NUMBERS_KEY, value),
        )


def kinds_changed_on_the_hub(stored: dict[str, Any] | None, epoch: str, kinds: dict[str, Any]) -> list[str]:
    """The kinds whose numbers on the hub differ from those this database saw at its last clean
    sync. Only this clinic's pushes change them, so a difference means the database is older than
    what it sent: it was restored from a backup. A new epoch (the hub restored) is handled by the
    epoch rule instead."""
    now = {k: [v.count, v.hash] for k, v in kinds.items()}
    if stored is None or stored.get("epoch") != epoch:
        # Never synced cleanly with this version (or the hub was restored): nothing to compare
        # with; "duplicate" answers naming newer revisions and reconcile still catch a restore.
        return []
    before = stored.get("kinds", {})
    return sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))


@dataclass
class RecoveryResult:
    taken_back: int = 0  # records written from the hub's copy (missing or older locally)
    lifted: int = 0  # local edits whose revision was raised above the hub's
    seen: int = 0
    # The clinic's own events on a referral the hospital made (a downward referral it acknowledged):
    # that referral comes by pull, after the take-back; these wait for it (see WAITING_KINDS).
    waiting: int = 0


# Kinds whose records may point at a record the hub owns, which arrives by pull: taken back again
# after the pull when some of them waited (a rebuilt clinic has no downward referral before it).
WAITING_KINDS = ("referral_event",)


def marked_restored(engine: Database) -> bool:
    """Whether ``db restore`` marked the database and no recovery has finished since."""
    with reading(engine) as cursor:
        return cursor.execute("SELECT 1 FROM app_setting WHERE key = ?", (RESTORED_KEY,)).fetchone() is not None


def _column_values(model: type[SQLModel], data: dict[str, Any]) -> dict[str, Any]:
    from clinic_tui.data.models.base import UTCDateTime, table_of
    from clinic_tui.data.records import PRIVATE_FIELDS

    values = {}
    for column in table_of(model).columns:
        if column.name not in data or column.name in PRIVATE_FIELDS:
            continue
        value = data[column.name]
        if value is not None and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and column.type.python_type is date and isinstance(value, str):
            value = date.fromisoformat(value)
        values[column.name] = value
    return values


def apply_own_page(engine: Database, kind: str, records: list[Any], result: RecoveryResult) -> None:
    """Take back one page of the hub's copies of this clinic's records (rules in the module doc)."""
    # The ORM: a take-back is rare (after a restore) and writes records as the app does.
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import SYNCED_KINDS, AuditEntry, OutboxEntry
    from clinic_tui.data.records import _refresh_dependents, _refresh_derived

    model = SYNCED_KINDS[kind]
    touched: set[str] = set()  # referrals whose events came back: their shown status follows them
    with unit_of_work(orm_engine(engine)) as session:
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked at commit
        for record in records:
            result.seen += 1
            row = session.get(model, record.id)
            queued = session.get(OutboxEntry, (kind, record.id))
            if row is not None and row.revision > record.revision:
                continue  # the clinic is ahead (its newer revision is queued or confirmed)
            if queued is not None and row is not None and row.updated_at > record.updated_at:
                # Edited here after the hub's version was made (after the restore): the edit
                # stands, with a revision above the hub's so that the hub accepts it.
                row.revision = queued.revision = record.revision + 1
                session.add_all([row, queued])
                result.lifted += 1
                continue
            if queued is not None:
                session.delete(queued)  # the hub's version is the newer (or the same): nothing to send
            if row is not None and row.revision == record.revision:
                continue
            if (
                kind == "referral_event"
                and session.get(SYNCED_KINDS["referral"], record.data.get("referral_id")) is None
            ):
                result.waiting += 1  # its referral is the hospital's: it comes with the pull
                continue
            values = _column_values(model, record.data)
            values.update(revision=record.revision, updated_at=record.updated_at, deleted=record.deleted)
            with session.no_autoflush:
                if row is None:
                    row = model(**values)
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
                _refresh_derived(row)
                session.add(row)
            session.flush()
            _refresh_dependents(session, row)
            session.add(
                AuditEntry(
                    user_id=None,
                    action="receive",
                    kind=kind,
                    record_id=record.id,
                    revision=record.revision,
                    changes={"taken_back": [None, "hub"]},
                )
            )
            result.taken_back += 1
            if kind == "referral_event":
                touched.add(row.referral_id)  # type: ignore[attr-defined]
        _follow_events(session, touched)


def _follow_events(session: Session, referral_ids: set[str]) -> None:
    """A referral's shown status is derived from its events (data/referral_status.py): after its
    events were taken back (an acknowledged downward referral, on a rebuilt PC), derive it again, as
    a pull does, or the slip would ask to be acknowledged a second time."""
    from clinic_tui.data.models import Referral
    from clinic_tui.data.referral_status import recompute_status

    for referral_id in sorted(referral_ids):
        referral = session.get(Referral, referral_id)
        if referral is not None:
            recompute_status(session, referral)


def take_back(
    engine: Database,
    fetch: Callable[[str, str | None], Any],
    kinds: Iterable[str] | None = None,
    check_cancel: Callable[[], None] = lambda: None,
) -> RecoveryResult:
    """Page through ``kinds`` (all by default) with ``fetch(kind, after)`` (``HubClient.own``) and
    apply each page; clears the ``restored_from`` mark when every kind was done. Safe to run again
    after an interruption."""
    result = RecoveryResult()
    wanted = set(SYNCED_TABLES) if kinds is None else set(kinds)
    for kind in (k for k in SYNCED_TABLES if k in wanted):
        after = None
        while True:
            check_cancel()
            page = fetch(kind, after)
            apply_own_page(engine, kind, page.records, result)
            after = page.next_after
            if after is None:
                break
    if kinds is not None and wanted != set(SYNCED_TABLES) or result.waiting:
        return result
    clear_restored_mark(engine)
    return result


def clear_restored_mark(engine: Database) -> None:
    """Recovery is complete: the next sync compares numbers as usual."""
    with writing(engine) as cursor:
        cursor.execute("DELETE FROM app_setting WHERE key = ?", (RESTORED_KEY,))
