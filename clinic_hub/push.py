"""Push: store what a clinic sends, answering per record (sync invariant 3,
docs/architecture-sync.md).

Records are read and checked before the write transaction (``incoming``: a well-formed body in one
pass, anything else record by record), then written in bulk inside one savepoint; if the bulk write
fails, each of its records is retried alone in its own savepoint, so one bad record never blocks
the others. Referral and remote request records are interpreted (referral_intake,
remote_intake, lab_intake) one by one. The answers are stored
under the batch id: the same batch sent again gets the same answers and changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import msgspec
import sqlalchemy as sa
from pydantic import ValidationError
from pydantic_core import to_json
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from clinic_hub import audit, body, changes, limits, push_answer, same_revision
from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.errors import ApiError, safe_validation_errors
from clinic_hub.exam_intake import INTERPRETERS as EXAM_INTERPRETERS
from clinic_hub.incoming import (
    CheckedRecord,
    Incoming,
    data_text_size,
    read_well_formed,
    readable_by_msgspec,
    shallow,
    split_records,
)
from clinic_hub.lab_intake import INTERPRETERS as LAB_INTERPRETERS
from clinic_hub.limits import BATCH_ID, OutOfBounds
from clinic_hub.models import PushBatch, table_of
from clinic_hub.record_store import RecordWriter, StoredVersion, stored_versions
from clinic_hub.referral_intake import INTERPRETERS as REFERRAL_INTERPRETERS
from clinic_hub.referral_intake import Outcome, RecordRejected
from clinic_hub.remote_intake import INTERPRETERS as REMOTE_INTERPRETERS
from clinic_tui.sync.wire import CLINIC_KINDS, REVISION_TAKEN, USER

log = logging.getLogger("clinic_hub.push")
_batches = table_of(PushBatch)
# Kinds whose records the hub interprets one by one (their typed tables, the ownership rules).
INTERPRETERS = {**REFERRAL_INTERPRETERS, **REMOTE_INTERPRETERS, **LAB_INTERPRETERS, **EXAM_INTERPRETERS}
SECRET_FIELDS = frozenset({"pin", "pin_hash", "pin_salt", "password", "password_hash", "token"})


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(value: Any, max_len: int) -> str | None:
    """Echo a client string back only when it is short and printable (PostgreSQL refuses NUL)."""
    if value is None:
        return None
    text = str(value)
    return None if len(text) > max_len or _CONTROL.search(text) else text


def _answer(
    rec_id: Any,
    kind: Any,
    revision: Any,
    status: str,
    code: str | None = None,
    hub_revision: int | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A stored answer: the message is rendered per request, in the caller's language."""
    params = {k: _clean(v, 300) or "?" for k, v in (params or {}).items()}
    return {
        "id": _clean(rec_id, 64) or "",
        "kind": _clean(kind, 40) if isinstance(kind, str) else None,
        "revision": revision if isinstance(revision, int) and not isinstance(revision, bool) else None,
        "status": status,
        "hub_revision": hub_revision,
        "code": code,
        "params": params,
    }


def _accepted(rec: Incoming) -> dict[str, Any]:
    """``_answer(..., "accepted")`` without its cleaning: a validated record's id is a canonical
    UUID and its kind one of CLINIC_KINDS (most answers of a push are this one)."""
    return {
        "id": rec.id_text,
        "kind": rec.kind,
        "revision": rec.revision,
        "status": "accepted",
        "hub_revision": None,
        "code": None,
        "params": {},
    }


def parse_envelope(payload: Any, max_records: int) -> tuple[str, list[Any]]:
    if not isinstance(payload, dict):
        raise ApiError(
            422, "invalid_request", errors=[{"loc": ["body"], "type": "dict_type", "msg": "expected an object"}]
        )
    batch_id, records = payload.get("batch_id"), payload.get("records")
    problems = []
    if not isinstance(batch_id, str) or not BATCH_ID.fullmatch(batch_id):
        problems.append(
            {
                "loc": ["body", "batch_id"],
                "type": "string_pattern_mismatch",
                "msg": "1-100 characters of A-Z a-z 0-9 . _ : -",
            }
        )
    if not isinstance(records, list):
        problems.append({"loc": ["body", "records"], "type": "list_type", "msg": "expected a list"})
    if problems:
        raise ApiError(422, "invalid_request", errors=problems)
    assert isinstance(batch_id, str) and isinstance(records, list)  # else a problem above
    if len(records) > max_records:
        raise ApiError(413, "too_many_records", limit=max_records, count=len(records))
    return batch_id, records


