"""The hub's stand-in referral rules agree with the product's state machine."""

from __future__ import annotations

import itertools

from clinic_hub import referral_rules
from clinic_tui.domain import referral as domain
from clinic_tui.domain.problems import DomainError

ACTORS = ("clinic", "reviewer", "hospital", "system")


def _allowed(transition, direction, current, target, actor) -> bool:
    try:
        transition(direction, current, target, actor, "a reason")
        return True
    except DomainError:
        return False


def test_the_fallback_table_matches_the_domain_state_machine():
    for direction, statuses in (("up", referral_rules.UP_STATUSES), ("down", referral_rules.DOWN_STATUSES)):
        for current, target, actor in itertools.product(statuses, statuses, ACTORS):
            assert _allowed(domain.transition, direction, current, target, actor) == _allowed(
                referral_rules._fallback_transition, direction, current, target, actor), (direction, current, target, actor)
