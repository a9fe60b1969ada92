"""Applying what the hub sends down (pull): one page and its cursor in one transaction.

The hub's records are its own (sync invariant 5, docs/architecture-sync.md): the hospital's
referral events and appointments, downward referrals, its moves on remote requests
(``remote_event``), its lab's moves on lab orders (``lab_event``), the directory and notices. They are upserted
by id keeping the highest revision, never put in the outbox, and never applied over a local row
whose outbox entry is still pending (sync invariant 4). After a hospital event the referral's
effective status is recomputed as a derived value, with an audit entry "receive" and no outbox row
(it is not a clinic edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from clinic_tui.data.db import unit_of_work
from clinic_tui.data.models import (
    AppSetting,
    AuditEntry,
    BedPool,
    Broadcast,
    Clinic,
    Department,
    ExamEvent,
    ExamPool,
    Hospital,
    LabEvent,
    OutboxEntry,
    Referral,
    ReferralEvent,
    RemoteEvent,
    Resident,
    SlotPool,
    SyncCursor,
    utcnow,
)
from clinic_tui.sync.state import PULL_CURSOR


@dataclass
class PageResult:
    applied: int = 0
    skipped: int = 0  # older or equal revision, unknown kind, or a local edit still pending
    referrals_touched: set[str] = field(default_factory=set)


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class _Context:
    def __init__(self, session: Session):
        self.session = session
        self._clinics = {code: cid for cid, code in session.execute(select(col(Clinic.id), col(Clinic.code))).all()}
        setting = session.get(AppSetting, "clinic_id")
        self.default_clinic = setting.value if setting else next(iter(self._clinics.values()), None)
        self._arrival: int | None = None
        self._arrivals: dict[type, int] = {}

    def clinic_id(self, code: Any) -> str | None:
        """The hub names the addressee by clinic code; locally rows point at the clinic's id."""
        return self._clinics.get(code) or self.default_clinic

    def next_arrival(self) -> int:
        """The place of a newly arrived remote event: after every one before it."""
        if self._arrival is None:
            self._arrival = self.session.execute(
                select(func.coalesce(func.max(col(RemoteEvent.arrival)), 0))
            ).scalar_one()
        self._arrival += 1
        return self._arrival

    def next_arrival_of(self, model: Any) -> int:
        """The place of a newly arrived lab or exam event: after every one of its kind before it."""
        if model not in self._arrivals:
            self._arrivals[model] = self.session.execute(
                select(func.coalesce(func.max(col(model.arrival)), 0))
            ).scalar_one()
        self._arrivals[model] += 1
        return self._arrivals[model]

    def pending(self, kind: str, record_id: str) -> bool:
        return self.session.get(OutboxEntry, (kind, record_id)) is not None


def _newer(row: Any, change: Any) -> bool:
    return row is None or change.revision > row.revision


def _common(change: Any) -> dict[str, Any]:
    data = change.data
    return {
        "revision": change.revision,
        "updated_at": _when(change.updated_at) or utcnow(),
        "deleted": change.deleted,
        "author_id": data.get("author_id"),
        "created_at": _when(data.get("created_at")) or _when(change.updated_at) or utcnow(),
    }