def push_body(
    engine: Engine, clinic: Principal, json_body: bytes, language: str, max_records: int, *, compact: bool = False
) -> dict[str, Any]:
    """Store a batch sent as JSON; returns the PushResponse as JSON-ready data (``compact``: the
    answer of protocol revision 3, see ``push_answer``)."""
    well_formed = read_well_formed(json_body, max_records)
    if well_formed is None:
        batch_id, checked = read_carefully(json_body, max_records)
    else:
        batch_id, records = well_formed
        checked = [_checked(rec) for rec in records]
    return _store_batch(engine, clinic, batch_id, checked, language, compact=compact)


def read_carefully(json_body: bytes, max_records: int) -> tuple[str, list[Incoming | dict[str, Any]]]:
    """The careful way: the batch split into records, each read and checked alone, so that one
    record no parser can read is refused alone; the body parsed whole only when it cannot be split
    (then a body that is not JSON is a 400, a bad envelope a 422)."""
    split = split_records(json_body)
    if split is None:
        batch_id, raw_records = parse_envelope(body.parse_json(json_body), max_records)
    else:
        batch_id, raw_records = parse_envelope({"batch_id": split[0], "records": split[1]}, max_records)
    return batch_id, [_validate(raw) for raw in raw_records]


def handle_push(engine: Engine, clinic: Principal, payload: Any, language: str, max_records: int) -> dict[str, Any]:
    """Store a batch given as parsed JSON, checking each record alone (see clinic_tui.sync.wire)."""
    batch_id, raw_records = parse_envelope(payload, max_records)
    return _store_batch(engine, clinic, batch_id, [_validate(raw) for raw in raw_records], language)


def _store_batch(
    engine: Engine,
    clinic: Principal,
    batch_id: str,
    checked: list[Incoming | dict[str, Any]],
    language: str,
    *,
    compact: bool = False,
) -> dict[str, Any]:
    """``checked``: each record, or the answer that already refuses it."""
    for attempt in (1, 2):
        try:
            with engine.begin() as conn:
                epoch = changes.current_epoch(conn)
                stored = conn.execute(
                    sa.select(_batches.c.results).where(
                        _batches.c.clinic_id == clinic.id, _batches.c.batch_id == batch_id
                    )
                ).first()
                replayed = stored is not None
                answers = stored.results if stored is not None else _process(conn, clinic, checked)
                if not replayed:
                    conn.execute(
                        sa.insert(_batches).values(
                            clinic_id=clinic.id, batch_id=batch_id, results=answers, created_at=utcnow()
                        )
                    )
                audit.record(
                    conn, clinic, "sync.push.replay" if replayed else "sync.push", [a["id"] for a in answers if a["id"]]
                )
            break
        except IntegrityError:
            # The same batch id committed by a concurrent request: answer from its stored results.
            if attempt == 2:
                raise
    counts = Counter(a["status"] for a in answers)
    log.info(
        "push", extra={"fields": {"clinic": clinic.clinic_code, "batch_id": batch_id, "replayed": replayed, **counts}}
    )
    return push_answer.render(batch_id, epoch, replayed, answers, language, compact=compact)


class _Names(msgspec.Struct):
    """What names a record in its answer, read from a record that cannot be read whole."""

    id: Any = None
    kind: Any = None
    revision: Any = None


_read_names = msgspec.json.Decoder(_Names)


def _names_in(text: bytes) -> _Names:
    try:
        return _read_names.decode(text)
    except RecursionError:  # nested deeper than msgspec reads: read the record's own fields alone
        top = shallow(text, 1)
        return _names_in(top) if top is not None else _Names()  # once: ``top`` is one level deep
    except (msgspec.DecodeError, msgspec.ValidationError):
        return _Names()


def _names(raw: Any) -> tuple[Any, Any, Any]:
    if isinstance(raw, bytes):
        names = _names_in(readable_by_msgspec(raw))
        return names.id, names.kind, names.revision
    raw_dict = raw if isinstance(raw, dict) else {}
    return raw_dict.get("id"), raw_dict.get("kind"), raw_dict.get("revision")


