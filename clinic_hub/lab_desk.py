"""The lab desk: what the lead hospital's lab does with the specimens clinics send (issue 18,
tests at the lead hospital). Used by the JSON API (/api/v1/lab) and the web desk (/desk/lab).

Every move is checked by the domain's state machine (clinic_tui.domain.lab.transition), made in
the caller's transaction with the order's row locked, and becomes a hub-owned ``lab_event``
record addressed to the ordering clinic (the lab never edits the clinic's record). Results are
entered only against orders on the desk: an unknown number is refused (404 ``lab_not_found``), a
cancelled order too (409 ``lab_cancelled``); an order its clinic cancelled or deleted after the
lab received it is listed on the desk's exceptions list (``exceptions``), never dropped.
"""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import desk_moves, directory
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_hub.lab_intake import CANCELLED, LAB_HOLDS, REJECTED, REPORTED, record_move
from clinic_hub.lab_results import checked_results
from clinic_hub.models import Clinic, LabCorrection, LabMove, LabOrder, SyncRecord, table_of
from clinic_hub.schemas.lab import (
    LabCorrectionOut,
    LabDetail,
    LabMoveOut,
    LabMoveResult,
    LabResult,
    LabSummary,
    ReportLab,
)
from clinic_tui.domain import lab
from clinic_tui.domain.lab import Status
from clinic_tui.sync.wire import LAB_EVENT

_orders = table_of(LabOrder)
_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
_moves = table_of(LabMove)
_corrections = table_of(LabCorrection)

# The desk's queues: what waits for the specimen's arrival, what is on the bench, what is reported.
QUEUES: dict[str, tuple[str, ...]] = {
    "awaiting": (Status.SENT.value,),
    "received": (Status.RECEIVED.value,),
    "reported": (Status.REPORTED.value,),
    "rejected": (Status.REJECTED.value,),
}
LAB = desk_moves.Desk(
    "lab",
    "order",
    _orders,
    LAB_EVENT,
    lab.WORKFLOW,
    carried=("attempt",),
    moves=_moves,
    history=record_move,
    sign=desk_moves.signer,
)
PRIORITIES = tuple(sorted((p.value for p in lab.Priority), key=lambda p: lab.priority_key(p, datetime.min)))