def _set(row: Any, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


_EVENT_FIELDS = (
    "from_status",
    "to_status",
    "actor",
    "actor_name",
    "reason",
    "appointment_department_code",
    "appointment_department_name",
    "appointment_doctor",
    "appointment_slot_id",
    "bed_pool_id",
)


def _referral_event(ctx: _Context, change: Any, result: PageResult) -> bool:
    data = change.data
    if ctx.session.get(Referral, data.get("referral_id")) is None:
        return False  # about a referral this database does not hold (another PC's): nothing to attach to
    row = ctx.session.get(ReferralEvent, change.id)
    if not _newer(row, change):
        return False
    values = {name: data.get(name) for name in _EVENT_FIELDS}
    values.update(
        _common(change),
        origin="hub",
        referral_id=data["referral_id"],
        clinic_id=ctx.clinic_id(data.get("clinic_id")),
        at=_when(data.get("at")) or utcnow(),
        appointment_at=_when(data.get("appointment_at")),
        admission_at=_when(data.get("admission_at")),
    )
    if values["actor"] is None:
        values["actor"] = "hospital"
    if values["to_status"] is None:
        return False
    if row is None:
        row = ReferralEvent(id=change.id, **values)
    else:
        _set(row, values)
    ctx.session.add(row)
    result.referrals_touched.add(data["referral_id"])
    return True


_DOWN_FIELDS = (
    "referral_no",
    "urgency",
    "from_org_code",
    "from_org_name",
    "from_department",
    "from_doctor_name",
    "to_org_code",
    "to_org_name",
    "patient_name",
    "patient_sex",
    "patient_id_type",
    "patient_id_number",
    "patient_phone",
    "patient_address",
    "patient_insurance_type",
    "patient_insurance_no",
    "outcome",
    "treatment_plan",
    "rehab_guidance",
    "medication_to_continue",
    "reason",
)


def _down_referral(ctx: _Context, change: Any, result: PageResult) -> bool:
    data = change.data
    row = ctx.session.get(Referral, change.id)
    if row is not None and row.origin != "hub":
        return False  # an id the clinic made: the hub never writes over the clinic's rows
    if not _newer(row, change):
        return False
    values = {name: data.get(name) for name in _DOWN_FIELDS}
    resident_id = data.get("resident_id")
    if resident_id and ctx.session.get(Resident, resident_id) is None:
        resident_id = None
    values.update(
        _common(change),
        origin="hub",
        direction="down",
        clinic_id=ctx.clinic_id(data.get("clinic_id")),
        referral_date=_day(data.get("referral_date")) or utcnow().date(),
        resident_id=resident_id,
        patient_birth_date=_day(data.get("patient_birth_date")),
        patient_name=data.get("patient_name") or "",
        urgency=data.get("urgency") or "normal",
        discharge_diagnoses=data.get("discharge_diagnoses") or [],
        followup_schedule=data.get("followup_schedule") or [],
    )
    if row is None:
        row = Referral(id=change.id, status=data.get("status") or "received", **values)
    else:
        _set(row, values)  # the status stays: it is derived from the events (the clinic's moves)
    ctx.session.add(row)
    result.referrals_touched.add(change.id)
    return True


def _hub_row(model: type, ctx: _Context, change: Any, values: dict[str, Any]) -> bool:
    row = ctx.session.get(model, change.id)
    if not _newer(row, change):
        return False
    values.update(revision=change.revision, updated_at=_when(change.updated_at) or utcnow(), deleted=change.deleted)
    if row is None:
        row = model(id=change.id, **values)
    else:
        _set(row, values)
    ctx.session.add(row)
    ctx.session.flush()  # departments refer to the hospital, pools to departments, in one page
    return True


def _hospital(ctx: _Context, change: Any, _result: PageResult) -> bool:
    data = change.data
    return _hub_row(Hospital, ctx, change, {"code": data.get("code") or "", "name": data.get("name") or ""})


def _department(ctx: _Context, change: Any, _result: PageResult) -> bool:
    data = change.data
    if ctx.session.get(Hospital, data.get("hospital_id")) is None:
        return False
    return _hub_row(
        Department,
        ctx,
        change,
        {
            "hospital_id": data["hospital_id"],
            "code": data.get("code") or "",
            "name": data.get("name") or "",
            "active": bool(data.get("active", True)),
        },
    )


def _pool(model: type, ctx: _Context, change: Any) -> bool:
    """A slot_pool or bed_pool record: the same fields, each in its own table."""
    data = change.data
    if ctx.session.get(Department, data.get("department_id")) is None:
        return False
    return _hub_row(
        model,
        ctx,
        change,
        {
            "department_id": data["department_id"],
            "day": _day(data.get("day")),
            "total": int(data.get("total") or 0),
            "reserved_for_primary": int(data.get("reserved_for_primary") or 0),
            "remaining": int(data.get("remaining") or 0),
        },
    )


def _slot_pool(ctx: _Context, change: Any, _result: PageResult) -> bool:
    return _pool(SlotPool, ctx, change)


def _bed_pool(ctx: _Context, change: Any, _result: PageResult) -> bool:
    return _pool(BedPool, ctx, change)


def _broadcast(ctx: _Context, change: Any, _result: PageResult) -> bool:
    data = change.data
    return _hub_row(
        Broadcast,
        ctx,
        change,
        {"title": data.get("title") or "", "body": data.get("body") or "", "received_at": utcnow()},
    )


_REMOTE_FIELDS = (
    "request_no",
    "from_status",
    "actor_name",
    "reason",
    "expert",
    "findings",
    "conclusion",
    "advice",
    "reporting_doctor",
    "reviewing_doctor",
    "critical_note",
    "service_item_code",
)


def _remote_event(ctx: _Context, change: Any, result: PageResult) -> bool:
    """The hospital's move on a remote request. Kept even when this database does not hold the
    request (the sync screen names such answers; a rebuild's take-back brings the request later):
    the shown state is derived from these rows (data/remote_requests.py), so nothing else changes.
    A second delivery of the same revision changes nothing; the first arrival's place is kept."""
    data = change.data
    row = ctx.session.get(RemoteEvent, change.id)
    if not _newer(row, change) or not data.get("request_id") or not data.get("to_status"):
        return False
    fee = data.get("fee")
    values = {name: data.get(name) for name in _REMOTE_FIELDS}
    values.update(
        revision=change.revision,
        updated_at=_when(change.updated_at) or utcnow(),
        deleted=change.deleted,
        request_id=str(data["request_id"]),
        to_status=str(data["to_status"]),
        actor=data.get("actor") or "hospital",
        at=_when(data.get("at")) or utcnow(),
        scheduled_at=_when(data.get("scheduled_at")),
        signed_at=_when(data.get("signed_at")),
        critical=data.get("critical") is True,
        fee=None if fee is None else str(fee),
    )
    if row is None:
        row = RemoteEvent(id=change.id, arrival=ctx.next_arrival(), received_at=utcnow(), **values)
    else:
        _set(row, values)
    ctx.session.add(row)
    return True


def _event(model: Any, ctx: _Context, change: Any, link: str, values: dict[str, Any]) -> bool:
    """A hub's move on a clinic's request (a lab order, an examination booking): kept, like a remote
    event, even when this database does not hold the request; the shown state is derived from
    these rows. The same revision again changes nothing; the first arrival's place is kept."""
    data = change.data
    row = ctx.session.get(model, change.id)
    if not _newer(row, change) or not data.get(link) or not data.get("to_status"):
        return False
    values.update(
        {
            "revision": change.revision,
            "updated_at": _when(change.updated_at) or utcnow(),
            "deleted": change.deleted,
            link: str(data[link]),
            "to_status": str(data["to_status"]),
            "from_status": data.get("from_status"),
            "actor_name": data.get("actor_name"),
            "at": _when(data.get("at")) or utcnow(),
            "reason": data.get("reason"),
            "reporter": data.get("reporter"),
            "reported_at": _when(data.get("reported_at")),
            "institution": data.get("institution"),
            "recognised": data.get("recognised") is True,
            "critical": data.get("critical") is True,
        }
    )
    if row is None:
        row = model(id=change.id, arrival=ctx.next_arrival_of(model), received_at=utcnow(), **values)
    else:
        _set(row, values)
    ctx.session.add(row)
    return True


def _lab_event(ctx: _Context, change: Any, _result: PageResult) -> bool:
    """The lab's move on a lab order (received, rejected, reported with its results; data/lab_orders.py)."""
    data = change.data
    results = data.get("results")
    attempt = data.get("attempt")
    values = {
        "order_no": data.get("order_no"),
        "attempt": attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 1,
        "results": [r for r in results if isinstance(r, dict)] if isinstance(results, list) else [],
        "reviewer": data.get("reviewer"),
        **_lab_revision(data),
    }
    return _event(LabEvent, ctx, change, "order_id", values)


def _exam_event(ctx: _Context, change: Any, _result: PageResult) -> bool:
    """The hospital's move on an examination booking (data/exam_bookings.py): the slot's day after
    it, and the report (findings, impression) once reported."""
    data = change.data
    slot = data.get("slot_number")
    values = {
        "booking_no": data.get("booking_no"),
        "day": _day(data.get("day")),
        "slot_number": slot if isinstance(slot, int) and not isinstance(slot, bool) else None,
        "findings": data.get("findings"),
        "impression": data.get("impression"),
    }
    return _event(ExamEvent, ctx, change, "booking_id", values)


def _exam_pool(ctx: _Context, change: Any, _result: PageResult) -> bool:
    """An examination's slots of one day (the booking form lists the free reserved ones)."""
    data = change.data
    if not data.get("item_code") or not data.get("day"):
        return False
    values = {
        "item_code": str(data["item_code"]),
        "item_name": str(data.get("item_name") or ""),
        "day": _day(data["day"]),
        "total": int(data.get("total") or 0),
        "reserved_for_primary": int(data.get("reserved_for_primary") or 0),
        "remaining": int(data.get("remaining") or 0),
    }
    return _hub_row(ExamPool, ctx, change, values)


def _lab_revision(data: dict[str, Any]) -> dict[str, Any]:
    """A partial report's tests still to come, a correction (the earlier value kept), and whether
    the event raised the critical alert: ``critical_raised``, or from a hub that predates it a
    report holding a critical value."""
    pending = data.get("pending")
    correction = data.get("correction")
    raised = data.get("critical_raised")
    return {
        "partial": data.get("partial") is True,
        "pending": [str(c) for c in pending if isinstance(c, str)] if isinstance(pending, list) else [],
        "correction": correction if isinstance(correction, dict) else None,
        "alert": raised is True
        if isinstance(raised, bool)
        else (data.get("to_status") == "reported" and data.get("critical") is True),
    }


def _referral(ctx: _Context, change: Any, result: PageResult) -> bool:
    return _down_referral(ctx, change, result) if change.data.get("direction") == "down" else False


APPLIERS = {
    "referral_event": _referral_event,
    "referral": _referral,
    "hospital": _hospital,
    "department": _department,
    "slot_pool": _slot_pool,
    "bed_pool": _bed_pool,
    "broadcast": _broadcast,
    "remote_event": _remote_event,
    "lab_event": _lab_event,
    "exam_event": _exam_event,
    "exam_pool": _exam_pool,
}


def _recompute(session: Session, referral_ids: set[str]) -> None:
    from clinic_tui.data.referral_status import recompute_status

    for referral_id in sorted(referral_ids):
        referral = session.get(Referral, referral_id)
        if referral is None:
            continue
        before = referral.status
        session.flush()
        after = recompute_status(session, referral)
        if after != before:
            session.add(
                AuditEntry(
                    user_id=None,
                    action="receive",
                    kind="referral",
                    record_id=referral.id,
                    revision=referral.revision,
                    changes={"status": [before, after]},
                )
            )


def apply_pull_page(engine: Engine, changes: list[Any], next_cursor: str, epoch: str) -> PageResult:
    """Apply one page of hub changes and store ``next_cursor`` with them, all or nothing."""
    result = PageResult()
    with unit_of_work(engine) as session:
        ctx = _Context(session)
        for change in changes:
            applier = APPLIERS.get(change.kind)
            if applier is None or ctx.pending(change.kind, change.id):
                result.skipped += 1
                continue
            with session.no_autoflush:
                applied = applier(ctx, change, result)
            if applied:
                session.flush()
                session.add(
                    AuditEntry(
                        user_id=None,
                        action="receive",
                        kind=change.kind,
                        record_id=change.id,
                        revision=change.revision,
                        changes={},
                    )
                )
                result.applied += 1
            else:
                result.skipped += 1
        _recompute(session, result.referrals_touched)
        cursor = session.get(SyncCursor, PULL_CURSOR) or SyncCursor(name=PULL_CURSOR)
        cursor.value, cursor.epoch, cursor.updated_at = next_cursor, epoch, utcnow()
        session.add(cursor)
    return result
