"""HTTP routes of attachment uploads (/api/v1/attachments), for clinics: declare a file, send its
chunks, ask what the hub still lacks (docs/protocol.md, "Attachments"). A clinic sees and writes
only its own uploads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from clinic_hub import attachments, audit, body, limits
from clinic_hub.dependencies import STRICT_QUERY, ClinicCaller, EngineDep, SettingsDep
from clinic_hub.errors import ApiError
from clinic_tui.sync.wire import AttachmentDeclare, AttachmentStatus, ErrorResponse

router = APIRouter(prefix="/api/v1/attachments", tags=["attachments"], dependencies=STRICT_QUERY)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No token, an unknown token or a revoked token"},
    403: {"model": ErrorResponse, "description": "Not a clinic token"},
    404: {"model": ErrorResponse, "description": "This clinic has not declared that file"},
    422: {"model": ErrorResponse, "description": "Invalid request"},
}
Sha256 = Path(pattern=limits.SHA256_PATTERN, description="The SHA-256 of the whole file, 64 lower-case hex digits")
CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The chunk's bytes as they are in the file (not compressed): exactly "
        f"{limits.ATTACHMENT_CHUNK_BYTES} bytes, the last chunk the rest.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/{sha256}",
    response_model=AttachmentStatus,
    summary="What the hub holds of one of this clinic's files (the chunks it still lacks)",
    responses=ERRORS,
)
def get_status(clinic: ClinicCaller, engine: EngineDep, sha256: str = Sha256) -> AttachmentStatus:
    with engine.begin() as conn:
        return attachments.status(conn, clinic, sha256)


@router.get(
    "/{sha256}/content",
    summary="The bytes of one of this clinic's own complete files (a rebuild takes its files back)",
    description="Only a file this clinic uploaded and the hub verified whole; the bytes as they arrived "
    "(never recompressed). 404 attachment_not_found for any other, whoever else holds the same bytes.",
    response_class=FileResponse,
    responses={
        **ERRORS,
        200: {"content": {t: {} for t in limits.ATTACHMENT_MEDIA_TYPES}, "description": "The file"},
        404: {"model": ErrorResponse, "description": "Not a complete file of this clinic"},
    },
)
def get_content(clinic: ClinicCaller, engine: EngineDep, settings: SettingsDep, sha256: str = Sha256) -> FileResponse:
    with engine.begin() as conn:
        path, media_type = attachments.own_file(conn, settings.attachment_folder(), clinic, sha256)
        audit.record(conn, clinic, "attachment.download", [sha256])
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Content-Encoding": "identity", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.put(
    "/{sha256}",
    response_model=AttachmentStatus,
    summary="Declare a file (size, type) before its chunks; again to resume",
    description=f"PDF, JPEG or PNG; at most {limits.MAX_ATTACHMENT_BYTES} bytes (413 attachment_too_large); "
    "another type: 415 attachment_type_not_allowed. Declaring the same file again answers what has arrived.",
    responses={
        **ERRORS,
        400: {"model": ErrorResponse, "description": "The body is not JSON (or not UTF-8)"},
        409: {"model": ErrorResponse, "description": "Declared before with another size or type"},
        413: {"model": ErrorResponse, "description": "Larger than one file may be"},
        415: {"model": ErrorResponse, "description": "Not a PDF, JPEG or PNG"},
    },
)
def declare(
    declared: AttachmentDeclare, clinic: ClinicCaller, engine: EngineDep, sha256: str = Sha256
) -> AttachmentStatus:
    with engine.begin() as conn:
        result = attachments.declare(conn, clinic, sha256, declared.size, declared.media_type)
        audit.record(conn, clinic, "attachment.declare", [sha256])
    return result


@router.put(
    "/{sha256}/chunks/{index}",
    response_model=AttachmentStatus,
    summary="Send one chunk (stored once; the last one completes and verifies the file)",
    openapi_extra=CHUNK_BODY,
    responses={
        **ERRORS,
        413: {"model": ErrorResponse, "description": "More bytes than a chunk"},
        415: {"model": ErrorResponse, "description": "Compressed, or the first bytes are not of the declared type"},
        422: {
            "model": ErrorResponse,
            "description": "Wrong length, index out of range, or the whole file's hash differs",
        },
    },
)
async def put_chunk(
    request: Request,
    clinic: ClinicCaller,
    engine: EngineDep,
    settings: SettingsDep,
    sha256: str = Sha256,
    index: int = Path(ge=0, le=limits.MAX_ATTACHMENT_BYTES // limits.ATTACHMENT_CHUNK_BYTES),
) -> AttachmentStatus:
    encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if encoding != "identity":  # the bytes travel as taken: nothing to inflate, nothing to trust
        raise ApiError(415, "unsupported_encoding", encoding=encoding[:40])
    data = await body.read_limited(request, limits.ATTACHMENT_CHUNK_BYTES)
    root = settings.attachment_folder()
    return await run_in_threadpool(_store_chunk, engine, clinic, root, sha256, index, data)


def _store_chunk(engine, clinic, root, sha256: str, index: int, data: bytes) -> AttachmentStatus:
    mismatch = None
    with engine.begin() as conn:
        try:
            result = attachments.put_chunk(conn, root, clinic, sha256, index, data)
        except attachments.HashMismatch as exc:  # the chunks are dropped (committed), then refused
            mismatch, result = exc, exc.status
            audit.record(conn, clinic, "attachment.chunk", [sha256], status_code=422)
        else:
            if result.complete:
                audit.record(conn, clinic, "attachment.complete", [sha256])
    if mismatch is not None:
        raise ApiError(422, "attachment_hash_mismatch")
    return result
