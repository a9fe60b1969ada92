"""Liveness and the hub's epoch (/api/v1/health): no token needed."""

from __future__ import annotations

from fastapi import APIRouter

from clinic_hub import changes
from clinic_hub.db import reading
from clinic_hub.dependencies import STRICT_QUERY, EngineDep
from clinic_tui.sync.wire import API_VERSION, PROTOCOL_REVISION, ErrorResponse, HealthResponse

router = APIRouter(prefix="/api/v1", tags=["health"], dependencies=STRICT_QUERY)


@router.get(
    "/health",
    response_model=HealthResponse,
    summary="Is the hub up",
    responses={422: {"model": ErrorResponse, "description": "An unknown query parameter"}},
)
def health(engine: EngineDep) -> HealthResponse:
    with reading(engine) as conn:
        epoch = changes.current_epoch(conn)
    return HealthResponse(status="ok", api_version=API_VERSION, epoch=epoch, protocol_revision=PROTOCOL_REVISION)
