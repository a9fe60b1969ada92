"""Which referral status moves the hub allows, and who may make them: the product's state machine,
``clinic_tui.domain.referral`` (one ``Status``, one ``transition`` for both programs), plus the
hub's own reading of it (what a clinic may push, what the hospital has decided).
"""

from __future__ import annotations

from clinic_tui.domain.referral import CLINIC_UP_STATUSES as _CLINIC_UP
from clinic_tui.domain.referral import Direction, Status, Urgency, transition

UP, DOWN = Direction.UP.value, Direction.DOWN.value
# The desk's order: 急诊 (green channel), 紧急, 普通.
URGENCIES = tuple(u.value for u in (Urgency.EMERGENCY, Urgency.URGENT, Urgency.NORMAL))
# What a clinic may push upward: its own moves (the hospital's are hub records).
CLINIC_UP_STATUSES = tuple(s.value for s in _CLINIC_UP)
# Once the hospital has answered, a clinic's own status moves no longer change the referral.
HOSPITAL_DECIDED = tuple(
    s.value
    for s in (Status.ACCEPTED, Status.REJECTED, Status.ARRIVED, Status.NO_SHOW, Status.COMPLETED, Status.EXPIRED)
)


def check_move(direction: str, current: str | None, target: str, actor: str, reason: str | None = None) -> None:
    """Raise DomainError when ``actor`` may not move a referral from ``current`` to ``target``
    (``current`` None: creating it)."""
    transition(direction, current, target, actor, reason)
