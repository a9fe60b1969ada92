"""Attachments of remote requests (issue 18): files of up to tens of MB sent by clinics over slow
links, in chunks that resume after a cut (docs/protocol.md, "Attachments").

A file is named by the SHA-256 of its bytes. A clinic declares it (size, type), then sends its
chunks in any order, each once or again (the same chunk twice is stored once); the hub answers
which chunks it still lacks, so a cut upload resumes where it stopped. When the last chunk
arrives the hub hashes the whole file: if it matches its name the file is complete and kept once
under ``files/`` (another clinic's copy of the same bytes is not stored again), else the chunks
are dropped and the clinic is told to send them again. Bytes are written as they came: never
recompressed, never converted.

Where the bytes are (the attachment folder, ``Settings.attachment_folder``)::

    incoming/<clinic id>/<sha256>/<chunk index>   chunks of uploads not yet complete
    files/<first two hex digits>/<sha256>         complete files, one per hash

The database holds what is known of them (``attachment_blob``, ``attachment_upload``,
``attachment_chunk``); a clinic sees only its own uploads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import limits
from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.errors import ApiError
from clinic_hub.models import AttachmentBlob, AttachmentChunk, AttachmentUpload, table_of
from clinic_tui.domain import attachments as rules
from clinic_tui.sync.wire import AttachmentStatus

_blobs = table_of(AttachmentBlob)
_uploads = table_of(AttachmentUpload)
_chunks = table_of(AttachmentChunk)
FOLDER_MODE, FILE_MODE = 0o700, 0o600
READ_BYTES = 1024 * 1024


class HashMismatch(Exception):
    """The whole file did not hash to its name: its chunks were dropped (commit, then answer 422)."""

    def __init__(self, status: AttachmentStatus):
        super().__init__("attachment_hash_mismatch")
        self.status = status


# --- the folder --------------------------------------------------------------------------------------


def _private_folder(path: Path) -> Path:
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return path


def file_path(root: Path, sha256: str) -> Path:
    return root / "files" / sha256[:2] / sha256


def stored_file(root: Path, sha256: str) -> Path:
    """A complete file's path; 404 when its bytes are not on the disk (a folder not restored with
    the database: docs/hub.md, "Backups"), never a 500."""
    path = file_path(root, sha256)
    if not path.is_file():
        raise ApiError(404, "attachment_not_found")
    return path


def _incoming(root: Path, clinic_id: str, sha256: str) -> Path:
    return root / "incoming" / clinic_id / sha256


def _write_file(path: Path, parts) -> None:
    """Write the bytes to a temporary name, flush them to the disk, then rename: a crash never
    leaves half a chunk or half a file under its final name."""
    _private_folder(path.parent)
    temporary = path.with_name(path.name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        for part in parts:
            handle.write(part)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# --- state -------------------------------------------------------------------------------------------


def _status(conn: Connection, row) -> AttachmentStatus:
    if row.complete:
        missing: list[int] = []
    else:
        have = {
            index
            for (index,) in conn.execute(
                sa.select(_chunks.c.idx).where(_chunks.c.clinic_id == row.clinic_id, _chunks.c.sha256 == row.sha256)
            )
        }
        missing = [index for index in range(row.chunks_total) if index not in have]
    return AttachmentStatus(
        sha256=row.sha256,
        size=row.size,
        media_type=row.media_type,
        chunk_bytes=row.chunk_bytes,
        chunks_total=row.chunks_total,
        missing=missing,
        complete=row.complete,
    )


def _upload(conn: Connection, clinic_id: str, sha256: str, lock: bool = False):
    query = sa.select(_uploads).where(_uploads.c.clinic_id == clinic_id, _uploads.c.sha256 == sha256)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).first()


def status(conn: Connection, clinic: Principal, sha256: str) -> AttachmentStatus:
    """What the hub holds of this clinic's file; 404 when this clinic never declared it (another
    clinic's upload of the same bytes is not this clinic's to see)."""
    row = _upload(conn, clinic.id, sha256)
    if row is None:
        raise ApiError(404, "attachment_not_found")
    return _status(conn, row)


def declare(conn: Connection, clinic: Principal, sha256: str, size: int, media_type: str) -> AttachmentStatus:
    """Start (or find again) this clinic's upload of a file: its size and type, checked against the
    bounds. Declaring again with the same size and type answers the same status (a resume)."""
    if media_type not in limits.ATTACHMENT_MEDIA_TYPES:
        raise ApiError(415, "attachment_type_not_allowed")
    if size <= 0:
        raise ApiError(422, "attachment_empty")
    if size > limits.MAX_ATTACHMENT_BYTES:
        raise ApiError(413, "attachment_too_large", limit=limits.MAX_ATTACHMENT_BYTES)
    row = _upload(conn, clinic.id, sha256, lock=True)
    if row is not None:
        if (row.size, row.media_type) != (size, media_type):
            raise ApiError(409, "attachment_declared_otherwise")
        return _status(conn, row)
    now = utcnow()
    try:
        with conn.begin_nested():  # the same file declared twice at once: the second finds the first
            _insert_upload(conn, clinic, sha256, size, media_type, now)
    except sa.exc.IntegrityError:
        pass
    row = _upload(conn, clinic.id, sha256)
    if (row.size, row.media_type) != (size, media_type):
        raise ApiError(409, "attachment_declared_otherwise")
    return _status(conn, row)


def _insert_upload(conn: Connection, clinic: Principal, sha256: str, size: int, media_type: str, now) -> None:
    conn.execute(
        sa.insert(_uploads).values(
            clinic_id=clinic.id,
            sha256=sha256,
            size=size,
            media_type=media_type,
            chunk_bytes=limits.ATTACHMENT_CHUNK_BYTES,
            chunks_total=rules.chunk_count(size, limits.ATTACHMENT_CHUNK_BYTES),
            chunks_received=0,
            complete=False,
            created_at=now,
            updated_at=now,
        )
    )


def put_chunk(
    conn: Connection, root: Path, clinic: Principal, sha256: str, index: int, data: bytes
) -> AttachmentStatus:
    """Store chunk ``index`` of this clinic's upload, once; complete the file when it was the last.
    Raises HashMismatch (after dropping the chunks, which the caller commits) when the whole file
    does not hash to its name."""
    row = _upload(conn, clinic.id, sha256, lock=True)
    if row is None:
        raise ApiError(404, "attachment_not_declared")
    if row.complete:
        return _status(conn, row)  # sent again after the answer was lost: nothing to do
    if not 0 <= index < row.chunks_total:
        raise ApiError(422, "chunk_out_of_range", total=row.chunks_total)
    expected = rules.chunk_length(row.size, index, row.chunk_bytes)
    if len(data) != expected:
        raise ApiError(422, "chunk_wrong_size", index=index, expected=expected)
    if index == 0 and rules.media_type_of(data[: rules.SNIFF_BYTES]) != row.media_type:
        raise ApiError(415, "attachment_type_mismatch")
    known = conn.execute(
        sa.select(_chunks.c.idx).where(
            _chunks.c.clinic_id == clinic.id, _chunks.c.sha256 == sha256, _chunks.c.idx == index
        )
    ).first()
    if known is not None:
        return _status(conn, row)  # the same chunk again: stored once
    _write_file(_incoming(root, clinic.id, sha256) / str(index), [data])
    conn.execute(sa.insert(_chunks).values(clinic_id=clinic.id, sha256=sha256, idx=index, size=len(data)))
    received = row.chunks_received + 1
    now = utcnow()
    update = sa.update(_uploads).where(_uploads.c.clinic_id == clinic.id, _uploads.c.sha256 == sha256)
    conn.execute(update.values(chunks_received=received, updated_at=now))
    if received == row.chunks_total:
        _assemble(conn, root, clinic, row)
    return _status(conn, _upload(conn, clinic.id, sha256))


def _assemble(conn: Connection, root: Path, clinic: Principal, row) -> None:
    folder = _incoming(root, clinic.id, row.sha256)
    parts = [folder / str(index) for index in range(row.chunks_total)]
    gone = [index for index, part in enumerate(parts) if not part.is_file()]
    if gone:
        # Chunk files the rows call received are not on the disk (a hub restored without its
        # incoming/ folder, a pruning crash): forget them, so the clinic is asked for them again.
        conn.execute(
            sa.delete(_chunks).where(
                _chunks.c.clinic_id == clinic.id, _chunks.c.sha256 == row.sha256, _chunks.c.idx.in_(gone)
            )
        )
        update = sa.update(_uploads).where(_uploads.c.clinic_id == clinic.id, _uploads.c.sha256 == row.sha256)
        conn.execute(update.values(chunks_received=row.chunks_total - len(gone), updated_at=utcnow()))
        return
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as handle:
            while block := handle.read(READ_BYTES):
                digest.update(block)
    forget_chunks = sa.delete(_chunks).where(_chunks.c.clinic_id == clinic.id, _chunks.c.sha256 == row.sha256)
    update = sa.update(_uploads).where(_uploads.c.clinic_id == clinic.id, _uploads.c.sha256 == row.sha256)
    now = utcnow()
    if digest.hexdigest() != row.sha256:
        conn.execute(forget_chunks)
        conn.execute(update.values(chunks_received=0, updated_at=now))
        shutil.rmtree(folder, ignore_errors=True)
        raise HashMismatch(_status(conn, _upload(conn, clinic.id, row.sha256)))
    target = file_path(root, row.sha256)
    stored = conn.execute(sa.select(_blobs.c.sha256).where(_blobs.c.sha256 == row.sha256)).first()
    if stored is None or not target.exists():  # the same bytes from another clinic: kept once

        def read_parts():
            for part in parts:
                yield part.read_bytes()

        _write_file(target, read_parts())
    if stored is None:
        try:
            with conn.begin_nested():  # another clinic completing the same bytes at the same moment
                conn.execute(
                    sa.insert(_blobs).values(sha256=row.sha256, size=row.size, media_type=row.media_type, stored_at=now)
                )
        except sa.exc.IntegrityError:
            pass
    conn.execute(forget_chunks)
    conn.execute(update.values(complete=True, completed_at=now, updated_at=now))
    shutil.rmtree(folder, ignore_errors=True)


def own_file(conn: Connection, root: Path, clinic: Principal, sha256: str) -> tuple[Path, str]:
    """A complete file this clinic uploaded itself (its path, its type), for a clinic taking its own
    files back (a rebuild, a restore that lacked one). 404 attachment_not_found for a file this
    clinic never completed, whoever else holds the same bytes: a clinic never gets another
    clinic's file (nor learns that another clinic has it)."""
    row = _upload(conn, clinic.id, sha256)
    if row is None or not row.complete:
        raise ApiError(404, "attachment_not_found")
    return stored_file(root, sha256), row.media_type


