"""What of a remote request's files has arrived from its clinic: each file the request names with
its chunks received (the request's page, the report's check that the reader has the whole tracing)
and the counts of a whole queue page at once (clinic_hub/remote_desk.py lists them)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import attachments as attachment_store
from clinic_hub.models import AttachmentUpload, RemoteAttachment, table_of
from clinic_hub.schemas.remote import RemoteAttachmentOut, RemoteSummary
from clinic_tui.domain import attachments as attachment_rules

_attachments = table_of(RemoteAttachment)


def attachments_of(conn: Connection, request_id: str, clinic_id: str) -> list[RemoteAttachmentOut]:
    """The files a request names, each with how much of it has arrived from its clinic."""
    rows = list(
        conn.execute(
            sa.select(_attachments).where(_attachments.c.request_id == request_id).order_by(_attachments.c.position)
        )
    )
    arrived = attachment_store.progress(conn, clinic_id, [r.sha256 for r in rows])
    out = []
    for r in rows:
        received, total, complete = arrived.get(r.sha256, (0, attachment_rules.chunk_count(r.size), False))
        out.append(
            RemoteAttachmentOut(
                sha256=r.sha256,
                name=r.name,
                size=r.size,
                media_type=r.media_type,
                complete=complete,
                chunks_received=received,
                chunks_total=total,
            )
        )
    return out


def with_attachments(conn: Connection, summaries: list[RemoteSummary], clinics: dict[str, str]) -> None:
    """Fill in each summary's attachment counts (the queue's "attachment arriving: 3/8 chunks"):
    two queries for the whole page, not two per request."""
    if not summaries:
        return
    named = conn.execute(
        sa.select(_attachments.c.request_id, _attachments.c.sha256, _attachments.c.size).where(
            _attachments.c.request_id.in_([s.id for s in summaries])
        )
    ).all()
    if not named:
        return
    uploads = table_of(AttachmentUpload)
    arrived = {
        (r.clinic_id, r.sha256): (r.chunks_total if r.complete else r.chunks_received, r.chunks_total, r.complete)
        for r in conn.execute(
            sa.select(
                uploads.c.clinic_id,
                uploads.c.sha256,
                uploads.c.chunks_received,
                uploads.c.chunks_total,
                uploads.c.complete,
            ).where(
                uploads.c.clinic_id.in_(set(clinics.values())),
                uploads.c.sha256.in_({r.sha256 for r in named}),
            )
        )
    }
    by_id = {s.id: s for s in summaries}
    for r in named:
        summary = by_id[r.request_id]
        received, total, complete = arrived.get(
            (clinics[r.request_id], r.sha256), (0, attachment_rules.chunk_count(r.size), False)
        )
        summary.attachments_total += 1
        summary.attachments_complete += int(complete)
        summary.chunks_received += received
        summary.chunks_total += total
