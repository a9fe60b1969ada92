"""HTTP route of the monthly indicators (/api/v1/indicators), for staff (viewer, desk, admin)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from clinic_hub import audit, limits
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, EngineDep, IndicatorReader
from clinic_hub.indicators import compute
from clinic_hub.schemas.indicators import IndicatorsResponse
from clinic_tui.sync.wire import ErrorResponse

router = APIRouter(prefix="/api/v1", tags=["indicators"], dependencies=STRICT_QUERY)


@router.get(
    "/indicators",
    response_model=IndicatorsResponse,
    summary="Referral and contract indicators",
    description="Per clinic for one month: referral counts by status, downward share, the share of "
    "upward referrals answered within 24 h, contracts by status and coverage.",
    responses={
        401: {"model": ErrorResponse, "description": "No, unknown or revoked token"},
        403: {"model": ErrorResponse, "description": "Not a viewer, desk or admin staff token"},
        404: {"model": ErrorResponse, "description": "No such clinic"},
        422: {"model": ErrorResponse, "description": "Month is not YYYY-MM within the years stated"},
    },
)
def indicators(
    staff: IndicatorReader,
    engine: EngineDep,
    month: str = Query(
        ...,
        max_length=7,
        pattern=limits.MONTH_PATTERN,
        description=f"YYYY-MM (China time), years {limits.MIN_YEAR}-{limits.MAX_YEAR}",
    ),
    clinic: str | None = Query(
        None, min_length=1, max_length=limits.CODE_MAX_CHARS, pattern=NO_NUL, description="Clinic code"
    ),
) -> IndicatorsResponse:
    with engine.begin() as conn:
        result = compute(conn, month, clinic)
        audit.record(conn, staff, "indicators.read", [c.clinic_code for c in result.clinics])
    return result
