"""HTTP routes of the referral desk (/api/v1/desk), for hospital staff with the desk or admin role."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from clinic_hub import audit, desk
from clinic_hub.accounts import Principal
from clinic_hub.auth import require_desk
from clinic_hub.desk_schemas import (AcceptRequest, MoveRequest, MoveResult, ReferralDetail, ReferralList,
                                     RejectRequest, SendDownRequest)
from clinic_tui.sync.wire import ErrorResponse

router = APIRouter(prefix="/api/v1/desk", tags=["desk"])

ERRORS = {401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
          403: {"model": ErrorResponse, "description": "Not a desk or admin staff token"}}
MOVE_ERRORS = {**ERRORS, 404: {"model": ErrorResponse, "description": "No referral with that number"},
               409: {"model": ErrorResponse, "description": "Illegal status move, or no reserved slot left"},
               422: {"model": ErrorResponse, "description": "Invalid request"}}
ReferralNo = Path(min_length=1, max_length=64, description="The referral number (转诊单号)")
Status = Literal["draft", "review", "sent", "accepted", "rejected", "cancelled", "expired", "arrived", "no_show",
                 "completed", "received", "acknowledged", "in_followup", "lost"]


@router.get("/referrals", response_model=ReferralList, summary="List referrals",
            description="Emergency (green channel) first, then urgent, then normal; oldest first within each. "
                        "Without a status filter, drafts and slips under township review are left out.",
            responses=ERRORS)
def list_referrals(request: Request, status: Status | None = None,
                   urgency: Literal["emergency", "urgent", "normal"] | None = None,
                   clinic: str | None = Query(None, max_length=40, description="Clinic code"),
                   direction: Literal["up", "down"] = "up",
                   limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0, le=10**9),
                   staff: Principal = Depends(require_desk)) -> ReferralList:
    with request.app.state.engine.begin() as conn:
        items = desk.list_referrals(conn, status, urgency, clinic, direction, limit, offset)
        audit.record(conn, staff, "desk.list", [r.id for r in items])
    return ReferralList(referrals=items)


@router.get("/referrals/{referral_no}", response_model=ReferralDetail, summary="One referral with its history",
            responses=MOVE_ERRORS)
def get_referral(request: Request, referral_no: str = ReferralNo,
                 staff: Principal = Depends(require_desk)) -> ReferralDetail:
    with request.app.state.engine.begin() as conn:
        detail = desk.get_referral(conn, referral_no)
        audit.record(conn, staff, "desk.get", [detail.id])
    return detail


def _audited(request: Request, staff: Principal, action: str, work) -> MoveResult:
    with request.app.state.engine.begin() as conn:
        result = work(conn)
        audit.record(conn, staff, action, [result.referral.id, result.event_id])
    return result


@router.post("/referrals/{referral_no}/accept", response_model=MoveResult, responses=MOVE_ERRORS,
             summary="Accept with an appointment, taking a slot from the primary-care pool")
def accept(request: Request, body: AcceptRequest, referral_no: str = ReferralNo,
           staff: Principal = Depends(require_desk)) -> MoveResult:
    return _audited(request, staff, "desk.accept", lambda conn: desk.accept(conn, staff, referral_no, body))


@router.post("/referrals/{referral_no}/reject", response_model=MoveResult, responses=MOVE_ERRORS,
             summary="Reject, with a reason")
def reject(request: Request, body: RejectRequest, referral_no: str = ReferralNo,
           staff: Principal = Depends(require_desk)) -> MoveResult:
    return _audited(request, staff, "desk.reject", lambda conn: desk.reject(conn, staff, referral_no, body.reason))


def _simple(path: str, target: str, summary: str):
    @router.post(f"/referrals/{{referral_no}}/{path}", response_model=MoveResult, responses=MOVE_ERRORS,
                 summary=summary, name=f"desk_{target}")
    def move(request: Request, body: MoveRequest | None = None, referral_no: str = ReferralNo,
             staff: Principal = Depends(require_desk)) -> MoveResult:
        note = body.note if body else None
        return _audited(request, staff, f"desk.{target}",
                        lambda conn: desk.simple_move(conn, staff, referral_no, target, note))
    return move


_simple("arrive", "arrived", "Mark the patient arrived")
_simple("no-show", "no_show", "Mark the patient did not come")
_simple("complete", "completed", "Close the referral")


@router.post("/downward-referrals", response_model=MoveResult, status_code=201, responses=MOVE_ERRORS,
             summary="Send a patient down to a clinic (下转)")
def send_down(request: Request, body: SendDownRequest, staff: Principal = Depends(require_desk)) -> MoveResult:
    return _audited(request, staff, "desk.send_down", lambda conn: desk.send_down(conn, staff, body))
