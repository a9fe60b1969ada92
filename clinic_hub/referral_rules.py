"""Which referral status moves are allowed, and who may make them.

The product's state machine is ``clinic_tui.domain.referral.transition`` (written alongside the
clinic app). When it is importable the hub uses it, so both programs apply one set of rules; until
then the table below (a copy of its rules) stands in with the same signature and error type; a
test checks that the two agree.
"""

from __future__ import annotations

from clinic_tui.domain.problems import DomainError, Problem

UP, DOWN = "up", "down"
UP_STATUSES = ("draft", "review", "sent", "accepted", "rejected", "cancelled", "expired", "arrived",
               "no_show", "completed")
DOWN_STATUSES = ("received", "acknowledged", "in_followup", "completed", "lost")
URGENCIES = ("emergency", "urgent", "normal")  # 急诊 (green channel), 紧急, 普通: desk order
CLINIC_UP_STATUSES = ("draft", "review", "sent", "cancelled")  # what a clinic may push upward
# Once the hospital has answered, a clinic's own status moves no longer change the referral.
HOSPITAL_DECIDED = ("accepted", "rejected", "arrived", "no_show", "completed", "expired")

# (direction, from, to) -> actors allowed; reasons required where noted.
_MOVES: dict[tuple[str, str, str], tuple[str, ...]] = {
    (UP, "draft", "review"): ("clinic",),
    (UP, "draft", "sent"): ("clinic",),
    (UP, "review", "sent"): ("reviewer",),
    (UP, "review", "draft"): ("reviewer",),
    (UP, "draft", "cancelled"): ("clinic",),
    (UP, "review", "cancelled"): ("clinic",),
    (UP, "sent", "cancelled"): ("clinic",),
    (UP, "sent", "accepted"): ("hospital",),
    (UP, "sent", "rejected"): ("hospital",),
    (UP, "sent", "expired"): ("system",),
    (UP, "accepted", "arrived"): ("hospital",),
    (UP, "accepted", "no_show"): ("hospital",),
    (UP, "arrived", "completed"): ("hospital",),
    (DOWN, "received", "acknowledged"): ("clinic",),
    (DOWN, "acknowledged", "in_followup"): ("clinic",),
    (DOWN, "in_followup", "completed"): ("clinic",),
    (DOWN, "acknowledged", "lost"): ("clinic",),
    (DOWN, "in_followup", "lost"): ("clinic",),
}
_REASON_REQUIRED = {(UP, "rejected"), (UP, "cancelled")}


def _fallback_transition(direction: str, current: str, target: str, actor: str, reason: str | None = None) -> str:
    actors = _MOVES.get((direction, current, target))
    if actors is None or actor not in actors:
        raise DomainError(Problem("referral.illegal_move",
                                  "A referral cannot go from {current} to {target} ({actor})",
                                  {"current": current, "target": target, "actor": actor}))
    if (direction, target) in _REASON_REQUIRED and not (reason or "").strip():
        raise DomainError(Problem("referral.reason_required", "A reason is required", {}))
    return target


def _resolve():
    try:
        from clinic_tui.domain.referral import transition  # type: ignore[attr-defined]
    except Exception:  # not written yet, or broken mid-edit: keep the hub working
        return _fallback_transition
    return transition


def check_move(direction: str, current: str, target: str, actor: str, reason: str | None = None) -> None:
    """Raise DomainError when ``actor`` may not move a referral from ``current`` to ``target``."""
    _resolve()(direction, current, target, actor, reason)
