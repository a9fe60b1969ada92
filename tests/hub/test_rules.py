"""The hub applies the product's referral state machine (clinic_tui.domain.referral), with no copy."""

from __future__ import annotations

import itertools

import pytest

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


def test_the_hub_checks_moves_with_the_domain_state_machine():
    for direction in domain.Direction:
        statuses = sorted(domain.STATUSES[direction])
        for current, target, actor in itertools.product(statuses, statuses, ACTORS):
            assert _allowed(referral_rules.check_move, direction.value, current, target, actor) == _allowed(
                domain.transition, direction.value, current, target, actor
            ), (direction, current, target, actor)


def test_the_hub_status_sets_are_the_domain_statuses():
    up = {s.value for s in domain.STATUSES[domain.Direction.UP]}
    assert set(referral_rules.CLINIC_UP_STATUSES) <= up
    assert set(referral_rules.HOSPITAL_DECIDED) <= up
    assert set(referral_rules.URGENCIES) == {u.value for u in domain.Urgency}


def test_a_cancel_without_reason_is_refused():
    with pytest.raises(DomainError) as refused:
        referral_rules.check_move("up", "sent", "cancelled", "clinic", "  ")
    assert refused.value.problem.code == "referral.reason_required"
