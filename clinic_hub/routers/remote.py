"""HTTP routes of the remote consultation and reading desk (/api/v1/remote), for hospital staff:
desk, doctor and admin read the queues, accept, return and schedule; doctor and admin report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from sqlalchemy.engine import Connection, Engine

from clinic_hub import attachments, audit, limits, remote_desk
from clinic_hub.accounts import Principal
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, EngineDep, RemoteCaller, ReporterCaller, SettingsDep
from clinic_hub.schemas.remote import (
    AcceptRemote,
    RemoteDetail,
    RemoteList,
    RemoteMoveResult,
    ReportRemote,
    ReturnRemote,
    ScheduleRemote,
)
from clinic_tui.domain.remote import Status, Urgency
from clinic_tui.sync.wire import ErrorResponse

router = APIRouter(prefix="/api/v1/remote", tags=["remote"], dependencies=STRICT_QUERY)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
    403: {"model": ErrorResponse, "description": "Not a staff token of a role that may do this"},
    422: {"model": ErrorResponse, "description": "Invalid request (a value out of range, an unknown query parameter)"},
}
MOVE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ErrorResponse, "description": "The body is not JSON (or not UTF-8)"},
    404: {"model": ErrorResponse, "description": "No remote request with that number"},
    409: {
        "model": ErrorResponse,
        "description": "Illegal move (e.g. answered by someone else), or not a video consult",
    },
}
RequestNo = Path(
    min_length=1,
    max_length=limits.NUMBER_MAX_CHARS,
    pattern=NO_NUL,
    description="The request number, e.g. C01-20251203-R0001",
)
Room = Literal["consult", "ecg", "imaging", "pathology"]


@router.get(
    "/requests",
    response_model=RemoteList,
    summary="List remote requests (a reading room's queue)",
    description="Urgent first, then the oldest. `room`: consult (video and written consultations), ecg, "
    "imaging (DR, CT, ultrasound), pathology.",
    responses=ERRORS,
)
def list_requests(
    staff: RemoteCaller,
    engine: EngineDep,
    room: Room | None = None,
    status: Status | None = None,
    urgency: Urgency | None = None,
    clinic: str | None = Query(None, max_length=limits.CODE_MAX_CHARS, pattern=NO_NUL, description="Clinic code"),
    limit: int = Query(limits.DEFAULT_LIST_LIMIT, ge=1, le=limits.MAX_LIST_LIMIT),
    offset: int = Query(0, ge=0, le=limits.MAX_LIST_OFFSET),
) -> RemoteList:
    with engine.begin() as conn:
        # Plain strings to the database driver (psycopg would write an enum member by its name).
        items = remote_desk.list_requests(
            conn, room, status and status.value, urgency and urgency.value, clinic, limit, offset
        )
        audit.record(conn, staff, "remote.list", [r.id for r in items])
    return RemoteList(requests=items)


@router.get(
    "/requests/{request_no}",
    response_model=RemoteDetail,
    summary="One remote request: what the clinic sent, the report, the history",
    responses=MOVE_ERRORS,
)
def get_request(staff: RemoteCaller, engine: EngineDep, request_no: str = RequestNo) -> RemoteDetail:
    with engine.begin() as conn:
        detail = remote_desk.get_request(conn, request_no)
        audit.record(conn, staff, "remote.get", [detail.id])
    return detail


def _audited(
    engine: Engine, staff: Principal, action: str, work: Callable[[Connection], RemoteMoveResult]
) -> RemoteMoveResult:
    with engine.begin() as conn:
        result = work(conn)
        audit.record(conn, staff, action, [result.request.id, result.event_id])
    return result


@router.post("/requests/{request_no}/accept", response_model=RemoteMoveResult, responses=MOVE_ERRORS, summary="Accept")
def accept(
    staff: RemoteCaller, engine: EngineDep, body: AcceptRemote | None = None, request_no: str = RequestNo
) -> RemoteMoveResult:
    note = body.note if body else None
    return _audited(engine, staff, "remote.accept", lambda conn: remote_desk.accept(conn, staff, request_no, note))


@router.post(
    "/requests/{request_no}/return",
    response_model=RemoteMoveResult,
    responses=MOVE_ERRORS,
    summary="Return, with a reason",
)
def return_request(
    body: ReturnRemote, staff: RemoteCaller, engine: EngineDep, request_no: str = RequestNo
) -> RemoteMoveResult:
    return _audited(
        engine, staff, "remote.return", lambda conn: remote_desk.return_request(conn, staff, request_no, body.reason)
    )


@router.post(
    "/requests/{request_no}/schedule",
    response_model=RemoteMoveResult,
    responses=MOVE_ERRORS,
    summary="Schedule a video consultation (time and expert)",
)
def schedule(
    body: ScheduleRemote, staff: RemoteCaller, engine: EngineDep, request_no: str = RequestNo
) -> RemoteMoveResult:
    return _audited(engine, staff, "remote.schedule", lambda conn: remote_desk.schedule(conn, staff, request_no, body))


@router.post(
    "/requests/{request_no}/report",
    response_model=RemoteMoveResult,
    responses=MOVE_ERRORS,
    summary="Write and sign the report (the caller signs), flagging a critical value",
)
def report(
    body: ReportRemote, staff: ReporterCaller, engine: EngineDep, request_no: str = RequestNo
) -> RemoteMoveResult:
    return _audited(engine, staff, "remote.report", lambda conn: remote_desk.report(conn, staff, request_no, body))


@router.get(
    "/requests/{request_no}/attachments/{sha256}",
    summary="One of the request's files, as the clinic took it (complete and verified only)",
    description="The bytes as they arrived (never recompressed), with their own Content-Type; read of "
    "patient data, audited. 404 attachment_not_found while the file is still arriving.",
    response_class=FileResponse,
    responses={
        **ERRORS,
        200: {"content": {t: {} for t in limits.ATTACHMENT_MEDIA_TYPES}, "description": "The file"},
        404: {"model": ErrorResponse, "description": "No such request, or it names no such complete file"},
    },
)
def get_attachment(
    staff: RemoteCaller,
    engine: EngineDep,
    settings: SettingsDep,
    request_no: str = RequestNo,
    sha256: str = Path(pattern=limits.SHA256_PATTERN),
) -> FileResponse:
    with engine.begin() as conn:
        request_id, item = remote_desk.attachment_file(conn, request_no, sha256)
        path = attachments.stored_file(settings.attachment_folder(), sha256)
        audit.record(conn, staff, "remote.attachment", [request_id, sha256])
    return FileResponse(
        path,
        headers=attachments.serving_headers(item.name, item.media_type, sha256),
        media_type=item.media_type,
    )
