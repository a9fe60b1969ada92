"""Reading the records of a push: what the hub checks of each before deciding and storing it.

Two ways in, one result (``Incoming``):

- ``read_well_formed``: one pass of msgspec over the JSON body. A record's ``data`` stays the raw
  JSON text it arrived as (the hub stores it whole), only its ``clinic_id`` is looked at. For an
  ordinary batch this replaces parsing every field into Python, validating it and encoding it
  again: about a third of the hub's time per record. It gives up (None) at anything unusual.
- the careful way (``push._validate``): the body parsed, then each record validated alone with
  the wire model, so that each bad record gets its own answer and the others are stored.

A batch the fast way takes is one the careful way would accept record for record; tests check
that both store the same rows and give the same answers. Both apply ``limits``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from pydantic import ConfigDict, Field, SkipValidation
from pydantic_core import from_json, to_json

from clinic_hub import limits
from clinic_hub.limits import BATCH_ID
from clinic_tui.sync.wire import PushRecord

# Kinds whose data the hub reads beyond clinic_id (referral and remote intake, the user PIN check): parsed
# at once, so that a body the careful parser would refuse is refused the same way.
PARSED_KINDS = frozenset({"referral", "referral_event", "remote_request", "lab_order", "exam_booking", "user"})


@dataclass(slots=True, eq=False)
class Incoming:
    """One pushed record, checked for shape and bounds: its id canonical, its time in UTC."""

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
            assert self.data_json is not None  # an Incoming holds one of the two
            self.parsed = from_json(self.data_json)
        return self.parsed

    def stored_data(self) -> str:
        """The ``data`` column's JSON text."""
        return self.data_json if self.data_json is not None else to_json(self.parsed).decode()


# --- the careful way: the wire model, one record at a time --------------------------------------------
class CheckedRecord(PushRecord):
    """A PushRecord as the hub validates it: strictly (no "yes" for a boolean, no "1" or true for a
    number, no number for a time), within ``limits``; ``data`` taken as parsed, then checked by
    ``limits.check_data`` (validating it key by key would copy it, four fifths of the cost)."""

    model_config = ConfigDict(strict=True)

    # Checked as the text the clinic sent (strictly), not parsed into PushRecord's datetime.
    updated_at: str = Field(  # type: ignore[assignment]
        pattern=limits.TIMESTAMP_PATTERN, description="RFC 3339, UTC if no offset"
    )
    data: SkipValidation[dict[str, Any]]

    def incoming(self) -> Incoming:
        """Raises OutOfBounds."""
        updated_at = limits.parse_timestamp(self.updated_at)
        limits.check_data(self.data)
        return Incoming(
            self.kind,
            self.id,
            str(self.id),
            self.revision,
            updated_at,
            self.deleted,
            self.data.get("clinic_id"),
            parsed=self.data,
        )


class _Envelope(msgspec.Struct):
    """A batch split into its records' JSON texts, each to be read alone."""

    batch_id: Any = None
    records: list[msgspec.Raw] | None = None


_read_envelope = msgspec.json.Decoder(_Envelope)


# What msgspec refuses even in a part it skips (a lone surrogate, an invalid escape, a control
# byte, NaN, Infinity), each replaced by something as long that it reads, so that a body is split where it
# would be; the records are then cut from the body as sent and each parsed alone.
_SPLIT_SPOILERS = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|[\s\S])|[\x00-\x1f]|NaN|Infinity")


def _spoiler_fix(match: re.Match) -> bytes:
    text = match.group()
    if len(text) == 1:
        return b" "  # a control byte
    if text == b"NaN":  # not JSON, but pydantic-core reads it (and check_data refuses it)
        return b"0e0"
    if text == b"Infinity":
        return b"1.000000"
    if len(text) == 6:  # \uXXXX
        return b"\\uFFFD" if text[2:3] in b"dD" and text[3:4] in b"89abcdefABCDEF" else text
    return text if text[1:2] in b'"\\/bfnrt' else b"\\\\"


def readable_by_msgspec(text: bytes) -> bytes:
    """``text`` with what msgspec refuses even when skipping replaced, each by bytes as long."""
    return _SPLIT_SPOILERS.sub(_spoiler_fix, text)


# Outside the strings, each stretch up to the next run of brackets of one way (or a quote that opens no
# whole string, or the end): one match per run, the strings skipped in C. It matches wherever it
# starts, so scanning is one pass.
_TO_NEXT_BRACKETS = re.compile(rb'[^\[\]{}"]*(?:"[^"\\]*(?:\\[\s\S][^"\\]*)*"[^\[\]{}"]*)*([\[{]+|[\]}]+|"|\Z)')
_OPENING = frozenset(b"[{")


