"""HTTP routes of the referral desk (/api/v1/desk), for hospital staff with the desk or admin role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from sqlalchemy.engine import Engine

from clinic_hub import audit, desk, limits
from clinic_hub.accounts import Principal
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, DeskCaller, EngineDep
from clinic_hub.schemas.desk import (
    AcceptRequest,
    MoveRequest,
    MoveResult,
    ReferralDetail,
    ReferralList,
    RejectRequest,
    SendDownRequest,
)
from clinic_tui.domain.referral import Direction, Status, Urgency
from clinic_tui.sync.wire import ErrorResponse

router = APIRouter(prefix="/api/v1/desk", tags=["desk"], dependencies=STRICT_QUERY)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
    403: {"model": ErrorResponse, "description": "Not a desk or admin staff token"},
    422: {"model": ErrorResponse, "description": "Invalid request (a value out of range, an unknown query parameter)"},
}
MOVE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    400: {"model": ErrorResponse, "description": "The body is not JSON (or not UTF-8)"},
    404: {"model": ErrorResponse, "description": "No referral with that number"},
    409: {"model": ErrorResponse, "description": "Illegal status move, or no reserved slot left"},
    422: {"model": ErrorResponse, "description": "Invalid request"},
}
ReferralNo = Path(
    min_length=1, max_length=limits.NUMBER_MAX_CHARS, pattern=NO_NUL, description="The referral number (转诊单号)"
)


@router.get(
    "/referrals",
    response_model=ReferralList,
    summary="List referrals",
    description="Emergency (green channel) first, then urgent, then normal; oldest first within each. "
    "Without a status filter, drafts and slips under township review are left out.",
    responses=ERRORS,
)
def list_referrals(
    staff: DeskCaller,
    engine: EngineDep,
    status: Status | None = None,
    urgency: Urgency | None = None,
    clinic: str | None = Query(None, max_length=limits.CODE_MAX_CHARS, pattern=NO_NUL, description="Clinic code"),
    direction: Direction = Direction.UP,
    limit: int = Query(limits.DEFAULT_LIST_LIMIT, ge=1, le=limits.MAX_LIST_LIMIT),
    offset: int = Query(0, ge=0, le=limits.MAX_LIST_OFFSET),
) -> ReferralList:
    with engine.begin() as conn:
        # Plain strings to the database driver (psycopg would write an enum member by its name).
        items = desk.list_referrals(
            conn, status and status.value, urgency and urgency.value, clinic, direction.value, limit, offset
        )
        audit.record(conn, staff, "desk.list", [r.id for r in items])
    return ReferralList(referrals=items)


@router.get(
    "/referrals/{referral_no}",
    response_model=ReferralDetail,
    summary="One referral with its history",
    responses=MOVE_ERRORS,
)
def get_referral(staff: DeskCaller, engine: EngineDep, referral_no: str = ReferralNo) -> ReferralDetail:
    with engine.begin() as conn:
        detail = desk.get_referral(conn, referral_no)
        audit.record(conn, staff, "desk.get", [detail.id])
    return detail


def _audited(engine: Engine, staff: Principal, action: str, work) -> MoveResult:
    with engine.begin() as conn:
        result = work(conn)
        audit.record(conn, staff, action, [result.referral.id, result.event_id])
    return result


@router.post(
    "/referrals/{referral_no}/accept",
    response_model=MoveResult,
    responses=MOVE_ERRORS,
    summary="Accept with an appointment, taking a slot from the primary-care pool",
)
def accept(body: AcceptRequest, staff: DeskCaller, engine: EngineDep, referral_no: str = ReferralNo) -> MoveResult:
    return _audited(engine, staff, "desk.accept", lambda conn: desk.accept(conn, staff, referral_no, body))


@router.post(
    "/referrals/{referral_no}/reject", response_model=MoveResult, responses=MOVE_ERRORS, summary="Reject, with a reason"
)
def reject(body: RejectRequest, staff: DeskCaller, engine: EngineDep, referral_no: str = ReferralNo) -> MoveResult:
    return _audited(engine, staff, "desk.reject", lambda conn: desk.reject(conn, staff, referral_no, body.reason))


def _simple(path: str, target: str, summary: str):
    @router.post(
        f"/referrals/{{referral_no}}/{path}",
        response_model=MoveResult,
        responses=MOVE_ERRORS,
        summary=summary,
        name=f"desk_{target}",
    )
    def move(
        staff: DeskCaller, engine: EngineDep, body: MoveRequest | None = None, referral_no: str = ReferralNo
    ) -> MoveResult:
        note = body.note if body else None
        return _audited(
            engine, staff, f"desk.{target}", lambda conn: desk.simple_move(conn, staff, referral_no, target, note)
        )

    return move


_simple("arrive", "arrived", "Mark the patient arrived")
_simple("no-show", "no_show", "Mark the patient did not come")
_simple("complete", "completed", "Close the referral")


@router.post(
    "/downward-referrals",
    response_model=MoveResult,
    status_code=201,
    responses=MOVE_ERRORS,
    summary="Send a patient down to a clinic (下转)",
)
def send_down(body: SendDownRequest, staff: DeskCaller, engine: EngineDep) -> MoveResult:
    return _audited(engine, staff, "desk.send_down", lambda conn: desk.send_down(conn, staff, body))
