"""Liveness and the hub's epoch (/api/v1/health): no token needed."""

from __future__ import annotations

from fastapi import APIRouter

from clinic_hub import changes
from clinic_hub.dependencies import EngineDep
from clinic_tui.sync.wire import API_VERSION, HealthResponse

router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=HealthResponse, summary="Is the hub up")
def health(engine: EngineDep) -> HealthResponse:
    with engine.connect() as conn:
        epoch = changes.current_epoch(conn)
    return HealthResponse(status="ok", api_version=API_VERSION, epoch=epoch)
