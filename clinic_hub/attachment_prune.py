"""Removing abandoned uploads (docs/hub.md, "Attachments"): a clinic that declared a file and sent
part of it, then never came back (the request withdrawn, the PC replaced, the file deleted), leaves
chunks under ``incoming/`` and rows in ``attachment_upload`` / ``attachment_chunk`` for ever.

An upload is abandoned when it is not complete and nothing arrived for it for ``max_age``
(``Settings.abandoned_upload_days``, default 7): its chunk rows and its upload row go, then its
chunk files. A clinic that comes back after that declares again and sends the whole file again
(the clinic keeps its copy until the hub holds it whole), so nothing is lost but bytes on the
link. Complete files (``files/``, ``attachment_blob``) are never touched here: a file another
clinic completed, or this clinic's own complete copy, stays whatever is pruned.

Run by ``clinic-hub attachments prune``, and by the server at start-up and every
``Settings.prune_interval_hours``. Safe beside uploads under way and beside other hub processes
doing the same: an upload's row is deleted only if it still matches (not complete, nothing new
since the cutoff) in the same statement, so a chunk arriving meanwhile keeps it; its folder is
moved aside before the commit and put back if the commit fails.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from clinic_hub.db import utcnow
from clinic_hub.models import AttachmentChunk, AttachmentUpload, table_of

_uploads = table_of(AttachmentUpload)
_chunks = table_of(AttachmentChunk)
DEFAULT_MAX_AGE = timedelta(days=7)
TRASH = ".pruned"  # under incoming/: folders on their way out


@dataclass
class Pruned:
    uploads: int = 0  # abandoned uploads removed (rows and chunk files)
    chunks: int = 0  # their chunks
    bytes: int = 0  # the bytes their chunks held
    stray_folders: int = 0  # chunk folders no upload row names (a crash between rename and delete)


def prune_abandoned(engine: Engine, root: Path, max_age: timedelta = DEFAULT_MAX_AGE, now=None) -> Pruned:
    """Remove uploads not complete and untouched since ``now - max_age``; one transaction each."""
    now = now or utcnow()
    cutoff = now - max_age
    result = Pruned()
    with engine.connect() as conn:
        stale = conn.execute(
            sa.select(_uploads.c.clinic_id, _uploads.c.sha256).where(
                _uploads.c.complete.is_(False), _uploads.c.updated_at < cutoff
            )
        ).all()
    for clinic_id, sha256 in stale:
        _prune_one(engine, root, clinic_id, sha256, cutoff, result)
    result.stray_folders = _prune_strays(engine, root, cutoff)
    return result


def _prune_one(engine: Engine, root: Path, clinic_id: str, sha256: str, cutoff: datetime, result: Pruned) -> None:
    folder = root / "incoming" / clinic_id / sha256
    aside = None
    try:
        with engine.begin() as conn:
            gone = conn.execute(
                sa.delete(_uploads).where(
                    _uploads.c.clinic_id == clinic_id,
                    _uploads.c.sha256 == sha256,
                    _uploads.c.complete.is_(False),
                    _uploads.c.updated_at < cutoff,
                )
            ).rowcount
            if gone != 1:
                return  # completed, or a chunk arrived, since it was listed
            counted = conn.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(_chunks.c.size), 0)).where(
                    _chunks.c.clinic_id == clinic_id, _chunks.c.sha256 == sha256
                )
            ).one()
            conn.execute(sa.delete(_chunks).where(_chunks.c.clinic_id == clinic_id, _chunks.c.sha256 == sha256))
            if folder.exists():
                # Aside before the commit: a clinic declaring the file again right after it starts a
                # new folder, never one being deleted.
                aside = root / "incoming" / TRASH / uuid.uuid4().hex
                aside.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                folder.replace(aside)
    except BaseException:
        if aside is not None and aside.exists() and not folder.exists():
            aside.replace(folder)  # the rows are still there: so are their chunks
        raise
    result.uploads += 1
    result.chunks += int(counted[0])
    result.bytes += int(counted[1])
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _prune_strays(engine: Engine, root: Path, cutoff: datetime) -> int:
    """Chunk folders older than the cutoff that no incomplete upload names (and leftovers of the
    trash): a crash after a commit but before the folder was deleted leaves them."""
    incoming = root / "incoming"
    if not incoming.is_dir():
        return 0
    oldest = time.time() - (utcnow() - cutoff).total_seconds()
    removed = 0
    trash = incoming / TRASH
    if trash.is_dir():
        for folder in trash.iterdir():
            if folder.stat().st_mtime < oldest:
                shutil.rmtree(folder, ignore_errors=True)
    for clinic_folder in incoming.iterdir():
        if clinic_folder.name == TRASH or not clinic_folder.is_dir():
            continue
        for folder in clinic_folder.iterdir():
            if not folder.is_dir() or folder.stat().st_mtime >= oldest:
                continue
            with engine.connect() as conn:
                row = conn.execute(
                    sa.select(_uploads.c.complete).where(
                        _uploads.c.clinic_id == clinic_folder.name, _uploads.c.sha256 == folder.name
                    )
                ).first()
            if row is None or row.complete:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


async def keep_pruning(settings, engine: Engine) -> None:
    """The server's own pruning: once at start-up, then every ``settings.prune_interval_hours``
    (0: start-up only). A failure is logged and tried again next time; it never stops the server."""
    import asyncio
    import logging

    from starlette.concurrency import run_in_threadpool

    log = logging.getLogger("clinic_hub.attachments")
    max_age = timedelta(days=settings.abandoned_upload_days)
    while True:
        try:
            pruned = await run_in_threadpool(prune_abandoned, engine, settings.attachment_folder(), max_age)
            if pruned.uploads or pruned.stray_folders:
                log.info(
                    "pruned abandoned uploads",
                    extra={"uploads": pruned.uploads, "chunks": pruned.chunks, "bytes": pruned.bytes},
                )
        except Exception:  # a database not migrated yet, a folder not mounted: said, tried again later
            log.exception("pruning abandoned uploads failed")
        if settings.prune_interval_hours <= 0:
            return
        await asyncio.sleep(settings.prune_interval_hours * 3600)
