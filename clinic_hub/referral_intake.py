"""What the hub makes of the referral records a clinic pushes (the ownership rules,
sync invariant 5 in docs/architecture-sync.md).

The clinic owns its referral rows and its own status moves (draft, review, sent, cancelled); the
hospital's answers are hub records. So a clinic row is always stored when it is well formed, but a
clinic move after the hospital has answered does not change the referral: it is answered
``conflict`` ("the hospital's decision stands") and recorded in ``sync_conflict``.
A clinic acknowledges or follows up a downward referral by pushing its own ``referral_event``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.accounts import Principal
from clinic_hub.db import utcnow
from clinic_hub.incoming import Incoming
from clinic_hub.models import Referral, ReferralMove, SyncConflict, table_of
from clinic_hub.referral_rules import CLINIC_UP_STATUSES, DOWN, HOSPITAL_DECIDED, UP, URGENCIES, check_move
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.referral import NEEDS_REASON

_referrals = table_of(Referral)
_moves = table_of(ReferralMove)
_conflicts = table_of(SyncConflict)


class RecordRejected(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Outcome:
    status: str  # accepted | conflict
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


ACCEPTED = Outcome("accepted")


@overload
def _text(data: dict[str, Any], name: str, max_len: int, required: Literal[True], default: None = None) -> str: ...
@overload
def _text(data: dict[str, Any], name: str, max_len: int, required: bool = False, *, default: str) -> str: ...
@overload
def _text(
    data: dict[str, Any], name: str, max_len: int, required: bool = False, default: str | None = None
) -> str | None: ...
def _text(
    data: dict[str, Any], name: str, max_len: int, required: bool = False, default: str | None = None
) -> str | None:
    value = data.get(name, default)
    if value is None or value == "":
        if required:
            raise RecordRejected("missing_field", field=name)
        return default
    if not isinstance(value, str) or len(value) > max_len or "\x00" in value:
        raise RecordRejected("invalid_value", field=name)
    return value.strip()


def record_move(
    conn: Connection,
    referral_id: str,
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
            referral_id=referral_id,
            event_id=event_id,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            actor_id=actor_id,
            reason=(reason or None) and reason[:2000],
            at=at,
        )
    )


def _conflict(conn: Connection, clinic: Principal, rec: Incoming, code: str, **params: Any) -> Outcome:
    conn.execute(
        sa.insert(_conflicts).values(
            at=utcnow(),
            clinic_id=clinic.id,
            record_id=str(rec.id),
            kind=rec.kind,
            code=code,
            detail=" ".join(f"{k}={v}" for k, v in params.items())[:400],
        )
    )  # statuses only, no content
    return Outcome("conflict", code, params)


def _clinic_move_allowed(current: str, target: str, reason: str | None) -> bool:
    """Whether the clinic (or its township reviewer, whose moves arrive from the clinic too) may
    make this move. A move that only lacks its reason is the clinic's to fix: rejected."""
    for actor in ("clinic", "reviewer"):
        try:
            check_move(UP, current, target, actor, reason)
            return True
        except DomainError as refusal:
            if refusal.problem.code.endswith("reason_required"):
                raise RecordRejected("reason_required") from None
    return False


def owns_number(clinic: Principal, referral_no: str) -> bool:
    """A clinic's referral numbers carry its own code: ``<clinic code>-...`` (as
    clinic_tui.domain.referral.make_referral_number writes them, letter case aside). So no clinic can
    take another's numbers, nor the hub's (which have no "-", desk.down_number)."""
    prefix = f"{clinic.clinic_code}-".upper()
    return referral_no.upper().startswith(prefix) and len(referral_no) > len(prefix)


