"""Moving a referral from one status to another: one user action, one transaction.

The domain state machine (``domain.referral.transition``) decides whether a move is allowed; this
module records it. Every move is a ``ReferralEvent`` of the clinic's own, written through
``records`` so it is audited and queued for the hub. What happens to the ``Referral`` row depends
on who owns it (docs/protocol.md, "Referrals and ownership"):

- an upward referral is the clinic's row: its status (and cancel reason) is updated through
  ``records`` too, so the new revision goes to the hub;
- a downward referral is the hub's row: the clinic never edits it. Its local ``status`` is only
  the effective status, recomputed from the events, and written without audit or outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.models import Referral, ReferralEvent, Staff, Task, utcnow
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.domain.referral import Actor, Status, check_ends, transition
from clinic_tui.i18n import N_


@dataclass(frozen=True)
class Moved:
    """What a move did: the referral, the event that records it, and the statuses either side."""

    referral_id: str
    event_id: str
    from_status: str
    to_status: str


def move(
    engine: Engine,
    referral_id: str,
    to_status: str,
    *,
    user_id: str | None,
    reason: str | None = None,
    actor: str = Actor.CLINIC,
    at: datetime | None = None,
) -> Moved:
    """Move the referral to ``to_status`` as ``actor`` (the clinic unless said otherwise).

    Raises ``DomainError`` (its ``message`` is in the user's language) when the referral is gone or
    the state machine refuses the move, e.g. cancelling a referral the hospital has accepted, or
    cancelling without a reason. Nothing is written then.
    """
    reason = (reason or "").strip() or None
    with unit_of_work(engine) as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.deleted:
            raise DomainError(Problem("referral.missing", N_("This referral is no longer on file.")))
        current = referral.status
        transition(referral.direction, current, to_status, actor, reason)
        event = ReferralEvent(
            clinic_id=referral.clinic_id,
            referral_id=referral.id,
            origin="clinic",
            from_status=current,
            to_status=to_status,
            actor=actor,
            actor_name=_staff_name(session, user_id),
            reason=reason,
            at=at or utcnow(),
        )
        records.create(session, event, user_id)
        if referral.origin == "hub":
            session.flush()
            recompute_status(session, referral)
        else:
            changes: dict[str, object] = {"status": to_status}
            if to_status == Status.CANCELLED:
                changes["cancel_reason"] = reason
            records.update(session, referral, changes, user_id)
        close_check_tasks(session, referral, user_id)
        return Moved(referral.id, event.id, current, to_status)


def ordered_events(session: Session, referral_id: str) -> list[ReferralEvent]:
    """The referral's status history, oldest first (ties kept in the order they were written)."""
    return list(
        session.execute(
            select(ReferralEvent)
            .where(col(ReferralEvent.referral_id) == referral_id, col(ReferralEvent.deleted) == False)
            .order_by(col(ReferralEvent.at), col(ReferralEvent.created_at))
        ).scalars()
    )


def effective_status(own_status: str, events: list[ReferralEvent]) -> str:
    """The status the referral is in, by following its events from one status to the next.

    Following the chain rather than taking the latest timestamp keeps a village PC's wrong clock
    from undoing a move; where two events leave the same status (a clinic move the hub refused
    because the hospital had answered), the hospital's decision stands.
    """
    if not events:
        return own_status
    remaining = list(events)
    status = None if any(e.from_status is None for e in events) else events[0].from_status
    while True:
        candidates = [e for e in remaining if e.from_status == status]
        if not candidates:
            return status if status is not None else own_status
        chosen = next((e for e in candidates if e.origin == "hub"), candidates[0])
        remaining.remove(chosen)
        status = chosen.to_status


def recompute_status(session: Session, referral: Referral) -> str:
    """Set a hub-owned referral's local effective status from its events, as a derived value.

    No revision, audit entry or outbox row: the row is the hub's, and the change is not a clinic
    edit. The sync client calls this too after applying the hospital's events.
    """
    status = effective_status(referral.status, ordered_events(session, referral.id))
    if status != referral.status:
        referral.status = status
        session.add(referral)
        session.flush()
        close_check_tasks(session, referral, None)
    return status


def close_check_tasks(session: Session, referral: Referral, user_id: str | None) -> int:
    """Mark the referral's open check tasks done when its status leaves nothing to check
    (``domain.referral.check_ends``: completed or cancelled). The task is the clinic's own record,
    so closing it is an audited clinic edit that goes to the hub; ``user_id`` None when the
    hospital's answer arrived by sync. Returns how many were closed."""
    if not check_ends(referral.direction, referral.status):
        return 0
    tasks = session.execute(
        select(Task).where(
            col(Task.source_kind) == "referral",
            col(Task.source_id) == referral.id,
            col(Task.kind) == "referral_check",
            col(Task.done_at).is_(None),
            col(Task.deleted) == False,
        )
    ).scalars()
    closed = 0
    for task in list(tasks):
        records.update(session, task, {"done_at": utcnow(), "done_by": user_id}, user_id)
        closed += 1
    return closed


def _staff_name(session: Session, user_id: str | None) -> str | None:
    staff = session.get(Staff, user_id) if user_id else None
    return staff.name if staff is not None else None