def _query():
    rank = sa.case({p: i for i, p in enumerate(PRIORITIES)}, value=_orders.c.priority, else_=len(PRIORITIES))
    return (
        sa.select(_orders, _clinics.c.code.label("clinic_code"), _records.c.data)
        .join(_clinics, _clinics.c.id == _orders.c.clinic_id)
        .join(_records, _records.c.id == _orders.c.id)
        .order_by(rank, _orders.c.ordered_at, _orders.c.order_no)
    )


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _summary(row) -> LabSummary:
    data = row.data if isinstance(row.data, dict) else {}
    items = data.get("items")
    return LabSummary(
        id=row.id,
        order_no=row.order_no,
        clinic_code=row.clinic_code,
        specimen=row.specimen,
        priority=row.priority,
        status=row.status,
        clinic_status=row.clinic_status,
        attempt=row.attempt,
        deleted=row.deleted,
        barcode=row.barcode,
        items=[i for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
        ordered_at=as_utc(row.ordered_at),
        sent_at=as_utc(row.sent_at),
        received_at=as_utc(row.received_at),
        rejected_reason=row.rejected_reason,
        reported_at=as_utc(row.reported_at),
        critical=row.critical,
        critical_ack_at=as_utc(row.critical_ack_at),
        critical_ack_by=row.critical_ack_by,
        critical_pending=_critical_pending(row),
        partial=row.status == Status.RECEIVED.value and bool(row.results),
        patient_name=_string(data, "patient_name"),
        patient_sex=_string(data, "patient_sex"),
    )


def _critical_pending(row) -> bool:
    """A critical value stands whose latest alert (the report, or a correction that made a value
    critical) the clinic has not acknowledged."""
    return bool(row.critical) and (row.critical_ack_event is None or row.critical_ack_event != row.critical_event)


def list_orders(
    conn: Connection,
    queue: str | None = None,
    status: str | None = None,
    clinic_code: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[LabSummary]:
    """A queue (QUEUES) or one state: urgent first, then the oldest order."""
    query = _query().where(_orders.c.deleted.is_(False))
    if queue:
        query = query.where(_orders.c.status.in_(QUEUES[queue]))
    if status:
        query = query.where(_orders.c.status == status)
    if clinic_code:
        query = query.where(_clinics.c.code == clinic_code.strip().upper())
    return [_summary(row) for row in conn.execute(query.limit(limit).offset(offset))]


def queue_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.select(_orders.c.status, sa.func.count()).where(_orders.c.deleted.is_(False)).group_by(_orders.c.status)
    ).all()
    by_status = {status: int(count) for status, count in rows}
    return {queue: sum(by_status.get(s, 0) for s in states) for queue, states in QUEUES.items()}


def unacknowledged_critical(conn: Connection, limit: int = 200) -> list[LabSummary]:
    """Reported critical values (in full or partial results) whose latest alert the clinic has not
    acknowledged yet (the hospital follows them up)."""
    query = _query().where(
        _orders.c.critical.is_(True),
        sa.or_(
            _orders.c.critical_ack_event.is_(None),
            _orders.c.critical_ack_event != sa.func.coalesce(_orders.c.critical_event, ""),
        ),
        _orders.c.status.in_((Status.REPORTED.value, Status.RECEIVED.value)),
        _orders.c.deleted.is_(False),
    )
    return [_summary(row) for row in conn.execute(query.limit(limit))]


def exceptions(conn: Connection, limit: int = 200) -> list[LabSummary]:
    """Orders the lab holds that their clinic cancelled or deleted afterwards (the clinic's move
    was refused as too late, ``sync_conflict``): a specimen or results nobody at the clinic waits
    for, to sort out by telephone; never silently dropped."""
    query = _query().where(
        _orders.c.status.in_(LAB_HOLDS),
        sa.or_(_orders.c.clinic_status == CANCELLED, _orders.c.deleted.is_(True)),
    )
    return [_summary(row) for row in conn.execute(query.limit(limit))]


def _find(conn: Connection, order_no: str, lock: bool = False):
    return desk_moves.find(conn, LAB, _query(), order_no, lock)


def get_order(conn: Connection, order_no: str) -> LabDetail:
    row = _find(conn, order_no)
    history = desk_moves.history(conn, LAB, row.id, LabMoveOut)
    corrections = [
        LabCorrectionOut(
            code=c.code,
            name=c.name,
            previous_value=c.previous_value,
            previous_flag=c.previous_flag,
            value=c.value,
            flag=c.flag,
            reason=c.reason,
            corrected_by=c.corrected_by,
            at=as_utc(c.at),
            event_id=c.event_id,
        )
        for c in conn.execute(
            sa.select(_corrections)
            .where(_corrections.c.order_id == row.id, _corrections.c.attempt == row.attempt)
            .order_by(_corrections.c.id)
        )
    ]
    data = row.data if isinstance(row.data, dict) else {}
    results = row.results or []
    done = {str(r.get("code")) for r in results}
    return LabDetail(
        **_summary(row).model_dump(),
        data=data,
        results=[LabResult(**r) for r in results],
        pending=[
            str(i.get("code"))
            for i in data.get("items") or []
            if isinstance(i, dict) and str(i.get("code")) not in done
        ],
        corrections=corrections,
        reporter=row.reporter,
        reviewer=row.reviewer,
        institution=row.institution,
        recognised=row.recognised,
        history=history,
    )


def _check(row, target: str, reason: str | None = None, expected: str | None = None) -> None:
    """The move checked (desk_moves.check) after the order's cancellation by its clinic."""
    _not_cancelled(row)
    desk_moves.check(LAB, row, target, reason, expected)


def _not_cancelled(row) -> None:
    if row.status == CANCELLED:
        raise ApiError(409, "lab_cancelled", order_no=row.order_no)


def _result(conn: Connection, order_no: str, event_id: str) -> LabMoveResult:
    return LabMoveResult(order=_summary(_find(conn, order_no)), event_id=event_id)


def receive(
    conn: Connection, actor: Principal, order_no: str, note: str | None = None, expected: str | None = None
) -> LabMoveResult:
    """已接收: the specimen arrived in the lab, usable."""
    row = _find(conn, order_no, lock=True)
    _check(row, Status.RECEIVED.value, expected=expected)
    event_id = desk_moves.move(
        conn, LAB, row, Status.RECEIVED.value, actor, note or None, values={"received_at": utcnow()}
    )
    return _result(conn, row.order_no, event_id)


def reject(
    conn: Connection, actor: Principal, order_no: str, reason: str, expected: str | None = None
) -> LabMoveResult:
    """已拒收: the specimen is unusable (haemolysed, clotted, unlabelled...); the clinic recollects."""
    if not (reason or "").strip():
        raise ApiError(422, "reason_required")
    row = _find(conn, order_no, lock=True)
    _check(row, REJECTED, reason=reason, expected=expected)
    reason = reason.strip()
    # Results reported in part from an unusable specimen go with it: the next specimen starts afresh.
    values = {"rejected_reason": reason, "results": [], "critical": False, "critical_event": None}
    return _result(conn, row.order_no, desk_moves.move(conn, LAB, row, REJECTED, actor, reason, values=values))


def report(
    conn: Connection, actor: Principal, order_no: str, body: ReportLab, expected: str | None = None
) -> LabMoveResult:
    """已报告: every ordered test's result, entered by the caller; critical values flagged and
    published to the clinic at once (its next pull), listed on the desk until it acknowledges.

    With ``body.partial`` some tests now and the rest later: each part is published at once (a
    critical value in it too) with ``partial`` and the tests still ``pending``, and the order
    stays received until the last result comes, which reports it."""
    row = _find(conn, order_no, lock=True)
    earlier = list(row.results or []) if row.status == Status.RECEIVED.value else []
    data = row.data if isinstance(row.data, dict) else {}
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    results = checked_results(items, body, earlier) if row.status != CANCELLED else []
    event_id = publish_results(
        conn,
        row,
        actor,
        results,
        reviewer=body.reviewer,
        institution=body.institution,
        recognised=body.recognised,
        expected=expected,
    )
    return _result(conn, row.order_no, event_id)


def publish_results(
    conn: Connection,
    row,
    actor: Principal,
    results: list[dict[str, Any]],
    *,
    reviewer: str | None = None,
    institution: str | None = None,
    recognised: bool = True,
    reporter: str | None = None,
    reported_at: datetime | None = None,
    expected: str | None = None,
) -> str:
    """Publish the order's results as they stand (``results``: every one so far, in the order's
    order): the report when every ordered test has one, else a partial report. ``reporter`` and
    ``reported_at`` are the lab system's (a CSV import), else the caller and now."""
    earlier = list(row.results or []) if row.status == Status.RECEIVED.value else []
    data = row.data if isinstance(row.data, dict) else {}
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    complete = len(results) == len(items)
    target = REPORTED if complete else Status.RECEIVED.value
    if complete:
        _check(row, REPORTED, expected=expected)
    else:
        _check_holds(row, (Status.RECEIVED.value,), expected)
    now = utcnow()
    reported_at = reported_at or now
    _code, hospital_name = directory.hospital(conn)
    fields = {
        "results": results,
        "reporter": (reporter or "").strip()[:100] or desk_moves.signer(conn, actor),
        "reviewer": (reviewer or "").strip()[:100] or None,
        "institution": (institution or "").strip() or hospital_name or None,
        "recognised": recognised,
        "critical": lab.has_critical(results),
    }
    before = {str(r.get("code")) for r in earlier}
    raised = any(r["flag"] == lab.Flag.CRITICAL and r["code"] not in before for r in results)
    event_id = str(uuid.uuid4())
    pending = [str(i.get("code")) for i in items if str(i.get("code")) not in {r["code"] for r in results}]
    values: dict[str, Any] = {**fields, "reported_at": reported_at if complete else None}
    if raised:
        values["critical_event"] = event_id
    desk_moves.move(
        conn,
        LAB,
        row,
        target,
        actor,
        extra={
            **fields,
            "reported_at": reported_at.isoformat(),
            "partial": not complete,
            "pending": pending,
            "critical_raised": raised,
        },
        values=values,
        now=now,
        event_id=event_id,
    )
    return event_id


def _check_holds(row, states: tuple[str, ...], expected: str | None) -> None:
    """A results-bearing event that moves nothing (a partial report, a correction): the order
    must be in one of ``states``, and in the one the caller saw."""
    _not_cancelled(row)
    if expected is not None and expected != row.status:
        raise desk_moves.taken(LAB, row)
    if row.status not in states:
        raise ApiError(409, "illegal_transition", from_status=row.status, to_status=states[0])


def turnaround(conn: Connection, month: str) -> tuple[int, float | None]:
    """The orders reported in ``month`` (YYYY-MM, China time) and the median time from the order
    to its report, in minutes (None when none was reported)."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=directory.CHINA_TZ)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=directory.CHINA_TZ)
    rows = conn.execute(
        sa.select(_orders.c.ordered_at, _orders.c.reported_at).where(
            _orders.c.reported_at >= start.astimezone(UTC),
            _orders.c.reported_at < end.astimezone(UTC),
            _orders.c.deleted.is_(False),
        )
    )
    minutes = [max((as_utc(reported) - as_utc(ordered)).total_seconds() / 60, 0.0) for ordered, reported in rows]
    return len(minutes), (statistics.median(minutes) if minutes else None)