def shallow(text: bytes, keep: int) -> bytes | None:
    """``text`` (JSON) with each object or list nested deeper than ``keep`` levels replaced by ``0``
    and spaces, as long as it was: what is left is at the same place as in ``text``, and no deeper
    than msgspec reads. A small scanner that knows only strings and brackets, one pass, no
    recursion (the depth is what it is for). None when the brackets do not pair or a string is not
    closed (not JSON: the caller parses it whole and refuses it)."""
    pieces, copied, depth, start = [], 0, 0, 0
    for match in _TO_NEXT_BRACKETS.finditer(text):
        run = match.group(1)
        if not run:
            break  # the end
        if run == b'"':
            return None  # a string never closed
        position, count = match.start(1), len(run)
        if run[0] in _OPENING:
            if depth <= keep < depth + count:  # the bracket that opens level keep + 1
                start = position + keep - depth
            depth += count
        else:
            if count > depth:
                return None
            if depth - count <= keep < depth:  # the bracket that closes level keep + 1
                end = position + depth - keep
                pieces += [text[copied:start], b"0", b" " * (end - start - 1)]
                copied = end
            depth -= count
    if depth:
        return None
    pieces.append(text[copied:])
    return b"".join(pieces)


_RECORD_LEVEL = 3  # the envelope object, its records list, a record


def split_records(body: bytes) -> tuple[Any, list[bytes]] | None:
    """The batch id and each record's JSON text as sent, so that a record no parser can read (too
    deep, a number out of range, not UTF-8, a lone surrogate) is refused alone. None when the
    envelope itself cannot be split this way (the caller parses the body whole, and answers 400 or
    422)."""
    readable = readable_by_msgspec(body)
    try:
        envelope = _read_envelope.decode(readable)
    except RecursionError:  # nested deeper than msgspec reads: split what lies above the records' insides
        cut = shallow(readable, _RECORD_LEVEL)
        if cut is None:
            return None
        readable = cut
        try:
            envelope = _read_envelope.decode(readable)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if envelope.records is None:
        return None
    records, position = [], 0
    for raw in envelope.records:
        chunk = bytes(raw)
        start = readable.index(chunk, position)  # same length: the same place in the body as sent
        position = start + len(chunk)
        records.append(body[start:position])
    return envelope.batch_id, records


# --- the fast way: msgspec over the whole body -------------------------------------------------------
class _FastRecord(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=limits.KIND_MAX_CHARS)]
    id: uuid.UUID
    revision: Annotated[int, msgspec.Meta(ge=1, le=limits.MAX_REVISION)]
    updated_at: Annotated[str, msgspec.Meta(pattern=limits.TIMESTAMP_PATTERN)]
    data: msgspec.Raw
    deleted: bool = False


class _FastBatch(msgspec.Struct):
    batch_id: str
    records: list[_FastRecord]


class _DataText(msgspec.Struct):
    """A record's ``data`` as sent, to measure it (the careful way)."""

    data: msgspec.Raw = msgspec.Raw(b"")  # (msgspec cannot take Raw in a union)


class _Head(msgspec.Struct):
    """The one field of ``data`` every record is checked for; the others are skipped unread."""

    clinic_id: Any = None


_read_batch = msgspec.json.Decoder(_FastBatch)
_read_data_text = msgspec.json.Decoder(_DataText)
_read_head = msgspec.json.Decoder(_Head)


def read_well_formed(body: bytes, max_records: int) -> tuple[str, list[Incoming]] | None:
    """The batch id and its records, when every record is well formed and plainly within the
    bounds; None sends the body the careful way (which also answers for the envelope: a bad batch
    id, too many records, and for each record out of bounds)."""
    if limits.SURROGATE_ESCAPE.search(body):
        return None
    try:
        batch = _read_batch.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    if not BATCH_ID.fullmatch(batch.batch_id) or len(batch.records) > max_records:
        return None
    records = []
    plain_body = limits.body_is_plain(body)
    for rec in batch.records:
        raw = bytes(rec.data)
        if not raw.startswith(b"{"):
            return None  # not an object: the careful way answers for it
        plain, read = limits.data_in_plain_body(raw) if plain_body else (limits.raw_data_is_plain(raw), None)
        if not plain:
            return None  # maybe out of bounds: the careful way answers for it
        try:
            data_json = raw.decode()  # UnicodeDecodeError: not UTF-8
            if rec.kind in PARSED_KINDS:
                parsed = from_json(raw)
                clinic_id = parsed.get("clinic_id")
            else:
                # As the screen read it (a text, or none, as usual; duplicate keys: the last, as
                # _Head reads them); anything else is read again, the screen keeping no floats.
                parsed, clinic_id = None, read.get("clinic_id") if read is not None else None
                if read is None or not (clinic_id is None or isinstance(clinic_id, str)):
                    clinic_id = _read_head.decode(raw).clinic_id
            updated_at = limits.parse_timestamp(rec.updated_at, matched=True)  # by _FastRecord
        except (ValueError, msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None  # OutOfBounds and UnicodeDecodeError are ValueErrors
        records.append(
            Incoming(
                rec.kind,
                rec.id,
                str(rec.id),
                rec.revision,
                updated_at,
                rec.deleted,
                clinic_id,
                data_json=data_json,
                parsed=parsed,
            )
        )
    return batch.batch_id, records


def data_text_size(raw_record: bytes) -> int | None:
    """The size of a record's ``data`` as sent (None when the record cannot be read that far)."""
    try:
        text = _read_data_text.decode(readable_by_msgspec(raw_record)).data  # same length
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return len(text) or None