def _validate(raw: Any) -> Incoming | dict[str, Any]:
    """The careful way: one record (its JSON text as sent, or parsed) checked alone against the
    wire model, strictly, and against ``limits``; the record, or the rejected answer for it."""
    rid, kind, revision = _names(raw)
    try:
        if not isinstance(raw, bytes):  # parsed whole: read again as JSON text, one set of rules for both
            raw = to_json(raw)  # NaN and infinity written as such, refused by check_data
        size = data_text_size(raw)
        if size is not None and size > limits.MAX_DATA_BYTES:
            raise OutOfBounds(f"data: larger than {limits.MAX_DATA_BYTES} bytes")
        checked = CheckedRecord.model_validate_json(raw)
        if not isinstance(checked.data, dict):  # the one check of data that validation skips
            return _answer(
                str(checked.id),
                checked.kind,
                checked.revision,
                "rejected",
                "invalid_record",
                params={"detail": "data: dict_type"},
            )
        rec = checked.incoming()
    except ValidationError as exc:
        errors = safe_validation_errors(exc.errors())
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in errors)
        if any(e["type"] == "json_invalid" for e in errors):
            detail = "record: not readable JSON (nested too deep, a number out of range, or not UTF-8)"
        return _answer(rid, kind, revision, "rejected", "invalid_record", params={"detail": detail[:300]})
    except OutOfBounds as exc:
        return _answer(rid, kind, revision, "rejected", "invalid_record", params={"detail": exc.detail})
    except (OverflowError, ValueError, RecursionError):
        return _answer(rid, kind, revision, "rejected", "invalid_record", params={"detail": "not readable JSON"})
    return _checked(rec)


def _checked(rec: Incoming) -> Incoming | dict[str, Any]:
    """The record, or the answer refusing what the hub never stores whatever the database holds."""
    if rec.kind not in CLINIC_KINDS:
        return _answer(
            rec.id_text, rec.kind, rec.revision, "rejected", "unknown_kind", params={"record_kind": rec.kind}
        )
    # data.clinic_id is the clinic's own (local) id for itself: required, but ownership on the hub
    # follows the token, never a field the client writes.
    local_clinic_id = rec.clinic_id
    if not isinstance(local_clinic_id, str) or not local_clinic_id.strip() or len(local_clinic_id) > 64:
        return _answer(rec.id_text, rec.kind, rec.revision, "rejected", "missing_field", params={"field": "clinic_id"})
    if rec.kind == USER and SECRET_FIELDS & rec.data.keys():
        # Staff PINs stay on the clinic's machine; the hub refuses to keep a copy.
        return _answer(rec.id_text, rec.kind, rec.revision, "rejected", "secret_field")
    return rec


def _precheck(clinic: Principal, rec: Incoming, existing: StoredVersion | None) -> dict[str, Any] | None:
    """The answer when the stored row decides it (foreign, other kind, already had it), else None."""
    if existing is None:
        return None
    if existing.origin != "clinic" or existing.clinic_id != clinic.id:
        return _answer(rec.id_text, rec.kind, rec.revision, "rejected", "foreign_record")
    if existing.kind != rec.kind:
        return _answer(
            rec.id_text, rec.kind, rec.revision, "rejected", "kind_mismatch", params={"record_kind": existing.kind}
        )
    if existing.revision >= rec.revision:
        return _answer(rec.id_text, rec.kind, rec.revision, "duplicate", hub_revision=existing.revision)
    return None


# --- protocol revision 4: the same revision, another version (same_revision) -----------------------
def _same_revision(answer: dict[str, Any] | None, rec: Incoming) -> bool:
    """A "duplicate" of exactly the revision the hub holds (an older one names the newer)."""
    return answer is not None and answer["status"] == "duplicate" and answer["hub_revision"] == rec.revision


def _mark_taken(conn: Connection, same: list[tuple[int, Incoming]], answers: list[dict[str, Any] | None]) -> None:
    """Those of ``same`` whose stored version is another one are answered ``revision_taken``."""
    if not same:
        return
    taken = same_revision.taken(conn, [rec for _, rec in same])
    for index, rec in same:
        if rec.id_text in taken:
            answers[index] = _taken(rec)


def _taken(rec: Incoming) -> dict[str, Any]:
    # "duplicate": a client before revision 4 reads it as it always did (it compares first).
    return _answer(rec.id_text, rec.kind, rec.revision, "duplicate", REVISION_TAKEN, hub_revision=rec.revision)


