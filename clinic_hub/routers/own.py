"""A clinic takes back its own records (docs/bad-day.md): ``GET /api/v1/sync/own``.

After a clinic restored its database from a backup (or lost it), what it had sent since is only on
the hub. This route gives a clinic token the records that clinic pushed, as the hub holds them,
one kind at a time in pages keyed by record id (resumable: ask again after the last id). Only the
token's own clinic's records are ever returned. Kept apart from ``routers/sync.py`` on purpose: it
is the one route that sends a clinic's own records back down. HTTP only: the reads are in
``clinic_hub/own.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from clinic_hub import limits
from clinic_hub import own as own_service
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, ClinicCaller, EngineDep
from clinic_tui.sync.wire import ErrorResponse, OwnClinic, OwnPage

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], dependencies=STRICT_QUERY)
# Record ids are UUIDs (the push refuses anything else), so a cursor is one too.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@router.get(
    "/own",
    response_model=OwnPage,
    summary="This clinic's own records, as the hub holds them",
    description="One kind, ordered by id, after the id given; next_after is null on the last page.",
    responses={
        401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
        403: {"model": ErrorResponse, "description": "Not a clinic token"},
        422: {
            "model": ErrorResponse,
            "description": "Invalid request (a limit out of range, an empty or long kind, a cursor not a record id)",
        },
    },
)
def own(
    clinic: ClinicCaller,
    engine: EngineDep,
    kind: str = Query(..., min_length=1, max_length=limits.KIND_MAX_CHARS, pattern=NO_NUL),
    after: str | None = Query(None, pattern=UUID_PATTERN, description="The last id of the page before"),
    limit: int = Query(limits.MAX_PULL_LIMIT, ge=1, le=limits.MAX_PULL_LIMIT),
) -> OwnPage:
    return own_service.own_records(engine, clinic, kind, after, limit)


@router.get(
    "/own/clinic",
    response_model=OwnClinic,
    summary="Who this clinic is, for a rebuild on a new PC",
    description="The clinic's code and name as registered on the hub, and the clinic id its records carry.",
    responses={
        401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
        403: {"model": ErrorResponse, "description": "Not a clinic token"},
    },
)
def own_clinic(clinic: ClinicCaller, engine: EngineDep) -> OwnClinic:
    return own_service.own_clinic(engine, clinic)
