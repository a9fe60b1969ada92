"""What the hub makes of the ``lab_order`` records a clinic pushes (issue 18, tests at the lead
hospital; the ownership rules of sync invariant 5, as for referrals and remote requests).

The clinic owns its order: the tests asked, the specimen's collection and sending, its
cancellation, a recollection after a rejection (the next ``attempt``) and the acknowledgement of a
critical value, each a new revision of the same record. The lab owns receipt, rejection and the
results (clinic_hub/lab_desk.py, published as ``lab_event``). So a clinic revision is stored when
it is well formed, but a cancellation after the lab received the specimen does not change the
hub's state: it is answered ``conflict`` / ``illegal_transition``, recorded in ``sync_conflict``,
and the order shows on the lab desk's exceptions list (lab_desk.exceptions). Each bad field is
refused alone with its code; the rules are the domain's (clinic_tui.domain.lab).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.incoming import Incoming
from clinic_hub.models import LabMove, LabOrder, table_of
from clinic_hub.referral_intake import ACCEPTED, Outcome, RecordRejected, _conflict, _text
from clinic_hub.remote_intake import NAME_MAX, _time
from clinic_tui.domain import lab
from clinic_tui.domain.problems import DomainError

_orders = table_of(LabOrder)
_moves = table_of(LabMove)

PATIENT_TEXT = {
    "resident_id": 36,
    "patient_name": NAME_MAX,
    "patient_sex": 2,
    "patient_birth_date": 10,
    "patient_id_number": 40,
    "ordering_doctor": NAME_MAX,
    "collected_by": NAME_MAX,
}
# Plain strings: psycopg writes an enum member by its name.
ORDERED, COLLECTED, SENT, RECEIVED, REPORTED, REJECTED, CANCELLED = (
    s.value
    for s in (
        lab.Status.ORDERED,
        lab.Status.COLLECTED,
        lab.Status.SENT,
        lab.Status.RECEIVED,
        lab.Status.REPORTED,
        lab.Status.REJECTED,
        lab.Status.CANCELLED,
    )
)
# The clinic's own states, in the order a specimen goes through them: a revision may skip ahead
# (collected and sent while offline), never go back but by a recollection.
_CLINIC_RANK = {ORDERED: 0, COLLECTED: 1, SENT: 2}
# The states the lab has the specimen in: the clinic's cancellation comes too late.
LAB_HOLDS = (RECEIVED, REPORTED)


def record_move(
    conn: Connection,
    order_id: str,
    attempt: int,
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
            order_id=order_id,
            event_id=event_id,
            attempt=attempt,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_id=actor_id,
            reason=(reason or None) and reason[:2000],
            at=at,
        )
    )


def _owned_number(clinic: Principal, data: dict[str, Any]) -> str:
    """The order number, which must be a well formed one of the pushing clinic."""
    order_no = _text(data, "order_no", 64, required=True)
    try:
        number = lab.parse_order_number(order_no)
    except DomainError:
        raise RecordRejected("invalid_value", field="order_no") from None
    if number.clinic_code != (clinic.clinic_code or "").upper():
        raise RecordRejected("invalid_value", field="order_no")
    return order_no.upper()


def _order(data: dict[str, Any], status: str) -> None:
    """The domain's checks of an order (and of a sent specimen), after the types it takes for
    granted; the first problem is the answer, naming its field."""
    items = data.get("items")
    if not isinstance(items, list) or any(not isinstance(i, dict) for i in items):
        raise RecordRejected("invalid_value", field="items")
    for name in ("specimen", "priority"):
        _text(data, name, 20, required=True)
    _text(data, "clinical_diagnosis", lab.MAX_TEXT)
    if not isinstance(data.get("fasting", False), bool):
        raise RecordRejected("invalid_value", field="fasting")
    _text(data, "barcode", 40)
    attempt = data.get("attempt", 1)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt <= 99:
        raise RecordRejected("invalid_value", field="attempt")
    needs_specimen = status in (COLLECTED, SENT)
    checked = {**data, "collected_at": _time(data, "collected_at", required=needs_specimen)}
    problems = lab.sending_problems(checked) if needs_specimen else lab.order_problems(checked)
    if problems:
        first = problems[0]
        code = "missing_field" if first.code.endswith("_missing") else "invalid_value"
        raise RecordRejected(code, field=first.field or "?")


def interpret_order(conn: Connection, clinic: Principal, rec: Incoming) -> Outcome:
    data = rec.data
    order_no = _owned_number(clinic, data)
    status = _text(data, "status", 20, required=True)
    if status not in lab.CLINIC_WIRE_STATUSES:
        raise RecordRejected("status_not_clinic_owned", status=status)
    _order(data, status)
    for name, limit in PATIENT_TEXT.items():
        _text(data, name, limit)
    ordered_at = _time(data, "ordered_at", required=True)
    sent_at = _time(data, "sent_at")
    ack_at = _time(data, "critical_ack_at")
    acknowledged: dict[str, Any] = {
        "critical_ack_at": ack_at,
        "critical_ack_by": _text(data, "critical_ack_by", NAME_MAX),
    }
    ack_event = _text(data, "critical_ack_event", 36)
    attempt = int(data.get("attempt", 1))
    rid = str(rec.id)
    taken = conn.execute(sa.select(_orders.c.id).where(_orders.c.order_no == order_no, _orders.c.id != rid)).first()
    if taken is not None:
        raise RecordRejected("duplicate_order_no", order_no=order_no)
    current = conn.execute(sa.select(_orders).where(_orders.c.id == rid)).first()
    acknowledged["critical_ack_event"] = _acknowledged_event(current, ack_at, ack_event)
    now = utcnow()
    columns: dict[str, Any] = dict(
        order_no=order_no,
        specimen=data["specimen"],
        priority=data["priority"],
        ordered_at=ordered_at,
        sent_at=sent_at,
        barcode=_text(data, "barcode", 40),
        clinic_status=status,
        deleted=rec.deleted,
        updated_at=now,
        **acknowledged,
    )
    if current is None:
        conn.execute(
            sa.insert(_orders).values(
                id=rid, clinic_id=clinic.id, status=status, attempt=attempt, results=[], created_at=now, **columns
            )
        )
        record_move(conn, rid, attempt, None, status, "clinic", clinic.clinic_code, None, now)
        return ACCEPTED
    if current.clinic_id != clinic.id:
        raise RecordRejected("foreign_record")
    update = sa.update(_orders).where(_orders.c.id == rid)
    if attempt > current.attempt and current.status == REJECTED and status in (COLLECTED, SENT, CANCELLED):
        # A recollection after the lab's rejection: a new specimen, back in the clinic's hands.
        values = dict(columns, status=status, attempt=attempt, received_at=None, rejected_reason=None)
        conn.execute(update.values(**values))
        record_move(conn, rid, attempt, current.status, status, "clinic", clinic.clinic_code, None, now)
        return ACCEPTED
    if current.status in LAB_HOLDS or current.status == REJECTED:
        # What the lab took on keeps its specimen and place in the queue: a later revision may add
        # the clinic's acknowledgement; a cancellation is allowed only of a rejected specimen.
        for frozen in ("specimen", "priority", "ordered_at", "sent_at", "barcode"):
            columns.pop(frozen)
        wants_out = (status == CANCELLED and current.status != REJECTED) or (rec.deleted and not current.deleted)
        if wants_out or (status != CANCELLED and attempt != current.attempt):
            conn.execute(update.values(**{**columns, "deleted": current.deleted}))
            return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
        if status == CANCELLED:
            conn.execute(update.values(status=CANCELLED, **columns))
            record_move(conn, rid, attempt, current.status, CANCELLED, "clinic", clinic.clinic_code, None, now)
            return ACCEPTED
        conn.execute(update.values(**columns))
        return ACCEPTED
    # Still in the clinic's hands (ordered, collected, sent) or cancelled.
    moved = status != current.status
    if moved:
        allowed = (current.status in _CLINIC_RANK and status == CANCELLED) or (
            current.status in _CLINIC_RANK
            and status in _CLINIC_RANK
            and _CLINIC_RANK[status] > _CLINIC_RANK[current.status]
        )
        if not allowed:
            conn.execute(update.values(**{**columns, "clinic_status": status}))
            return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
        conn.execute(update.values(status=status, attempt=attempt, **columns))
        record_move(conn, rid, attempt, current.status, status, "clinic", clinic.clinic_code, None, now)
        return ACCEPTED
    conn.execute(update.values(attempt=attempt, **columns))
    return ACCEPTED


def _acknowledged_event(current, ack_at: datetime | None, ack_event: str | None) -> str | None:
    """The lab_event the clinic's acknowledgement of a critical value is of: the one it names
    (``critical_ack_event``); a clinic that names none (written before corrections existed)
    acknowledges the alert standing when its acknowledgement first arrives, never a later one."""
    if ack_at is None:
        return None
    if ack_event is not None:
        return ack_event
    if current is None:
        return None
    if current.critical_ack_at is None:
        return current.critical_event
    return current.critical_ack_event


INTERPRETERS = {"lab_order": interpret_order}
