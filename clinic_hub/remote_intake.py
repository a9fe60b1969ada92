"""What the hub makes of the ``remote_request`` records a clinic pushes (issue 18; the ownership
rules of sync invariant 5, as for referrals).

The clinic owns its request: what it asks, its withdrawal, and its acknowledgements (report read,
critical value seen), each a new revision of the same record. The hospital owns acceptance,
scheduling and the report (clinic_hub/remote_desk.py, published as ``remote_event``). So a clinic
revision is stored when it is well formed, but a withdrawal after the hospital accepted does not
change the hub's state: it is answered ``conflict`` / ``illegal_transition`` and recorded in
``sync_conflict``. The rules are the domain's (clinic_tui.domain.remote), not copies of them.
Both of push's readers (fast and careful) hand the same parsed ``data`` here, so they answer alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import limits
from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.incoming import Incoming
from clinic_hub.models import RemoteAttachment, RemoteMove, RemoteRequest, table_of
from clinic_hub.referral_intake import ACCEPTED, Outcome, RecordRejected, _conflict, _text
from clinic_tui.domain import attachments as attachment_rules
from clinic_tui.domain import remote
from clinic_tui.domain.problems import DomainError

_requests = table_of(RemoteRequest)
_moves = table_of(RemoteMove)
_attachments = table_of(RemoteAttachment)

NAME_MAX = 100
PATIENT_TEXT = {
    "resident_id": 36,
    "patient_name": NAME_MAX,
    "patient_sex": 2,
    "patient_birth_date": 10,
    "patient_id_type": 2,
    "patient_id_number": 40,
    "patient_phone": 40,
}
OTHER_TEXT = {"requesting_doctor": NAME_MAX, "department_wished": 40, "expert_wished": 200}
SOURCE_KINDS = ("visit", "followup")
MAX_DIAGNOSES = 50
# Before the hospital took the request: the clinic may still withdraw or delete it.
# Plain strings: psycopg writes an enum member by its name.
REQUESTED, WITHDRAWN, REPORTED, READ = (
    s.value for s in (remote.Status.REQUESTED, remote.Status.WITHDRAWN, remote.Status.REPORTED, remote.Status.READ)
)
OPEN_STATUSES = (REQUESTED, remote.Status.TIMED_OUT.value, WITHDRAWN)


def record_move(
    conn: Connection,
    request_id: str,
    from_status: str | None,
    to_status: str,
    actor: str,
    actor_id: str | None,
    reason: str | None,
    at: datetime,
    event_id: str | None = None,
) -> None:
    conn.execute(
        sa.insert(_moves).values(
            request_id=request_id,
            event_id=event_id,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_id=actor_id,
            reason=(reason or None) and reason[:2000],
            at=at,
        )
    )


def _time(data: dict[str, Any], name: str, required: bool = False) -> datetime | None:
    """A UTC ISO time field (the bound of ``updated_at``), or None when absent and optional."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise RecordRejected("missing_field", field=name)
        return None
    try:
        return limits.parse_timestamp(value)
    except limits.OutOfBounds:
        raise RecordRejected("invalid_value", field=name) from None


def _diagnoses(data: dict[str, Any]) -> None:
    value = data.get("preliminary_diagnoses")
    if value is None:
        return
    if not isinstance(value, list) or len(value) > MAX_DIAGNOSES:
        raise RecordRejected("invalid_value", field="preliminary_diagnoses")
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise RecordRejected("invalid_value", field="preliminary_diagnoses")
        for key in ("code", "name", "system"):
            part = item.get(key)
            if part is not None and (not isinstance(part, str) or len(part) > 200):
                raise RecordRejected("invalid_value", field="preliminary_diagnoses")


def _source(data: dict[str, Any]) -> None:
    kind, source_id = data.get("source_kind"), data.get("source_id")
    if kind is not None and kind not in SOURCE_KINDS:
        raise RecordRejected("invalid_value", field="source_kind")
    if source_id is None:
        return
    try:
        uuid.UUID(source_id if isinstance(source_id, str) and len(source_id) <= 36 else "")
    except ValueError:
        raise RecordRejected("invalid_value", field="source_id") from None


def _submission(data: dict[str, Any]) -> None:
    """The domain's own check of what a request needs (service, urgency, question, consent, the
    summary's lengths), after the types the domain takes for granted are checked here."""
    for name in ("service", "urgency"):
        _text(data, name, 20, required=True)
    _text(data, "question", remote.MAX_QUESTION, required=True)
    for name in remote.SUMMARY_FIELDS:
        _text(data, name, remote.MAX_SUMMARY_TEXT)
    if not isinstance(data.get("consent"), bool):
        raise RecordRejected("invalid_value", field="consent")
    problems = remote.submission_problems(data)
    if problems:
        first = problems[0]
        code = "missing_field" if first.code == "remote.question_missing" else "invalid_value"
        raise RecordRejected(code, field=first.field or "?")


