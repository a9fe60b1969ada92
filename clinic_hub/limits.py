"""The bounds of everything a clinic sends, written once (issue 16). Both ways of reading a push
(``incoming``: the fast msgspec pass and the careful per-record validation) apply them, the OpenAPI
document states them (``app.openapi``) and docs/protocol.md repeats them.

Whatever passes these bounds the hub can store on SQLite and PostgreSQL, read back and compute
on: no number Python cannot read back, no nesting a parser gives up on, no NUL PostgreSQL refuses.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import msgspec

from clinic_tui.domain import attachments
from clinic_tui.sync import wire

# --- a request --------------------------------------------------------------------------------------
MAX_BODY_BYTES = wire.MAX_BODY_BYTES  # as sent, compressed or not: more -> 413 body_too_large
MAX_INFLATED_BYTES = wire.MAX_INFLATED_BYTES  # a gzip body once inflated (one member, nothing after it)
MAX_PUSH_RECORDS = wire.MAX_PUSH_RECORDS  # records per batch: more -> 413 too_many_records
# Patterns are written as JSON Schema reads them (the OpenAPI document states them); in Python they
# are applied with fullmatch (Python's ``$`` also matches before a final newline).
BATCH_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,100}$"
BATCH_ID = re.compile(BATCH_ID_PATTERN)

# --- a record ----------------------------------------------------------------------------------------
MAX_DATA_BYTES = 256 * 1024  # one record's ``data``: its JSON text as sent
KIND_MAX_CHARS = 40
MAX_REVISION = 2**31 - 1
# updated_at: RFC 3339 (ISO 8601 with "T" or a space), at most 6 decimals of a second, "Z" or
# +hh:mm or nothing (UTC); no number, no date alone. Within the years below.
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$"
TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
MIN_YEAR, MAX_YEAR = 1900, 2199

# --- inside data (any depth) ---------------------------------------------------------------------------
MAX_DEPTH = 32  # data itself is depth 1; each object or list inside one more
MAX_INT = 2**53 - 1  # integers within +-MAX_INT (exact in every JSON reader)
MAX_FLOAT = 1e15  # floats finite and within +-MAX_FLOAT
MAX_STRING_CHARS = 64 * 1024  # every string, keys included; no NUL character (PostgreSQL refuses it)

# --- attachments of remote requests (PUT /api/v1/attachments/...; docs/protocol.md) -----------------
# Written here once for the hub; the numbers are the domain's (clinic_tui.domain.attachments), which
# the clinic's form checks too before a file is taken.
ATTACHMENT_MEDIA_TYPES = attachments.MEDIA_TYPES  # PDF, JPEG, PNG, told by their first bytes
ATTACHMENT_CHUNK_BYTES = attachments.CHUNK_BYTES  # every chunk but the last has exactly this length
MAX_ATTACHMENT_BYTES = attachments.MAX_FILE_BYTES  # one file: more -> 413 attachment_too_large
MAX_REQUEST_ATTACHMENT_BYTES = attachments.MAX_REQUEST_BYTES  # one request's files together
MAX_REQUEST_ATTACHMENTS = attachments.MAX_PER_REQUEST  # files per request
ATTACHMENT_NAME_MAX_CHARS = attachments.MAX_NAME_CHARS
SHA256_PATTERN = attachments.SHA256_PATTERN

# --- other inputs ---------------------------------------------------------------------------------------
# A pull cursor: base64url without padding of "v1:<epoch>:<n>" (anything else: 400 bad_cursor);
# empty, as omitted, reads from the start.
CURSOR_MAX_CHARS = 200
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]{{0,{CURSOR_MAX_CHARS}}}$"
MAX_CURSOR_SEQ = 2**63 - 1  # a pull cursor's change number (PostgreSQL bigint)
DEFAULT_PULL_LIMIT = wire.DEFAULT_PULL_LIMIT  # records per page of a pull and of GET /sync/own: 1..MAX
MAX_PULL_LIMIT = wire.MAX_PULL_LIMIT
DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT = 200, 1000  # the desk's lists (referrals, remote requests)
MAX_LIST_OFFSET = 10**9
CODE_MAX_CHARS = 40  # a clinic code in a query
NUMBER_MAX_CHARS = 64  # a referral or remote request number in a path
MONTH_PATTERN = r"^(19\d\d|2[01]\d\d)-(0[1-9]|1[0-2])$"  # indicators: YYYY-MM, years MIN_YEAR..MAX_YEAR


class OutOfBounds(ValueError):
    """A record beyond the bounds; ``detail`` says which (never the value: it may be patient data)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def parse_timestamp(text: Any, *, matched: bool = False) -> datetime:
    """``updated_at`` as an aware UTC datetime; OutOfBounds unless it is a string as above.

    ``matched``: the caller's decoder has checked ``TIMESTAMP_PATTERN`` already (msgspec's
    ``Meta(pattern=...)``, on every record of a push; the second check was two thirds of this
    function's time). msgspec searches with the anchors, so a trailing line end passes ``$`` there;
    ``fromisoformat`` refuses it below."""
    if not isinstance(text, str) or not (matched or TIMESTAMP.fullmatch(text)):
        raise OutOfBounds("updated_at: RFC 3339 date and time expected")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise OutOfBounds("updated_at: no such date or time") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise OutOfBounds(f"updated_at: years {MIN_YEAR}-{MAX_YEAR}")
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise OutOfBounds(f"updated_at: years {MIN_YEAR}-{MAX_YEAR}")
    return value