# --- what the desk shows -----------------------------------------------------------------------------


def progress(conn: Connection, clinic_id: str, sha256s: list[str]) -> dict[str, tuple[int, int, bool]]:
    """Per hash, (chunks received, chunks in all, complete) of this clinic's uploads; a hash the
    clinic has not declared yet is absent."""
    if not sha256s:
        return {}
    rows = conn.execute(
        sa.select(_uploads.c.sha256, _uploads.c.chunks_received, _uploads.c.chunks_total, _uploads.c.complete).where(
            _uploads.c.clinic_id == clinic_id, _uploads.c.sha256.in_(sha256s)
        )
    )
    return {r.sha256: (r.chunks_total if r.complete else r.chunks_received, r.chunks_total, r.complete) for r in rows}


# --- serving a file to the desk ----------------------------------------------------------------------

# Compatible with the desk's own policy (web/common.py): nothing runs, nothing is fetched from
# elsewhere; the browser's own viewer may show the image or the PDF (its inline styles, the PDF
# viewer's frame inside this document).
ATTACHMENT_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)


def serving_headers(name: str, media_type: str, sha256: str) -> dict[str, str]:
    """Shown in the browser (inline), never cached (patient data), never sniffed as another type."""
    from urllib.parse import quote

    ascii_name = f"{sha256[:12]}{rules.SUFFIXES.get(media_type, '')}"
    return {
        "Content-Type": media_type,
        "Content-Encoding": "identity",  # as taken: the hub's gzip middleware leaves it alone
        "Content-Disposition": f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": ATTACHMENT_CSP,
    }