def interpret_referral(conn: Connection, clinic: Principal, rec: Incoming) -> Outcome:
    data = rec.data
    referral_no = _text(data, "referral_no", 64, required=True)
    if not owns_number(clinic, referral_no):
        raise RecordRejected("foreign_referral_no", referral_no=referral_no, prefix=f"{clinic.clinic_code}-")
    if _text(data, "direction", 4, default=UP) != UP:
        raise RecordRejected("direction_not_allowed")
    urgency = _text(data, "urgency", 10, default="normal")
    if urgency not in URGENCIES:
        raise RecordRejected("invalid_value", field="urgency")
    status = _text(data, "status", 20, required=True)
    if status not in CLINIC_UP_STATUSES:
        raise RecordRejected("status_not_clinic_owned", status=status)
    reason = _text(data, "cancel_reason", 2000)
    referral_date = _text(data, "referral_date", 40)
    now = utcnow()
    columns = dict(
        referral_no=referral_no,
        urgency=urgency,
        purpose=_text(data, "purpose", 40),
        to_department_code=_text(data, "to_department_code", 40),
        referral_date=referral_date[:10] if referral_date else None,
        deleted=rec.deleted,
        updated_at=now,
    )
    rid = str(rec.id)
    taken = conn.execute(
        sa.select(_referrals.c.id).where(_referrals.c.referral_no == referral_no, _referrals.c.id != rid)
    ).first()
    if taken is not None:
        raise RecordRejected("duplicate_referral_no", referral_no=referral_no)
    current = conn.execute(sa.select(_referrals).where(_referrals.c.id == rid)).first()
    if current is None and status in NEEDS_REASON and not (reason or "").strip():
        # First seen already cancelled (made and withdrawn offline): the reason is still required.
        raise RecordRejected("reason_required")
    if current is None:
        conn.execute(
            sa.insert(_referrals).values(
                id=rid,
                clinic_id=clinic.id,
                direction=UP,
                status=status,
                clinic_status=status,
                sent_at=now if status == "sent" else None,
                created_at=now,
                **columns,
            )
        )
        record_move(conn, rid, None, status, "clinic", clinic.clinic_code, reason, now)
        return ACCEPTED
    if current.clinic_id != clinic.id or current.direction != UP:
        raise RecordRejected("foreign_record")
    # A tombstone or a status move after the hospital answered: stored, but the decision stands.
    moved = status != current.clinic_status
    if current.status in HOSPITAL_DECIDED and (moved or rec.deleted):
        conn.execute(sa.update(_referrals).where(_referrals.c.id == rid).values(clinic_status=status, **columns))
        return _conflict(conn, clinic, rec, "hospital_decision_stands", status=current.status)
    if not moved or status == current.status:
        conn.execute(sa.update(_referrals).where(_referrals.c.id == rid).values(clinic_status=status, **columns))
        return ACCEPTED
    if not _clinic_move_allowed(current.status, status, reason):
        conn.execute(sa.update(_referrals).where(_referrals.c.id == rid).values(clinic_status=status, **columns))
        return _conflict(conn, clinic, rec, "illegal_transition", from_status=current.status, to_status=status)
    extra = {"sent_at": now} if status == "sent" and current.sent_at is None else {}
    conn.execute(
        sa.update(_referrals)
        .where(_referrals.c.id == rid)
        .values(status=status, clinic_status=status, **columns, **extra)
    )
    record_move(conn, rid, current.status, status, "clinic", clinic.clinic_code, reason, now)
    return ACCEPTED


def interpret_event(conn: Connection, clinic: Principal, rec: Incoming) -> Outcome:
    """A clinic's referral_event. Only moves on downward referrals change the hub's status."""
    referral_id = _text(rec.data, "referral_id", 36, required=True)
    referral = conn.execute(sa.select(_referrals).where(_referrals.c.id == referral_id)).first()
    if referral is None:
        return ACCEPTED  # history of a referral the hub has not seen yet: kept as the clinic sent it
    if referral.clinic_id != clinic.id:
        raise RecordRejected("foreign_record")
    if referral.direction == UP or rec.deleted:
        return ACCEPTED  # the clinic's referral row carries its status; its events are its history
    target = _text(rec.data, "to_status", 20, required=True)
    if target == referral.status:
        return ACCEPTED
    reason = _text(rec.data, "reason", 2000)
    try:
        check_move(DOWN, referral.status, target, "clinic", reason)
    except DomainError:
        return _conflict(conn, clinic, rec, "illegal_transition", from_status=referral.status, to_status=target)
    now = utcnow()
    conn.execute(sa.update(_referrals).where(_referrals.c.id == referral_id).values(status=target, updated_at=now))
    record_move(
        conn, referral_id, referral.status, target, "clinic", clinic.clinic_code, reason, now, event_id=str(rec.id)
    )
    return ACCEPTED


INTERPRETERS = {"referral": interpret_referral, "referral_event": interpret_event}
