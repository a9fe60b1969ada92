"""The remote consultation and reading desk: what the hospital does with the remote requests
clinics send (issue 18). Used by the JSON desk API, the web desk and the CLI.

Every move is checked by the domain's state machine (clinic_tui.domain.remote.transition), made in
the caller's transaction with the request's row locked, and becomes a hub-owned ``remote_event``
record addressed to the requesting clinic (the hospital never edits the clinic's record). Two staff
answering the same request at once: the second waits on the row lock, then finds the request moved
and is refused (409), so only one answer reaches the clinic.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import desk_moves, directory, remote_files
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_hub.models import (
    Clinic,
    RemoteMove,
    RemoteRequest,
    SyncRecord,
    table_of,
)
from clinic_hub.remote_intake import record_move
from clinic_hub.schemas.remote import (
    RemoteAttachmentOut,
    RemoteDetail,
    RemoteMoveOut,
    RemoteMoveResult,
    RemoteReport,
    RemoteSummary,
    ReportRemote,
    ScheduleRemote,
)
from clinic_tui.domain import remote
from clinic_tui.domain.remote import Service, Status
from clinic_tui.sync.wire import REMOTE_EVENT

_requests = table_of(RemoteRequest)
_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
_moves = table_of(RemoteMove)
# Its events name a staff member only: the command line's moves and the sweep's name no one.
REMOTE = desk_moves.Desk(
    "remote",
    "request",
    _requests,
    REMOTE_EVENT,
    remote.WORKFLOW,
    moves=_moves,
    history=record_move,
    sign=desk_moves.staff_signer,
)

# The hospital's reading rooms and the services each one answers (a grouping of the hub's desk).
ROOMS: dict[str, tuple[str, ...]] = {
    "consult": (Service.CONSULT_VIDEO.value, Service.CONSULT_ASYNC.value),
    "ecg": (Service.ECG.value,),
    "imaging": (Service.IMAGING_DR.value, Service.IMAGING_CT.value, Service.IMAGING_US.value),
    "pathology": (Service.PATHOLOGY.value,),
}
ROOM_OF = {service: room for room, services in ROOMS.items() for service in services}
STATUSES = tuple(s.value for s in Status)
# Urgent first: the domain's order of a reading room's queue (remote.priority_key).
URGENCIES = tuple(sorted((u.value for u in remote.Urgency), key=lambda u: remote.priority_key(u, date.min)))
# The shortest overdue limit: rows requested more recently than this cannot be overdue yet.
SHORTEST_LIMIT = min(remote.DEFAULT_ACCEPT_WITHIN.values())


def _query():
    urgency_rank = sa.case({u: i for i, u in enumerate(URGENCIES)}, value=_requests.c.urgency, else_=len(URGENCIES))
    return (
        sa.select(_requests, _clinics.c.code.label("clinic_code"), _records.c.data)
        .join(_clinics, _clinics.c.id == _requests.c.clinic_id)
        .join(_records, _records.c.id == _requests.c.id)
        .order_by(urgency_rank, _requests.c.requested_at, _requests.c.request_no)
    )


def _string(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _summary(row, now: datetime | None = None) -> RemoteSummary:
    data = row.data if isinstance(row.data, dict) else {}
    requested_at = as_utc(row.requested_at)
    return RemoteSummary(
        id=row.id,
        request_no=row.request_no,
        clinic_code=row.clinic_code,
        service=row.service,
        room=ROOM_OF.get(row.service, ""),
        urgency=row.urgency,
        status=row.status,
        deleted=row.deleted,
        overdue=is_late(row.status, row.service, row.urgency, requested_at, now or utcnow()),
        requested_at=requested_at,
        accepted_at=as_utc(row.accepted_at),
        scheduled_at=as_utc(row.scheduled_at),
        expert=row.expert,
        reported_at=as_utc(row.reported_at),
        critical=row.critical,
        critical_ack_at=as_utc(row.critical_ack_at),
        critical_ack_by=row.critical_ack_by,
        report_read_at=as_utc(row.report_read_at),
        report_read_by=row.report_read_by,
        patient_name=_string(data, "patient_name"),
        patient_sex=_string(data, "patient_sex"),
    )


def is_late(status: str, service: str, urgency: str, requested_at: datetime, now: datetime) -> bool:
    """Overdue on the desk: marked so by the sweep, or past its limit and not yet swept."""
    if status == Status.TIMED_OUT:
        return True
    try:
        return remote.is_overdue(status, service, urgency, requested_at, now)
    except ValueError:  # a service or urgency the domain does not know (never stored by intake)
        return False


def list_requests(
    conn: Connection,
    room: str | None = None,
    status: str | tuple[str, ...] | None = None,
    urgency: str | None = None,
    clinic_code: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[RemoteSummary]:
    """A queue: urgent first, then the oldest request; ``status`` one state or several."""
    query = _query().where(_requests.c.deleted.is_(False))
    if room:
        query = query.where(_requests.c.service.in_(ROOMS[room]))
    if isinstance(status, tuple) and status:
        query = query.where(_requests.c.status.in_(status))
    elif isinstance(status, str) and status:
        query = query.where(_requests.c.status == status)
    if urgency:
        query = query.where(_requests.c.urgency == urgency)
    if clinic_code:
        query = query.where(_clinics.c.code == clinic_code)
    now = utcnow()
    rows = list(conn.execute(query.limit(limit).offset(offset)))
    summaries = [_summary(row, now) for row in rows]
    remote_files.with_attachments(conn, summaries, {row.id: row.clinic_id for row in rows})
    return summaries


def status_counts(conn: Connection, room: str | None = None) -> dict[str, int]:
    query = (
        sa.select(_requests.c.status, sa.func.count())
        .where(_requests.c.deleted.is_(False))
        .group_by(_requests.c.status)
    )
    if room:
        query = query.where(_requests.c.service.in_(ROOMS[room]))
    return {status: count for status, count in conn.execute(query)}


def unacknowledged_critical(conn: Connection, room: str | None = None, limit: int = 100) -> list[RemoteSummary]:
    """Reports that flagged a critical value (危急值) the clinic has not acknowledged yet, oldest first."""
    query = (
        _query()
        .where(_requests.c.critical.is_(True), _requests.c.critical_ack_at.is_(None), _requests.c.deleted.is_(False))
        .order_by(None)
        .order_by(_requests.c.reported_at, _requests.c.request_no)
    )
    if room:
        query = query.where(_requests.c.service.in_(ROOMS[room]))
    return [_summary(row) for row in conn.execute(query.limit(limit))]


def _find(conn: Connection, request_no: str, lock: bool = False):
    """The request; with ``lock`` (to move it) also refuse one its clinic has deleted."""
    return desk_moves.find(conn, REMOTE, _query(), request_no, lock)


def get_request(conn: Connection, request_no: str) -> RemoteDetail:
    row = _find(conn, request_no)
    history = desk_moves.history(conn, REMOTE, row.id, RemoteMoveOut)
    report = None
    if row.reported_at is not None:
        report = RemoteReport(
            findings=row.findings,
            conclusion=row.conclusion,
            advice=row.advice,
            reporting_doctor=row.reporting_doctor,
            reviewing_doctor=row.reviewing_doctor,
            signed_at=as_utc(row.reported_at),
            critical=row.critical,
            critical_note=row.critical_note,
            service_item_code=row.service_item_code,
            fee=row.fee,
        )
    data = row.data if isinstance(row.data, dict) else {}
    detail = RemoteDetail(
        **_summary(row).model_dump(),
        data=data,
        report=report,
        history=history,
        attachments=remote_files.attachments_of(conn, row.id, row.clinic_id),
    )
    detail.attachments_total = len(detail.attachments)
    detail.attachments_complete = sum(f.complete for f in detail.attachments)
    detail.chunks_received = sum(f.chunks_received for f in detail.attachments)
    detail.chunks_total = sum(f.chunks_total for f in detail.attachments)
    return detail


def attachment_file(conn: Connection, request_no: str, sha256: str) -> tuple[str, RemoteAttachmentOut]:
    """The request's id and one of its files, complete; 404 when the request does not name it or
    its clinic has not sent it whole yet (a clinic's file is readable only through its requests)."""
    row = _find(conn, request_no)
    for item in remote_files.attachments_of(conn, row.id, row.clinic_id):
        if item.sha256 == sha256:
            if not item.complete:
                break
            return row.id, item
    raise ApiError(404, "attachment_not_found")


def _result(conn: Connection, request_no: str, event_id: str) -> RemoteMoveResult:
    return RemoteMoveResult(request=_summary(_find(conn, request_no)), event_id=event_id)


def accept(
    conn: Connection, actor: Principal, request_no: str, note: str | None = None, expected: str | None = None
) -> RemoteMoveResult:
    row = _find(conn, request_no, lock=True)
    desk_moves.check(REMOTE, row, Status.ACCEPTED.value, expected=expected)
    event_id = desk_moves.move(
        conn, REMOTE, row, Status.ACCEPTED.value, actor, note or None, values={"accepted_at": utcnow()}
    )
    return _result(conn, row.request_no, event_id)


def return_request(
    conn: Connection, actor: Principal, request_no: str, reason: str, expected: str | None = None
) -> RemoteMoveResult:
    """Send it back to the clinic (material incomplete, not for this room...), with the reason."""
    if not (reason or "").strip():
        raise ApiError(422, "reason_required")
    row = _find(conn, request_no, lock=True)
    desk_moves.check(REMOTE, row, Status.RETURNED.value, reason=reason, expected=expected)
    return _result(
        conn, row.request_no, desk_moves.move(conn, REMOTE, row, Status.RETURNED.value, actor, reason.strip())
    )


def schedule(
    conn: Connection, actor: Principal, request_no: str, body: ScheduleRemote, expected: str | None = None
) -> RemoteMoveResult:
    """A video consultation's time and expert (again to move it to another time)."""
    row = _find(conn, request_no, lock=True)
    if row.service != Service.CONSULT_VIDEO:
        raise ApiError(409, "not_video")
    desk_moves.check(REMOTE, row, Status.SCHEDULED.value, expected=expected)
    at = body.scheduled_at.astimezone(UTC)
    event_id = desk_moves.move(
        conn,
        REMOTE,
        row,
        Status.SCHEDULED.value,
        actor,
        body.note or None,
        extra={"scheduled_at": at.isoformat(), "expert": body.expert.strip()},
        values={"scheduled_at": at, "expert": body.expert.strip()},
    )
    return _result(conn, row.request_no, event_id)


def report(
    conn: Connection, actor: Principal, request_no: str, body: ReportRemote, expected: str | None = None
) -> RemoteMoveResult:
    """The signed report; the reporting doctor is the caller. A critical value needs its note."""
    critical_note = (body.critical_note or "").strip() or None
    if body.critical and critical_note is None:
        raise ApiError(422, "missing_field", field="critical_note")
    row = _find(conn, request_no, lock=True)
    desk_moves.check(REMOTE, row, Status.REPORTED.value, expected=expected)
    waiting = [f for f in remote_files.attachments_of(conn, row.id, row.clinic_id) if not f.complete]
    if waiting:  # the reader reads the tracing, not half of it
        raise ApiError(
            409,
            "attachments_incomplete",
            received=sum(f.chunks_received for f in waiting),
            total=sum(f.chunks_total for f in waiting),
        )
    now = utcnow()
    signer = desk_moves.signer(conn, actor)
    fee = f"{Decimal(body.fee):.2f}" if body.fee else None
    report_fields = {
        "findings": body.findings.strip(),
        "conclusion": body.conclusion.strip(),
        "advice": (body.advice or "").strip() or None,
        "reporting_doctor": signer,
        "reviewing_doctor": (body.reviewing_doctor or "").strip() or None,
        "critical": body.critical,
        "critical_note": critical_note if body.critical else None,
        "service_item_code": (body.service_item_code or "").strip() or None,
        "fee": fee,
    }
    event_id = desk_moves.move(
        conn,
        REMOTE,
        row,
        Status.REPORTED.value,
        actor,
        extra={**report_fields, "signed_at": now.isoformat()},
        values={**report_fields, "reported_at": now},
        now=now,
    )
    return _result(conn, row.request_no, event_id)


def sweep_overdue(conn: Connection, actor: Principal, now: datetime | None = None) -> list[str]:
    """Mark requests not accepted within ``remote.accept_within`` (urgent ECG 30 min, other urgent
    2 h, routine 24 h) as timed out: a "system" move, run from cron (`clinic-hub remote sweep`)
    like the referrals' expiry. A later accept still moves them on. Returns their numbers."""
    now = now or utcnow()
    rows = conn.execute(
        _query()
        .where(
            _requests.c.status == Status.REQUESTED.value,
            _requests.c.deleted.is_(False),
            _requests.c.requested_at <= now - SHORTEST_LIMIT,
        )
        .with_for_update(of=_requests)
    ).all()
    swept = []
    for row in rows:
        requested_at = as_utc(row.requested_at)
        if not remote.is_overdue(row.status, row.service, row.urgency, requested_at, now):
            continue
        limit = remote.accept_within(row.service, row.urgency)
        reason = f"未在{_span(limit, 'zh')}内接收 / not accepted within {_span(limit, 'en')}"
        remote.transition(row.status, Status.TIMED_OUT.value, "system", reason)
        desk_moves.move(conn, REMOTE, row, Status.TIMED_OUT.value, actor, reason, role="system", now=now)
        swept.append(row.request_no)
    return swept


def _span(limit: timedelta, language: str) -> str:
    minutes = int(limit.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes}分钟" if language == "zh" else f"{minutes} min"
    return f"{minutes // 60}小时" if language == "zh" else f"{minutes // 60} h"


def turnaround(conn: Connection, month: str) -> dict[str, tuple[int, float | None]]:
    """Per reading room: the requests reported in ``month`` (YYYY-MM, China time) and the median
    time from request to report, in minutes (None when none was reported)."""
    year, number = int(month[:4]), int(month[5:7])
    start = datetime(year, number, 1, tzinfo=directory.CHINA_TZ)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=directory.CHINA_TZ)
    rows = conn.execute(
        sa.select(_requests.c.service, _requests.c.requested_at, _requests.c.reported_at).where(
            _requests.c.reported_at >= start.astimezone(UTC),
            _requests.c.reported_at < end.astimezone(UTC),
            _requests.c.deleted.is_(False),
        )
    )
    minutes: dict[str, list[float]] = {room: [] for room in ROOMS}
    for service, requested_at, reported_at in rows:
        if service in ROOM_OF:
            taken = (as_utc(reported_at) - as_utc(requested_at)).total_seconds() / 60
            minutes[ROOM_OF[service]].append(max(taken, 0.0))
    return {room: (len(found), statistics.median(found) if found else None) for room, found in minutes.items()}
