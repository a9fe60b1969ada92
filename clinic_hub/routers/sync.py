"""HTTP routes of the sync API used by clinics: push, pull, reconcile (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from clinic_hub import body, limits, push_answer
from clinic_hub import pull as pull_service
from clinic_hub import push as push_service
from clinic_hub.dependencies import NO_NUL, STRICT_QUERY, ClinicCaller, EngineDep, LanguageDep, SettingsDep
from clinic_tui.sync.wire import (
    COMPACT_PUSH,
    ErrorResponse,
    PullResponse,
    PushResponse,
    ReconcileResponse,
)

router = APIRouter(prefix="/api/v1/sync", tags=["sync"], dependencies=STRICT_QUERY)

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in {
        401: "No token, an unknown token or a revoked token",
        403: "Not a clinic token",
        422: "Invalid request (e.g. an unknown query parameter, a limit out of range)",
    }.items()
}

PUSH_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            f"A batch of at most {limits.MAX_PUSH_RECORDS} records, at most {limits.MAX_BODY_BYTES} "
            "bytes as sent. May be gzip-compressed (send `Content-Encoding: gzip`): exactly one gzip "
            f"member, nothing after it, at most {limits.MAX_INFLATED_BYTES} bytes once inflated."
        ),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}},
    },
    # Content-Encoding (gzip or identity) is described above, not declared as a parameter: a
    # schema cannot say that the header decides how the body is encoded, and a client generated
    # from it would send "gzip" with a plain body.
}


@router.post(
    "/push",
    response_model=PushResponse,
    summary="Push a batch of records",
    description="Upserts each record by (id, revision) and answers per record: accepted, duplicate, "
    "rejected (code + message) or conflict. With `Prefer: return=minimal` (protocol revision 3) the "
    "records taken plainly are answered by a count and a hash (`confirmed`) and only the others are "
    "listed. The same batch_id sent again returns the stored answers and changes nothing.",
    openapi_extra=PUSH_BODY,
    responses={
        **ERRORS,
        400: {
            "model": ErrorResponse,
            "description": "Malformed gzip (trailing bytes, a second member) or a body that is not JSON",
        },
        413: {"model": ErrorResponse, "description": "Body too large or too many records: send smaller batches"},
        415: {"model": ErrorResponse, "description": "Unsupported Content-Encoding"},
        422: {"model": ErrorResponse, "description": "The batch envelope is invalid"},
    },
)
async def push(
    request: Request,
    clinic: ClinicCaller,
    engine: EngineDep,
    settings: SettingsDep,
    language: LanguageDep,
    prefer: str | None = Header(
        None,
        description="`return=minimal` (protocol revision 3): the compact answer, see `confirmed`",
    ),
) -> Response:
    raw = await body.read_limited(request, settings.max_body_bytes)
    encoding = request.headers.get("content-encoding")
    compact = push_answer.wants_compact(prefer)

    def work() -> bytes:  # inflating and parsing 500 records would stall the event loop
        json_body = body.inflated(raw, encoding, settings.max_inflated_bytes)
        answer = push_service.push_body(engine, clinic, json_body, language, settings.max_push_records, compact=compact)
        return to_json(answer)

    # A ready-made Response: FastAPI would otherwise validate the 500 answers once more.
    headers = {"Preference-Applied": COMPACT_PUSH} if compact else None
    return Response(await run_in_threadpool(work), media_type="application/json", headers=headers)


@router.get(
    "/pull",
    response_model=PullResponse,
    summary="Pull changes addressed to this clinic",
    description="Hub records (answers to referrals, downward referrals, the directory, broadcasts) after "
    "the opaque cursor, in change-number order. Store next_cursor with the changes applied.",
    responses={**ERRORS, 400: {"model": ErrorResponse, "description": "Invalid cursor"}},
)
def pull(
    clinic: ClinicCaller,
    engine: EngineDep,
    # Read as any text without NUL: one that is no cursor is the service's 400 bad_cursor. The
    # document states the cursor's own pattern (limits.state_in_openapi).
    cursor: str | None = Query(
        None, max_length=limits.CURSOR_MAX_CHARS, pattern=NO_NUL, description=pull_service.CURSOR_DESCRIPTION
    ),
    limit: int = Query(limits.DEFAULT_PULL_LIMIT, ge=1, le=limits.MAX_PULL_LIMIT),
    with_reconcile: bool = Query(
        False,
        description="Protocol revision 2: the last page (has_more false) also carries the numbers of "
        "GET /sync/reconcile, so the end of a sync needs no exchange of its own",
    ),
) -> PullResponse:
    return pull_service.pull(engine, clinic, cursor, limit, with_reconcile=with_reconcile)


@router.get(
    "/reconcile",
    response_model=ReconcileResponse,
    summary="Counts and hashes of what the hub holds",
    description="Per kind, the count and record_set_hash of (id, revision) of every record this clinic "
    "pushed that the hub holds (tombstones included), with the hub's epoch id.",
    responses=ERRORS,
)
def reconcile(clinic: ClinicCaller, engine: EngineDep) -> ReconcileResponse:
    return pull_service.reconcile(engine, clinic)