def _process(conn: Connection, clinic: Principal, checked: list[Incoming | dict[str, Any]]) -> list[dict[str, Any]]:
    now = utcnow()
    answers: list[dict[str, Any] | None] = [None] * len(checked)
    valid: list[tuple[int, Incoming]] = []
    for index, rec in enumerate(checked):
        if isinstance(rec, dict):
            answers[index] = rec
        else:
            valid.append((index, rec))
    existing = stored_versions(conn, sorted({rec.id_text for _, rec in valid}))
    occurrences = Counter(rec.id_text for _, rec in valid)
    inserts: list[tuple[int, Incoming]] = []
    updates: list[tuple[int, Incoming]] = []
    one_by_one: list[tuple[int, Incoming]] = []
    for index, rec in valid:
        rid = rec.id_text
        decided = _precheck(clinic, rec, existing.get(rid))
        if decided is not None and occurrences[rid] == 1:
            answers[index] = decided
        elif rec.kind in INTERPRETERS or occurrences[rid] > 1:
            one_by_one.append((index, rec))  # interpreted, or the same id twice in this batch
        else:
            (updates if rid in existing else inserts).append((index, rec))
    _mark_taken(conn, [(index, rec) for index, rec in valid if _same_revision(answers[index], rec)], answers)
    if inserts or updates:
        try:
            with conn.begin_nested():
                # In id order: two batches inserting the same ids then wait on each other in the
                # same order and cannot deadlock.
                inserts.sort(key=lambda pair: pair[1].id_text)
                writer = RecordWriter(conn, clinic.id, now)
                writer.insert([rec for _, rec in inserts])
                writer.update([rec for _, rec in updates])
            for index, rec in inserts + updates:
                answers[index] = _accepted(rec)
        except DBAPIError:
            one_by_one.extend(inserts + updates)  # find the culprit: each record alone
            one_by_one.sort(key=lambda pair: pair[0])
    for index, rec in one_by_one:
        answers[index] = _store_one(conn, clinic, rec, now)
    return [a for a in answers if a is not None]


_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock: try the record again


def _retryable(exc: DBAPIError) -> bool:
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def _store_one(conn: Connection, clinic: Principal, rec: Incoming, now) -> dict[str, Any]:
    for _attempt in range(3):
        try:
            return _store_one_attempt(conn, clinic, rec, now)
        except DBAPIError as exc:
            # Another request inserted the same id (or referral number) and committed while we
            # waited on its lock, or the two waited on each other: look again, now that its row
            # is visible; it decides (usually "duplicate").
            error = type(exc.orig).__name__
    return _storage_error(clinic, rec, error)


def _storage_error(clinic: Principal, rec: Incoming, error: str = "IntegrityError") -> dict[str, Any]:
    # Type only: the driver's message can quote the record's content.
    log.warning(
        "record not stored", extra={"fields": {"clinic": clinic.clinic_code, "record_id": rec.id_text, "error": error}}
    )
    return _answer(rec.id_text, rec.kind, rec.revision, "rejected", "storage_error")


def _store_one_attempt(conn: Connection, clinic: Principal, rec: Incoming, now) -> dict[str, Any]:
    """One record in its own savepoint. Raises IntegrityError (savepoint rolled back) on a race."""
    rid = rec.id_text
    try:
        with conn.begin_nested():
            existing = stored_versions(conn, [rid], lock=True).get(rid)
            decided = _precheck(clinic, rec, existing)
            if decided is not None:
                if _same_revision(decided, rec) and same_revision.taken(conn, [rec]):
                    return _taken(rec)
                return decided
            interpreter = INTERPRETERS.get(rec.kind)
            outcome = interpreter(conn, clinic, rec) if interpreter else Outcome("accepted")
            writer = RecordWriter(conn, clinic.id, now)
            (writer.insert if existing is None else writer.update)([rec])
            return _answer(rec.id_text, rec.kind, rec.revision, outcome.status, outcome.code, params=outcome.params)
    except RecordRejected as rejected:
        return _answer(rec.id_text, rec.kind, rec.revision, "rejected", rejected.code, params=rejected.params)
    except DBAPIError as exc:
        if _retryable(exc):
            raise
        return _storage_error(clinic, rec, type(exc.orig).__name__)
