"""HTTP routes of the lab desk (/api/v1/lab), for hospital staff (desk, doctor, admin; a lab
nurse has the desk role): the queues, receive, reject with a reason, enter results per test.
Results are entered only against orders on the desk: an unknown number answers 404
``lab_not_found``, a cancelled order 409 ``lab_cancelled``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy.engine import Connection, Engine

from clinic_hub import audit, lab_corrections, lab_desk
from clinic_hub.accounts import Principal
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, EngineDep, LabCaller
from clinic_hub.schemas.lab import CorrectLab, LabDetail, LabList, LabMoveResult, ReceiveLab, RejectLab, ReportLab
from clinic_tui.domain.lab import Status
from clinic_tui.sync.wire import ErrorResponse

router = APIRouter(prefix="/api/v1/lab", tags=["lab"], dependencies=STRICT_QUERY)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
    403: {"model": ErrorResponse, "description": "Not a staff token of a role that may do this"},
    422: {"model": ErrorResponse, "description": "Invalid request (a value out of range, an unknown query parameter)"},
}
MOVE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ErrorResponse, "description": "The body is not JSON (or not UTF-8)"},
    404: {"model": ErrorResponse, "description": "No lab order with that number (lab_not_found)"},
    409: {
        "model": ErrorResponse,
        "description": "Illegal move (e.g. handled by someone else), or the order was cancelled (lab_cancelled)",
    },
}
OrderNo = Path(min_length=1, max_length=64, pattern=NO_NUL, description="The order number, e.g. C01-20251203-L0001")
Queue = Literal["awaiting", "received", "reported", "rejected"]


@router.get(
    "/orders",
    response_model=LabList,
    summary="List lab orders (a queue of the lab desk)",
    description="Urgent first, then the oldest. `queue`: awaiting (sent, not yet received), received, reported, "
    "rejected.",
    responses=ERRORS,
)
def list_orders(
    staff: LabCaller,
    engine: EngineDep,
    queue: Queue | None = None,
    status: Status | None = None,
    clinic: str | None = Query(None, max_length=40, pattern=NO_NUL, description="Clinic code"),
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
) -> LabList:
    with engine.begin() as conn:
        items = lab_desk.list_orders(conn, queue, status and status.value, clinic, limit, offset)
        audit.record(conn, staff, "lab.list", [o.id for o in items])
    return LabList(orders=items)


@router.get(
    "/exceptions",
    response_model=LabList,
    summary="Orders the lab holds that their clinic cancelled or deleted afterwards",
    responses=ERRORS,
)
def list_exceptions(staff: LabCaller, engine: EngineDep) -> LabList:
    with engine.begin() as conn:
        items = lab_desk.exceptions(conn)
        audit.record(conn, staff, "lab.exceptions", [o.id for o in items])
    return LabList(orders=items)


@router.get(
    "/orders/{order_no}",
    response_model=LabDetail,
    summary="One lab order: what the clinic sent, the results, the history",
    responses=MOVE_ERRORS,
)
def get_order(staff: LabCaller, engine: EngineDep, order_no: str = OrderNo) -> LabDetail:
    with engine.begin() as conn:
        detail = lab_desk.get_order(conn, order_no)
        audit.record(conn, staff, "lab.get", [detail.id])
    return detail


def _audited(
    engine: Engine, staff: Principal, action: str, work: Callable[[Connection], LabMoveResult]
) -> LabMoveResult:
    with engine.begin() as conn:
        result = work(conn)
        audit.record(conn, staff, action, [result.order.id, result.event_id])
    return result


@router.post("/orders/{order_no}/receive", response_model=LabMoveResult, responses=MOVE_ERRORS, summary="Receive")
def receive(
    staff: LabCaller, engine: EngineDep, body: ReceiveLab | None = None, order_no: str = OrderNo
) -> LabMoveResult:
    note = body.note if body else None
    return _audited(engine, staff, "lab.receive", lambda conn: lab_desk.receive(conn, staff, order_no, note))


@router.post(
    "/orders/{order_no}/reject",
    response_model=LabMoveResult,
    responses=MOVE_ERRORS,
    summary="Reject the specimen, with a reason (the clinic recollects)",
)
def reject(body: RejectLab, staff: LabCaller, engine: EngineDep, order_no: str = OrderNo) -> LabMoveResult:
    return _audited(engine, staff, "lab.reject", lambda conn: lab_desk.reject(conn, staff, order_no, body.reason))


@router.post(
    "/orders/{order_no}/results",
    response_model=LabMoveResult,
    responses=MOVE_ERRORS,
    summary="Enter the results of every ordered test, or with `partial` some now and the rest later (the caller "
    "reports); flags from the catalogue",
)
def results(body: ReportLab, staff: LabCaller, engine: EngineDep, order_no: str = OrderNo) -> LabMoveResult:
    return _audited(engine, staff, "lab.report", lambda conn: lab_desk.report(conn, staff, order_no, body))


@router.post(
    "/orders/{order_no}/corrections",
    response_model=LabMoveResult,
    responses=MOVE_ERRORS,
    summary="Correct a reported result, with a reason (更正报告); the earlier value is kept",
)
def correct(body: CorrectLab, staff: LabCaller, engine: EngineDep, order_no: str = OrderNo) -> LabMoveResult:
    return _audited(engine, staff, "lab.correct", lambda conn: lab_corrections.correct(conn, staff, order_no, body))