def check_data(data: Any) -> None:
    """Raise OutOfBounds unless ``data`` (parsed JSON) is an object within the bounds above."""
    if not isinstance(data, dict):
        raise OutOfBounds("data: an object expected")
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:  # no recursion: the depth is what is being checked
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise OutOfBounds(f"data: nested deeper than {MAX_DEPTH}")
            for key, item in value.items():
                _check_string(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise OutOfBounds(f"data: nested deeper than {MAX_DEPTH}")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_string(value)
        elif isinstance(value, bool) or value is None:
            pass
        elif isinstance(value, int):
            if not -MAX_INT <= value <= MAX_INT:
                raise OutOfBounds(f"data: integers within +-{MAX_INT}")
        elif isinstance(value, float):
            if not math.isfinite(value) or not -MAX_FLOAT <= value <= MAX_FLOAT:
                raise OutOfBounds(f"data: numbers finite and within +-{MAX_FLOAT:.0e}")
        else:  # pragma: no cover - parsed JSON holds nothing else
            raise OutOfBounds("data: not JSON")


def _check_string(text: str) -> None:
    if len(text) > MAX_STRING_CHARS:
        raise OutOfBounds(f"data: text longer than {MAX_STRING_CHARS} characters")
    if "\x00" in text:
        raise OutOfBounds("data: the NUL character")


# --- the fast path's screen of data it keeps as raw JSON text ------------------------------------------
# A raw ``data`` passing this screen is certain to pass check_data once parsed (and to parse the
# same way in both readers); anything it flags goes the careful way, which decides exactly. Built
# from bytes methods that run in C (the screen runs on every record of every push).
_CONTROL_BYTES = bytes(range(0x20)) + b"\x7f"  # inside a string invalid JSON; pretty-printing goes careful
_ODD_ESCAPE = re.compile(rb"\\(?:[^\"\\/bfnrtu]|u(?![0-9a-fA-F]{4})|u0000|u[dD][89a-fA-F])")  # invalid, NUL, surrogate
# Anywhere in a body: sends it the careful way (a lone surrogate in a kind or an id reads
# differently in the two parsers).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_INTEGER = re.compile(
    rb"(?<![.0])0{16}"
)  # 16 digits not after a decimal point (the clinic writes 17-digit fractions)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_EMPTY_PAIR = re.compile(rb"\{\}|\[\]")


def raw_data_is_plain(raw: bytes) -> bool:
    """Whether raw ``data`` JSON is certainly within the bounds (else: read it the careful way)."""
    if len(raw) > MAX_STRING_CHARS or not body_is_plain(raw):
        return False
    # Outside the strings only numbers, punctuation and true/false/null are left; digits as 0.
    structure = without_strings(raw).translate(_DIGITS_AS_ZERO, b" ")
    if b"0e" in structure or b"0E" in structure or (b"0" * 16 in structure and _LONG_INTEGER.search(structure)):
        return False  # an exponent, or an integer part of 16 digits or more: maybe beyond the bounds
    if structure.count(b"{") + structure.count(b"[") <= MAX_DEPTH:
        return True
    brackets = _NOT_BRACKET.sub(b"", structure)
    for _level in range(MAX_DEPTH):  # each pass removes the innermost level
        brackets, removed = _EMPTY_PAIR.subn(b"", brackets)
        if not brackets:
            return True
        if not removed:
            return False
    return False


