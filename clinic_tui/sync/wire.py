"""Wire models of the sync protocol, shared by clinic-hub and the clinic's sync client.

Pydantic models and pure helpers only: no I/O, no database, no UI. The protocol itself (endpoints,
status codes, cursor and epoch rules) is described in ``docs/protocol.md``.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_VERSION = "1"
# Additions within API 1 that a client may use when the hub has them (docs/protocol.md, "Revisions"):
# 2 = a pull's last page can carry the reconcile numbers (GET /sync/pull?with_reconcile=true), and
# the reconcile answer names the API version. A hub of revision 1 refuses the parameter (422).
PROTOCOL_REVISION = 2
API_PREFIX = "/api/v1"

# --- Record kinds -------------------------------------------------------------------------------
RESIDENT = "resident"
VISIT = "visit"
FOLLOWUP = "followup"
REFERRAL = "referral"
REFERRAL_EVENT = "referral_event"
CONTRACT = "contract"
SERVICE_RECORD = "service_record"
TEAM = "team"
TASK = "task"
USER = "user"
REMOTE_REQUEST = "remote_request"  # a remote consultation or read asked of the hospital (domain/remote.py)
LAB_ORDER = "lab_order"  # tests sent to the lead hospital's lab (domain/lab.py)
EXAM_BOOKING = "exam_booking"  # an examination booked from the hospital's reserved pool (domain/exam.py)

# Kinds a clinic may push. Anything else is rejected per record with code "unknown_kind".
CLINIC_KINDS: frozenset[str] = frozenset(
    {
        RESIDENT,
        VISIT,
        FOLLOWUP,
        REFERRAL,
        REFERRAL_EVENT,
        CONTRACT,
        SERVICE_RECORD,
        TEAM,
        TASK,
        USER,
        REMOTE_REQUEST,
        LAB_ORDER,
        EXAM_BOOKING,
    }
)

# Kinds the hub itself writes and a clinic receives by pull (besides hub-made referral_event and
# downward referral records, which use the clinic kinds above).
HOSPITAL = "hospital"  # the lead hospital: code, name
DEPARTMENT = "department"  # code, name, daily_outpatient_slots, beds, active
SLOT_POOL = "slot_pool"  # department_code, date, total, reserved, remaining
BED_POOL = "bed_pool"  # inpatient beds, fields as slot_pool
BROADCAST = "broadcast"  # notices to every clinic: title, body
REMOTE_EVENT = "remote_event"  # the hospital's move on a remote request: accepted ... reported
LAB_EVENT = "lab_event"  # the lab's move on a lab order: received, rejected (reason), reported (results)
EXAM_POOL = "exam_pool"  # an examination's slots of one day: item_code, day, total, reserved, remaining
EXAM_EVENT = "exam_event"  # the hospital's move on an examination booking: confirmed ... reported (report)
HUB_KINDS: frozenset[str] = frozenset(
    {HOSPITAL, DEPARTMENT, SLOT_POOL, BED_POOL, BROADCAST, REMOTE_EVENT, LAB_EVENT, EXAM_POOL, EXAM_EVENT}
)

# --- Limits ---------------------------------------------------------------------------------------
MAX_PUSH_RECORDS = 500  # records per push batch; more -> 413 code "too_many_records"
MAX_BODY_BYTES = 8 * 1024 * 1024  # request body as sent (compressed or not); more -> 413
MAX_INFLATED_BYTES = 32 * 1024 * 1024  # a gzip body once inflated; more -> 413
DEFAULT_PULL_LIMIT = 200
MAX_PULL_LIMIT = 1000

# --- Per-record push answers ----------------------------------------------------------------------
ACCEPTED = "accepted"  # stored (new record or a newer revision)
DUPLICATE = "duplicate"  # the hub already had this revision or a newer one (see hub_revision)
REJECTED = "rejected"  # not stored; fix it (code + message) and push again
CONFLICT = "conflict"  # stored, but the ownership rules kept the hub's decision (code + message)
RecordStatus = Literal["accepted", "duplicate", "rejected", "conflict"]


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
    code: str | None = Field(None, description="Machine code for rejected and conflict answers")
    message: str | None = Field(None, description="Readable reason, in the Accept-Language")
    params: dict[str, str] | None = Field(
        None, description="The values in the code's sentence (rejected, conflict), to say it again in another language"
    )


class PushResponse(WireModel):
    batch_id: str
    epoch: str
    replayed: bool = Field(False, description="True when this batch id was seen before: stored answers")
    results: list[RecordResult]


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


# --- Proof of arrival -----------------------------------------------------------------------------
_HASH_MODULUS = 2**128
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def record_set_hash(pairs: Iterable[tuple[str | uuid.UUID, int]]) -> str:
    """Order-independent hash of a set of (record id, revision) pairs, as 32 hex digits.

    Each pair maps to the first 128 bits of sha256("<lower-case canonical uuid>:<revision>") and
    the values are summed modulo 2**128. A sum (not XOR) so that two equal pairs do not cancel out.
    Both sides compute it the same way; the empty set hashes to 32 zeros.
    """
    total = 0
    sha256, canonical_form = hashlib.sha256, _CANONICAL_UUID.fullmatch
    for record_id, revision in pairs:
        # Ids are stored canonical: parsing each of 10,000 as a UUID took two thirds of the time.
        canonical = (
            record_id if isinstance(record_id, str) and canonical_form(record_id) else str(uuid.UUID(str(record_id)))
        )
        total += int.from_bytes(sha256(f"{canonical}:{int(revision)}".encode("ascii")).digest()[:16], "big")
    return f"{total % _HASH_MODULUS:032x}"


# --- Attachments of remote requests (docs/protocol.md, "Attachments") ---------------------------------
ATTACHMENTS_PATH = f"{API_PREFIX}/attachments"


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
