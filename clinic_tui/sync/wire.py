"""Wire models of the sync protocol, shared by clinic-hub and the clinic's sync client.

Pydantic models and pure helpers only: no I/O, no database, no UI. The protocol itself (endpoints,
status codes, cursor and epoch rules) is described in ``docs/protocol.md``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clinic_tui.sync.wire_rules import (
    ACCEPTED as ACCEPTED,
)
from clinic_tui.sync.wire_rules import (
    API_PREFIX as API_PREFIX,
)
from clinic_tui.sync.wire_rules import (
    API_VERSION as API_VERSION,
)
from clinic_tui.sync.wire_rules import (
    ATTACHMENTS_PATH as ATTACHMENTS_PATH,
)
from clinic_tui.sync.wire_rules import (
    BED_POOL as BED_POOL,
)
from clinic_tui.sync.wire_rules import (
    BROADCAST as BROADCAST,
)
from clinic_tui.sync.wire_rules import (
    CLINIC_KINDS as CLINIC_KINDS,
)
from clinic_tui.sync.wire_rules import (
    COMPACT_PUSH as COMPACT_PUSH,
)
from clinic_tui.sync.wire_rules import (
    CONFLICT as CONFLICT,
)
from clinic_tui.sync.wire_rules import (
    CONTRACT as CONTRACT,
)
from clinic_tui.sync.wire_rules import (
    DEFAULT_PULL_LIMIT as DEFAULT_PULL_LIMIT,
)
from clinic_tui.sync.wire_rules import (
    DEPARTMENT as DEPARTMENT,
)
from clinic_tui.sync.wire_rules import (
    DUPLICATE as DUPLICATE,
)
from clinic_tui.sync.wire_rules import (
    EXAM_BOOKING as EXAM_BOOKING,
)
from clinic_tui.sync.wire_rules import (
    EXAM_EVENT as EXAM_EVENT,
)
from clinic_tui.sync.wire_rules import (
    EXAM_POOL as EXAM_POOL,
)
from clinic_tui.sync.wire_rules import (
    FOLLOWUP as FOLLOWUP,
)
from clinic_tui.sync.wire_rules import (
    HOSPITAL as HOSPITAL,
)
from clinic_tui.sync.wire_rules import (
    HUB_KINDS as HUB_KINDS,
)
from clinic_tui.sync.wire_rules import (
    LAB_EVENT as LAB_EVENT,
)
from clinic_tui.sync.wire_rules import (
    LAB_ORDER as LAB_ORDER,
)
from clinic_tui.sync.wire_rules import (
    MAX_BODY_BYTES as MAX_BODY_BYTES,
)
from clinic_tui.sync.wire_rules import (
    MAX_INFLATED_BYTES as MAX_INFLATED_BYTES,
)
from clinic_tui.sync.wire_rules import (
    MAX_PULL_LIMIT as MAX_PULL_LIMIT,
)
from clinic_tui.sync.wire_rules import (
    MAX_PUSH_RECORDS as MAX_PUSH_RECORDS,
)
from clinic_tui.sync.wire_rules import (
    PROTOCOL_REVISION as PROTOCOL_REVISION,
)
from clinic_tui.sync.wire_rules import (
    REFERRAL as REFERRAL,
)
from clinic_tui.sync.wire_rules import (
    REFERRAL_EVENT as REFERRAL_EVENT,
)
from clinic_tui.sync.wire_rules import (
    REJECTED as REJECTED,
)
from clinic_tui.sync.wire_rules import (
    REMOTE_EVENT as REMOTE_EVENT,
)
from clinic_tui.sync.wire_rules import (
    REMOTE_REQUEST as REMOTE_REQUEST,
)
from clinic_tui.sync.wire_rules import (
    RESIDENT as RESIDENT,
)
from clinic_tui.sync.wire_rules import (
    REVISION_TAKEN as REVISION_TAKEN,
)
from clinic_tui.sync.wire_rules import (
    SERVICE_RECORD as SERVICE_RECORD,
)
from clinic_tui.sync.wire_rules import (
    SLOT_POOL as SLOT_POOL,
)
from clinic_tui.sync.wire_rules import (
    TASK as TASK,
)
from clinic_tui.sync.wire_rules import (
    TEAM as TEAM,
)
from clinic_tui.sync.wire_rules import (
    USER as USER,
)
from clinic_tui.sync.wire_rules import (
    VISIT as VISIT,
)
from clinic_tui.sync.wire_rules import (
    RecordStatus as RecordStatus,
)
from clinic_tui.sync.wire_rules import (
    confirmation_hash as confirmation_hash,
)
from clinic_tui.sync.wire_rules import (
    record_set_hash as record_set_hash,
)


class WireModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PushRecord(WireModel):
    """One record version as the clinic made it. ``data`` holds every column of the row."""

    kind: str = Field(min_length=1, max_length=40)
    id: uuid.UUID
    revision: int = Field(ge=1, le=2**31 - 1)
    updated_at: datetime
    deleted: bool = False
    data: dict[str, Any]


class PushRequest(WireModel):
    batch_id: str = Field(min_length=1, max_length=100, description="Unique per batch; resend it unchanged")
    records: list[PushRecord] = Field(max_length=MAX_PUSH_RECORDS)


class RecordResult(WireModel):
    id: str
    kind: str | None = None
    revision: int | None = None
    status: RecordStatus
    hub_revision: int | None = Field(None, description="The revision the hub holds (duplicate, conflict)")
    code: str | None = Field(
        None, description="Machine code for rejected and conflict answers (and revision_taken, a duplicate)"
    )
    message: str | None = Field(None, description="Readable reason, in the Accept-Language")
    params: dict[str, str] | None = Field(
        None, description="The values in the code's sentence (rejected, conflict), to say it again in another language"
    )


class Confirmed(WireModel):
    """Protocol revision 3: the records of a batch the hub took plainly, not listed one by one."""

    count: int = Field(ge=0, description="Records answered here: accepted + duplicate")
    hash: str = Field(description="confirmation_hash of their (kind, id, revision)")
    accepted: int = Field(ge=0, description="Of them, stored as new (status accepted, no code)")
    duplicate: int = Field(ge=0, description="Of them, already held at exactly the revision sent")


class PushResponse(WireModel):
    batch_id: str
    epoch: str
    replayed: bool = Field(False, description="True when this batch id was seen before: stored answers")
    results: list[RecordResult] = Field(
        description="One answer per record in the order sent; in a compact answer (confirmed not null) "
        "only the records it does not confirm"
    )
    confirmed: Confirmed | None = Field(
        None, description="Protocol revision 3, asked with `Prefer: return=minimal`: the records not listed"
    )
    protocol_revision: int | None = Field(None, description="The hub's PROTOCOL_REVISION (absent before 3)")


class PullChange(WireModel):
    seq: int
    kind: str
    id: str
    revision: int
    updated_at: datetime
    deleted: bool
    data: dict[str, Any]


class KindSummary(WireModel):
    count: int
    hash: str


class ReconcileResponse(WireModel):
    epoch: str
    kinds: dict[str, KindSummary]
    # Since protocol revision 2: the hub's API version, so that a sync which starts with a
    # reconcile (instead of GET /health) still refuses a hub speaking another API.
    api_version: str | None = None


class PullResponse(WireModel):
    changes: list[PullChange]
    next_cursor: str = Field(description="Opaque: store it with the changes applied, send it back")
    has_more: bool
    epoch: str
    reconcile: ReconcileResponse | None = Field(
        None,
        description="Asked with with_reconcile=true (protocol revision 2): on the last page (has_more "
        "false), the numbers GET /sync/reconcile would answer, read in the same snapshot as the page",
    )
    protocol_revision: int | None = Field(None, description="The hub's PROTOCOL_REVISION (absent before 4)")


class OwnRecord(WireModel):
    kind: str
    id: str
    revision: int
    updated_at: datetime
    deleted: bool
    data: dict[str, Any]


class OwnClinic(WireModel):
    """Who the token's clinic is on the hub (GET /sync/own/clinic): what a clinic rebuilt on a new PC
    needs before it takes its records back. ``record_clinic_id`` is the clinic id its records carry
    (made by the clinic when it was set up; null when the hub holds no record of it yet)."""

    code: str
    name: str
    record_clinic_id: str | None = None


class OwnPage(WireModel):
    """A page of the records this clinic pushed, as the hub holds them (GET /sync/own): what a
    clinic restored from a backup, or rebuilt, takes back. Ask again with ``after`` = ``next_after``
    while it is not null."""

    kind: str
    records: list[OwnRecord]
    next_after: str | None = None


class ErrorResponse(WireModel):
    code: str
    message: str
    errors: list[dict[str, Any]] | None = None


class HealthResponse(WireModel):
    status: Literal["ok"]
    api_version: str
    epoch: str | None = None
    protocol_revision: int = Field(
        1, description="The additions within api_version this hub has (see PROTOCOL_REVISION)"
    )


# --- Attachments of remote requests (docs/protocol.md, "Attachments") ---------------------------------


class AttachmentDeclare(WireModel):
    """``PUT /attachments/{sha256}``: the file's size and type, before (or to resume) its chunks."""

    size: int = Field(ge=1, description="Bytes of the whole file")
    media_type: str = Field(max_length=40, description="application/pdf, image/jpeg or image/png")


class AttachmentStatus(WireModel):
    """What the hub holds of one of the calling clinic's attachments."""

    sha256: str
    size: int
    media_type: str
    chunk_bytes: int = Field(description="Every chunk but the last has exactly this length")
    chunks_total: int
    missing: list[int] = Field(description="Chunk indexes the hub has not received (empty when complete)")
    complete: bool = Field(description="Every chunk arrived and the whole file hashed to its name")