# --- the same screen, body first ------------------------------------------------------------------------
# raw_data_is_plain cuts the strings out of every record's data (half of a push's reading, issue
# 19). What it looks for can be screened in other ways, each sound:
# - control bytes and odd escapes cannot be in any record's data if they are nowhere in the body;
# - without a run of 16 digits anywhere in the data (strings included) no integer part has 16
#   (an ID number in a text sends that record to the exact screen);
# - data nests no deeper than its count of "{" and "[" (those inside strings counted too);
# - a number written with an exponent outside the strings is a float literal, which msgspec hands
#   to ``float_hook`` as written.


class _Exponent(Exception):
    """A number written with an exponent."""


def _no_exponent(literal: str) -> float:
    if "e" in literal or "E" in literal:
        raise _Exponent
    return 0.0  # the value is not kept


_NUMBERS_AS_WRITTEN = msgspec.json.Decoder(float_hook=_no_exponent)


def body_is_plain(body: bytes) -> bool:
    """Whether JSON text has no control byte or odd escape anywhere: a push body that has none may
    have each record's ``data`` screened by ``data_is_plain_in_plain_body`` (and a record's data
    must have none to be plain)."""
    if len(body.translate(None, _CONTROL_BYTES)) != len(body):
        return False
    return not (b"\\" in body and _ODD_ESCAPE.search(body))


def data_is_plain_in_plain_body(raw: bytes) -> bool:
    """``raw_data_is_plain`` for the raw ``data`` of a record of a body that passed ``body_is_plain``."""
    return data_in_plain_body(raw)[0]


def data_in_plain_body(raw: bytes) -> tuple[bool, Any]:
    """``data_is_plain_in_plain_body``, and the data as the screen read it when it did (None when
    the exact screen decided): its texts, integers and structure as sent, every float as 0.0."""
    if len(raw) > MAX_STRING_CHARS:
        return False, None
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH or b"0" * 16 in raw.translate(_DIGITS_AS_ZERO):
        return raw_data_is_plain(raw), None  # only bounds (strings counted too): the exact screen decides
    try:
        read = _NUMBERS_AS_WRITTEN.decode(raw)
    except (_Exponent, msgspec.DecodeError, RecursionError):
        return False, None  # an exponent, or not JSON: the careful way decides
    return True, read


def without_strings(raw: bytes) -> bytes:
    """JSON text with each string's content removed (``"..."`` becomes ``""``). Without an escaped
    quote every quote opens or closes a string, so a split at the quotes does it: four times
    faster than the regular expression, which ran over every record of every push (a fifth of
    the hub's time per record). A property test checks the two agree."""
    if b'\\"' in raw:
        return _JSON_STRING.sub(b'""', raw)
    return b'""'.join(raw.split(b'"')[::2])


def state_in_openapi(document: dict[str, Any]) -> None:
    """Write the bounds into the OpenAPI document where the routes' own declarations do not say
    them: the push body's schemas (PushRequest, PushRecord from the wire models) and the pull
    cursor's format, so that a client generated from the document sends what the hub takes. (The
    other parameters' bounds are declared on the routes from the values above.)"""
    for parameter in document["paths"]["/api/v1/sync/pull"]["get"]["parameters"]:
        if parameter["name"] == "cursor":
            for branch in parameter["schema"].get("anyOf", [parameter["schema"]]):
                if branch.get("type") == "string":
                    branch["pattern"] = CURSOR_PATTERN  # read as any text; not a cursor: 400 bad_cursor
    components = document["components"]["schemas"]
    request = components["PushRequest"]["properties"]
    request["batch_id"]["pattern"] = BATCH_ID_PATTERN
    request["records"]["maxItems"] = MAX_PUSH_RECORDS
    record = components["PushRecord"]
    record["description"] = (f"{record.get('description', '')} Every field strictly typed (no coercion).").strip()
    fields = record["properties"]
    fields["kind"].update(minLength=1, maxLength=KIND_MAX_CHARS)
    fields["revision"].update(type="integer", minimum=1, maximum=MAX_REVISION)
    fields["updated_at"] = {
        "type": "string",
        "format": "date-time",
        "pattern": TIMESTAMP_PATTERN,
        "title": "Updated At",
        "description": f"RFC 3339; no offset means UTC; years {MIN_YEAR}-{MAX_YEAR}",
    }
    fields["deleted"] = {"type": "boolean", "default": False, "title": "Deleted"}
    fields["data"].update(
        description=(
            f"The row's columns, a JSON object of at most {MAX_DATA_BYTES} bytes as sent: "
            f"nested at most {MAX_DEPTH} deep, integers within "
            f"+-{MAX_INT}, other numbers finite within +-{MAX_FLOAT:.0e}, strings (keys too) at most "
            f"{MAX_STRING_CHARS} characters without NUL. A record beyond these is rejected invalid_record."
        )
    )
