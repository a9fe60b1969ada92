"""Reading the records of a push: what the hub checks of each before deciding and storing it.

Two ways in, one result (``Incoming``):

- ``read_well_formed``: one pass of msgspec over the JSON body. A record's ``data`` stays the raw
  JSON text it arrived as (the hub stores it whole), only its ``clinic_id`` is looked at. For an
  ordinary batch this replaces parsing every field into Python, validating it and encoding it
  again: about a third of the hub's time per record. It gives up (None) at anything unusual.
- the careful way (``push._validate``): the body parsed, then each record validated alone with
  the wire model, so that each bad record gets its own answer and the others are stored.

A batch the fast way takes is one the careful way would accept record for record; tests check
that both store the same rows and give the same answers.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from pydantic import SkipValidation
from pydantic_core import from_json, to_json

from clinic_hub.db import as_utc
from clinic_tui.sync.wire import PushRecord

BATCH_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# Kinds whose data the hub reads beyond clinic_id (referral intake, the user PIN check): parsed
# at once, so that a body the careful parser would refuse is refused the same way.
PARSED_KINDS = frozenset({"referral", "referral_event", "user"})
# What the two ways read differently sends a body the careful way: a "\uD800"-style escape (a lone
# surrogate, which pydantic-core's parser refuses with a 400 and msgspec skips inside a raw value)
# and a time with more than 6 decimals of a second (msgspec rounds them, pydantic truncates).
_CAREFUL_ONLY = re.compile(rb"\\u[dD][89a-fA-F]|[T ]\d\d:\d\d:\d\d\.\d{7}")


@dataclass(slots=True, eq=False)
class Incoming:
    """One pushed record, checked for shape: its id canonical, its time in UTC."""

    kind: str
    id: uuid.UUID
    id_text: str
    revision: int
    updated_at: datetime
    deleted: bool
    clinic_id: Any  # data.clinic_id: the clinic's own id for itself, checked by push._checked
    data_json: str | None = None  # as it arrived (fast way), stored as it is
    parsed: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self.parsed is None:
            self.parsed = from_json(self.data_json)
        return self.parsed

    def stored_data(self) -> str:
        """The ``data`` column's JSON text."""
        return self.data_json if self.data_json is not None else to_json(self.parsed).decode()


# --- the careful way: the wire model, one record at a time --------------------------------------------
class CheckedRecord(PushRecord):
    """A PushRecord as the hub validates it: ``data`` taken as parsed and only checked to be an
    object (validating it key by key copies it, four fifths of the cost)."""

    data: SkipValidation[dict[str, Any]]

    def incoming(self) -> Incoming:
        return Incoming(self.kind, self.id, str(self.id), self.revision, as_utc(self.updated_at), self.deleted,
                        self.data.get("clinic_id"), parsed=self.data)


# --- the fast way: msgspec over the whole body -------------------------------------------------------
class _FastRecord(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    id: uuid.UUID
    revision: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    updated_at: datetime
    data: msgspec.Raw
    deleted: bool = False


class _FastBatch(msgspec.Struct):
    batch_id: str
    records: list[_FastRecord]


class _Head(msgspec.Struct):
    """The one field of ``data`` every record is checked for; the others are skipped unread."""

    clinic_id: Any = None


_read_batch = msgspec.json.Decoder(_FastBatch)
_read_head = msgspec.json.Decoder(_Head)


def read_well_formed(body: bytes, max_records: int) -> tuple[str, list[Incoming]] | None:
    """The batch id and its records, when every record is well formed; None sends the body the
    careful way (which also answers for the envelope: a bad batch id, too many records)."""
    if _CAREFUL_ONLY.search(body):
        return None
    try:
        batch = _read_batch.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not BATCH_ID.match(batch.batch_id) or len(batch.records) > max_records:
        return None
    records = []
    for rec in batch.records:
        raw = bytes(rec.data)
        if not raw.startswith(b"{"):
            return None  # not an object: the careful way answers for it
        try:
            if rec.kind in PARSED_KINDS:
                parsed = from_json(raw)
                clinic_id = parsed.get("clinic_id")
            else:
                parsed, clinic_id = None, _read_head.decode(raw).clinic_id
            updated_at = as_utc(rec.updated_at)  # OverflowError at the edge of the calendar
        except (ValueError, OverflowError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        records.append(Incoming(rec.kind, rec.id, str(rec.id), rec.revision, updated_at, rec.deleted, clinic_id,
                                data_json=raw.decode(), parsed=parsed))
    return batch.batch_id, records