def attachment_list(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's ``attachments``: [{sha256, size, media_type, name}], within the bounds of
    ``limits`` (files per request, bytes per file and per request, the three types); the bytes
    travel apart (clinic_hub/attachments.py)."""
    value = data.get("attachments")
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limits.MAX_REQUEST_ATTACHMENTS:
        raise RecordRejected("invalid_value", field="attachments")
    items: list[dict[str, Any]] = []
    total = 0
    for item in value:
        if not isinstance(item, dict):
            raise RecordRejected("invalid_value", field="attachments")
        sha256, size, media_type, name = (item.get(k) for k in ("sha256", "size", "media_type", "name"))
        if (
            not isinstance(sha256, str)
            or not attachment_rules.SHA256.match(sha256)
            or type(size) is not int
            or not 0 < size <= limits.MAX_ATTACHMENT_BYTES
            or media_type not in limits.ATTACHMENT_MEDIA_TYPES
            or not isinstance(name, str)
            or not name.strip()
            or len(name) > limits.ATTACHMENT_NAME_MAX_CHARS
        ):
            raise RecordRejected("invalid_value", field="attachments")
        total += size
        items.append({"sha256": sha256, "size": size, "media_type": media_type, "name": name})
    if total > limits.MAX_REQUEST_ATTACHMENT_BYTES:
        raise RecordRejected("invalid_value", field="attachments")
    return items


def _link_attachments(conn: Connection, request_id: str, items: list[dict[str, Any]]) -> None:
    conn.execute(sa.delete(_attachments).where(_attachments.c.request_id == request_id))
    if items:
        conn.execute(
            sa.insert(_attachments),
            [{"request_id": request_id, "position": n, **item} for n, item in enumerate(items)],
        )


def _owned_number(clinic: Principal, data: dict[str, Any]) -> str:
    """The request number, which must be a well formed one of the pushing clinic."""
    request_no = _text(data, "request_no", 64, required=True)
    try:
        number = remote.parse_request_number(request_no)
    except DomainError:
        raise RecordRejected("invalid_value", field="request_no") from None
    if number.clinic_code != (clinic.clinic_code or "").upper():
        raise RecordRejected("invalid_value", field="request_no")
    return request_no.upper()


def _acknowledgements(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "report_read_at": _time(data, "report_read_at"),
        "report_read_by": _text(data, "report_read_by", NAME_MAX),
        "critical_ack_at": _time(data, "critical_ack_at"),
        "critical_ack_by": _text(data, "critical_ack_by", NAME_MAX),
    }


def interpret_request(conn: Connection, clinic: Principal, rec: Incoming) -> Outcome:
    data = rec.data
    request_no = _owned_number(clinic, data)
    status = _text(data, "status", 20, required=True)
    if status not in remote.CLINIC_WIRE_STATUSES:
        raise RecordRejected("status_not_clinic_owned", status=status)
    _submission(data)
    for name, limit in {**PATIENT_TEXT, **OTHER_TEXT}.items():
        _text(data, name, limit)
    requested_at = _time(data, "requested_at", required=True)
    _time(data, "time_wished")
    _diagnoses(data)
    _source(data)
    acknowledged = _acknowledgements(data)
    attached = attachment_list(data)
    rid = str(rec.id)
    taken = conn.execute(
        sa.select(_requests.c.id).where(_requests.c.request_no == request_no, _requests.c.id != rid)
    ).first()
    if taken is not None:
        raise RecordRejected("duplicate_request_no", request_no=request_no)
    now = utcnow()
    columns = dict(
        request_no=request_no,
        service=data["service"],
        urgency=data["urgency"],
        requested_at=requested_at,
        clinic_status=status,
        deleted=rec.deleted,
        updated_at=now,
        **acknowledged,
    )
    current = conn.execute(sa.select(_requests).where(_requests.c.id == rid)).first()
    if current is None:
        conn.execute(sa.insert(_requests).values(id=rid, clinic_id=clinic.id, status=status, created_at=now, **columns))
        _link_attachments(conn, rid, attached)
        record_move(conn, rid, None, REQUESTED, "clinic", clinic.clinic_code, None, now)
        if status == WITHDRAWN:  # asked and withdrawn while offline
            record_move(conn, rid, REQUESTED, status, "clinic", clinic.clinic_code, None, now)
        return ACCEPTED
    if current.clinic_id != clinic.id:
        raise RecordRejected("foreign_record")
    if current.status not in OPEN_STATUSES:
        # What the hospital took on stays in its room and its place in the queue: a later revision
        # may add the clinic's acknowledgements, not turn an ECG into a CT or re-time the request.
        for frozen in ("service", "urgency", "requested_at"):
            columns.pop(frozen)
    else:  # what the reader will read may still change (a file added before the hospital took it)
        _link_attachments(conn, rid, attached)
    update = sa.update(_requests).where(_requests.c.id == rid)
    moved = status != current.clinic_status and status != current.status
    if (moved or rec.deleted) and current.status not in OPEN_STATUSES:
        # Too late: the hospital took it. Stored, but its state stands.
        conn.execute(update.values(**{**columns, "deleted": current.deleted}))
        return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
    if moved:
        try:
            remote.transition(current.status, status, "clinic")
        except DomainError:
            conn.execute(update.values(**columns))
            return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
        conn.execute(update.values(status=status, **columns))
        record_move(conn, rid, current.status, status, "clinic", clinic.clinic_code, None, now)
        return ACCEPTED
    values: dict[str, Any] = dict(columns)
    if acknowledged["report_read_at"] and current.status == REPORTED:
        values["status"] = READ  # the clinic read the report (domain: reported -> read)
        record_move(conn, rid, current.status, READ, "clinic", clinic.clinic_code, None, now)
    conn.execute(update.values(**values))
    return ACCEPTED


INTERPRETERS = {"remote_request": interpret_request}
