"""The sync protocol's constants and hashes, without pydantic (docs/protocol.md).

``clinic_tui.sync.wire`` re-exports all of it beside the pydantic models it shares with the hub.
The clinic's sync imports these from here, so that a sync with nothing to send (one exchange,
read by ``sync.answers``) never loads pydantic (docs/sync.md, "Cost of a sync").
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
import uuid
from collections.abc import Iterable
from typing import Literal

API_VERSION = "1"
# Additions within API 1 that a client may use when the hub has them (docs/protocol.md, "Revisions"):
# 2 = a pull's last page can carry the reconcile numbers (GET /sync/pull?with_reconcile=true), and
# the reconcile answer names the API version. A hub of revision 1 refuses the parameter (422).
# 3 = the compact push answer: asked with ``Prefer: return=minimal`` (COMPACT_PUSH), the plainly
# confirmed records are answered by a count and a hash (``Confirmed``), the others one by one. A hub
# before it ignores the header and answers per record, as it always did.
# 4 = a pushed edit whose revision the hub holds as another version (same revision, another
# updated_at or tombstone flag: a backup was copied over the clinic's file) is answered
# "duplicate" with the code REVISION_TAKEN, listed; a pull answer names the hub's revision. A
# client that knows its hub has it needs no reconcile before a push that holds edits.
PROTOCOL_REVISION = 4
EDITS_CHECKED_FROM = 4  # the hub revision from which an edit cannot be lost as a "duplicate"
REVISION_TAKEN = "revision_taken"  # the code of that answer
COMPACT_PUSH = "return=minimal"  # the ``Prefer`` header's value (RFC 7240) asking for it
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

ATTACHMENTS_PATH = f"{API_PREFIX}/attachments"


# --- Proof of arrival -----------------------------------------------------------------------------
_HASH_MODULUS = 2**128
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DIGEST = operator.methodcaller("digest")


def record_set_hash(pairs: Iterable[tuple[str | uuid.UUID, int]]) -> str:
    """Order-independent hash of a set of (record id, revision) pairs, as 32 hex digits.

    Each pair maps to the first 128 bits of sha256("<lower-case canonical uuid>:<revision>") and
    the values are summed modulo 2**128. A sum (not XOR) so that two equal pairs do not cancel out.
    Both sides compute it the same way; the empty set hashes to 32 zeros.
    """
    items = pairs if isinstance(pairs, list) else list(pairs)
    try:
        ids = [record_id for record_id, _ in items]
        canonical = _all_canonical(ids)  # type: ignore[arg-type]
    except TypeError:  # some given as uuid.UUID
        canonical = False
    if canonical:
        texts = [f"{record_id}:{int(revision)}".encode("ascii") for record_id, revision in items]
    else:
        texts = [f"{_canonical(record_id)}:{int(revision)}".encode("ascii") for record_id, revision in items]
    # Each term is the digest's first 128 of 256 bits (int.from_bytes: big-endian by default since
    # Python 3.11), mapped in C with no Python frame per record: 10,000 in 6.7 ms instead of 8.3.
    digests = map(_DIGEST, map(hashlib.sha256, texts))
    return record_set_hash_of_sum(sum(map(operator.rshift, map(int.from_bytes, digests), itertools.repeat(128))))


def _all_canonical(ids: list[str]) -> bool:
    """Whether every id is a canonical (lower-case, hyphenated) UUID, as the ids a database stores
    are: checked all at once on the bytes (0.5 ms for 10,000; parsing each as a UUID took 12 ms,
    a regular expression over them all 2 ms). Each id must take 37 bytes with its line end, with
    the hyphens and the line end in their places and only hexadecimal digits in between."""
    if not ids:
        return True
    text = "\n".join(ids) + "\n"
    if not text.isascii():
        return False
    raw, n = text.encode("ascii"), len(ids)
    return (
        len(raw) == 37 * n
        and raw.count(b"-") == 4 * n
        and raw.count(b"\n") == n
        and all(raw[at::37] == b"-" * n for at in (8, 13, 18, 23))
        and raw[36::37] == b"\n" * n
        and not raw.translate(None, b"0123456789abcdef-\n")
    )


def record_set_hash_of_sum(total: int) -> str:
    """``record_set_hash`` from the sum of its terms (the hub keeps each record's term stored, so
    its numbers are one sum in SQL instead of a hash of every record per sync)."""
    return f"{total % _HASH_MODULUS:032x}"


def _canonical(record_id: str | uuid.UUID) -> str:
    if isinstance(record_id, str) and _CANONICAL_UUID.fullmatch(record_id):
        return record_id
    return str(uuid.UUID(str(record_id)))


def confirmation_hash(items: Iterable[tuple[str, str, int]]) -> str:
    """What a compact push answer confirms (docs/protocol.md, "Compact answers"), as 32 hex digits:
    the first 128 bits of sha256 over the lines ``"<kind> <id> <revision>\n"`` of the records, sorted
    (id as sent and echoed by the hub: the canonical lower-case UUID). One hash per batch, which the
    clinic recomputes from what it sent; the empty set hashes to sha256 of nothing."""
    lines = sorted(f"{kind} {record_id} {int(revision)}\n" for kind, record_id, revision in items)
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:32]
