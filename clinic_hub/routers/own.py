"""A clinic takes back its own records (docs/bad-day.md): ``GET /api/v1/sync/own``.

After a clinic restored its database from a backup (or lost it), what it had sent since is only on
the hub. This route gives a clinic token the records that clinic pushed, as the hub holds them,
one kind at a time in pages keyed by record id (resumable: ask again after the last id). Only the
token's own clinic's records are ever returned. Kept apart from ``routers/sync.py`` on purpose: it
is the one route that sends a clinic's own records back down.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Query

from clinic_hub import audit
from clinic_hub.db import as_utc
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, ClinicCaller, EngineDep
from clinic_hub.models import Clinic, SyncRecord, table_of
from clinic_tui.sync.wire import MAX_PULL_LIMIT, ErrorResponse, OwnClinic, OwnPage, OwnRecord

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], dependencies=STRICT_QUERY)
_records = table_of(SyncRecord)
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
    kind: str = Query(..., min_length=1, max_length=40, pattern=NO_NUL),
    after: str | None = Query(None, pattern=UUID_PATTERN, description="The last id of the page before"),
    limit: int = Query(MAX_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT),
) -> OwnPage:
    where = [_records.c.origin == "clinic", _records.c.clinic_id == clinic.id, _records.c.kind == kind]
    if after:
        where.append(_records.c.id > after)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(_records.c.id, _records.c.revision, _records.c.updated_at, _records.c.deleted, _records.c.data)
            .where(*where)
            .order_by(_records.c.id)
            .limit(limit + 1)
        ).all()
        page = rows[:limit]
        audit.record(conn, clinic, "sync.own", [row.id for row in page])
    records = [
        OwnRecord(
            kind=kind, id=r.id, revision=r.revision, updated_at=as_utc(r.updated_at), deleted=r.deleted, data=r.data
        )
        for r in page
    ]
    return OwnPage(kind=kind, records=records, next_after=page[-1].id if len(rows) > limit else None)


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
    clinics = table_of(Clinic)
    with engine.begin() as conn:
        row = conn.execute(sa.select(clinics.c.code, clinics.c.name).where(clinics.c.id == clinic.id)).one()
        # Every record a clinic pushes carries the clinic's own id (the staff first: a clinic has staff).
        data = conn.execute(
            sa.select(_records.c.data)
            .where(_records.c.origin == "clinic", _records.c.clinic_id == clinic.id)
            .order_by(_records.c.kind != "user", _records.c.id)
            .limit(1)
        ).scalar()
        audit.record(conn, clinic, "sync.own_clinic", [row.code])
    record_clinic_id = data.get("clinic_id") if isinstance(data, dict) else None
    return OwnClinic(code=row.code, name=row.name, record_clinic_id=record_clinic_id)
