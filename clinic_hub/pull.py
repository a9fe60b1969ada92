"""Pull and reconcile (sync invariants 4 and 6, docs/architecture-sync.md).

Pull returns the hub records addressed to a clinic (or to every clinic) whose change number is
after the cursor, in change-number order. The cursor wraps the number with the epoch: a cursor
from another epoch (the hub was restored from a backup) starts again from the beginning.
"""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from clinic_hub import audit, changes, limits
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, reading
from clinic_hub.errors import ApiError
from clinic_hub.models import SyncRecord, table_of
from clinic_hub.record_store import clinic_numbers
from clinic_tui.sync.wire import (
    API_VERSION,
    PROTOCOL_REVISION,
    KindSummary,
    PullChange,
    PullResponse,
    ReconcileResponse,
)

_records = table_of(SyncRecord)


def encode_cursor(epoch: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{epoch}:{seq}".encode()).decode().rstrip("=")


CURSOR_DESCRIPTION = (
    "Opaque: omit to start, then send the last next_cursor unchanged. (It is base64url, "
    "without padding, of `v1:<epoch>:<n>`, n a change number 0..2^63-1.) Invalid: 400 bad_cursor"
)
_CURSOR = re.compile(limits.CURSOR_PATTERN)
_SEQ = re.compile(r"^(0|[1-9][0-9]{0,18})$")  # digits only: int() would also take "1_0", "+1", " 1"


def decode_cursor(cursor: str | None, epoch: str) -> int:
    """The change number after which to read; 0 for no cursor or another epoch's cursor."""
    if not cursor:
        return 0
    if not _CURSOR.fullmatch(cursor):
        raise ApiError(400, "bad_cursor")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        version, cursor_epoch, seq = text.split(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ApiError(400, "bad_cursor") from None
    if version != "v1" or not _SEQ.fullmatch(seq) or int(seq) > limits.MAX_CURSOR_SEQ:
        raise ApiError(400, "bad_cursor")
    return int(seq) if cursor_epoch == epoch else 0


def pull(
    engine: Engine, clinic: Principal, cursor: str | None, limit: int, *, with_reconcile: bool = False
) -> PullResponse:
    numbers = None
    with reading(engine) as conn:
        epoch = changes.current_epoch(conn)
        after = decode_cursor(cursor, epoch)
        rows = conn.execute(
            sa.select(
                _records.c.seq,
                _records.c.kind,
                _records.c.id,
                _records.c.revision,
                _records.c.updated_at,
                _records.c.deleted,
                _records.c.data,
            )
            .where(
                _records.c.origin == "hub",
                _records.c.seq > after,
                sa.or_(_records.c.clinic_id.is_(None), _records.c.clinic_id == clinic.id),
            )
            .order_by(_records.c.seq)
            .limit(limit + 1)
        ).all()
        page = rows[:limit]
        if with_reconcile and len(rows) <= limit:  # the last page: the numbers of the same snapshot
            numbers = _numbers(conn, clinic, epoch)
    if page:
        # What left the hub, written before it leaves (a failed write answers 5xx and sends
        # nothing). An empty pull, the usual end-of-day one, reveals nothing and writes nothing,
        # so it does not wait for the write lock behind a push.
        with engine.begin() as conn:
            audit.record(conn, clinic, "sync.pull", [row.id for row in page])
    changes_out = [
        PullChange(
            seq=r.seq,
            kind=r.kind,
            id=r.id,
            revision=r.revision,
            updated_at=as_utc(r.updated_at),
            deleted=r.deleted,
            data=r.data,
        )
        for r in page
    ]
    last = page[-1].seq if page else after
    return PullResponse(
        changes=changes_out,
        next_cursor=encode_cursor(epoch, last),
        has_more=len(rows) > limit,
        epoch=epoch,
        reconcile=numbers,
        protocol_revision=PROTOCOL_REVISION,
    )


def reconcile(engine: Engine, clinic: Principal) -> ReconcileResponse:
    # Counts and hashes of the clinic's own records: nothing in it is a record, so it is not in
    # the audit log (the access log has the request), and it reads beside a push, not after it.
    with reading(engine) as conn:
        return _numbers(conn, clinic, changes.current_epoch(conn))


def _numbers(conn: Connection, clinic: Principal, epoch: str) -> ReconcileResponse:
    kinds = {
        kind: KindSummary(count=count, hash=digest) for kind, (count, digest) in clinic_numbers(conn, clinic.id).items()
    }
    return ReconcileResponse(epoch=epoch, kinds=kinds, api_version=API_VERSION)
