"""The one state-machine checker the lab orders, examination bookings and remote requests share,
on a table of its own: a move needing a reason, a move that is someone else's, an unknown state,
and what each refusal carries (its code, its sentence with both states, its field)."""

from __future__ import annotations

from enum import StrEnum

import pytest

from clinic_tui import i18n
from clinic_tui.domain.problems import DomainError, Severity
from clinic_tui.domain.workflow import Refusals, Workflow


class Door(StrEnum):
    SHUT = "shut"
    OPEN = "open"
    LOCKED = "locked"
    BROKEN = "broken"


class Who(StrEnum):
    TENANT = "tenant"
    KEEPER = "keeper"
    PORTER = "porter"


_TENANT, _KEEPER = frozenset({Who.TENANT}), frozenset({Who.KEEPER})

# Plain strings, not N_(): these sentences are the test's, not the app's catalogue.
DOORS: Workflow[Door, Who] = Workflow(
    code="door",
    statuses=Door,
    actors=Who,
    transitions={
        (None, Door.SHUT): _KEEPER,
        (Door.SHUT, Door.OPEN): _TENANT | _KEEPER,
        (Door.OPEN, Door.SHUT): _TENANT,
        (Door.SHUT, Door.LOCKED): _KEEPER,
        (Door.LOCKED, Door.LOCKED): _KEEPER,  # locked again: no way out
        (Door.SHUT, Door.BROKEN): frozenset({Who.PORTER, Who.KEEPER}),
    },
    needs_reason=frozenset({Door.BROKEN}),
    status_labels={Door.SHUT: "Shut", Door.OPEN: "Open", Door.LOCKED: "Locked", Door.BROKEN: "Broken"},
    actor_labels={Who.TENANT: "the tenant", Who.KEEPER: "the keeper", Who.PORTER: "the porter"},
    refusals=Refusals(
        illegal_move="A door cannot go from “{current}” to “{target}”.",
        wrong_actor="Only {allowed} may move a door from “{current}” to “{target}”.",
        reason_required="Say why the door is “{target}”.",
        unknown_status="“{status}” is not a state of a door.",
    ),
)


@pytest.fixture(autouse=True)
def en():
    """The sentences read in English ("New" and "Unknown actor" are the app's, in its catalogue)."""
    i18n.set_language("en")


def _refusal(*args):
    with pytest.raises(DomainError) as refused:
        DOORS.transition(*args)
    return refused.value.problem


def test_the_moves_in_the_table_pass_for_whoever_it_names():
    DOORS.transition(None, "shut", "keeper")
    DOORS.transition("shut", "open", "tenant")
    DOORS.transition("shut", "open", "keeper")
    DOORS.transition("shut", "broken", "porter", "hinge gone")


def test_a_move_needing_a_reason_is_refused_without_one_and_names_the_reason_field():
    for blank in (None, "", "   "):
        problem = _refusal("shut", "broken", "porter", blank)
        assert (problem.code, problem.field, problem.severity) == ("door.reason_required", "reason", Severity.ERROR)
        assert problem.message == "Say why the door is “Broken”."
    DOORS.transition("shut", "broken", "keeper", " kicked in ")


def test_a_move_that_is_someone_elses_names_who_may_in_the_order_of_the_actors():
    problem = _refusal("shut", "broken", "tenant", "why")
    assert problem.code == "door.wrong_actor" and problem.field is None
    # The keeper before the porter, as the actors are declared, whatever the table's set order.
    assert problem.message == "Only the keeper / the porter may move a door from “Shut” to “Broken”."
    assert _refusal(None, "shut", "tenant").message == "Only the keeper may move a door from “New” to “Shut”."


def test_the_role_check_comes_before_the_reason_check():
    assert _refusal("shut", "broken", "tenant", None).code == "door.wrong_actor"


def test_a_move_not_in_the_table_is_illegal_whoever_makes_it():
    problem = _refusal("open", "locked", "keeper")
    assert problem.code == "door.illegal_move"
    assert problem.message == "A door cannot go from “Open” to “Locked”."
    assert _refusal(None, "open", "keeper").message == "A door cannot go from “New” to “Open”."


@pytest.mark.parametrize(
    ("current", "target", "actor", "code", "params"),
    [
        ("ajar", "open", "tenant", "door.unknown_status", {"status": "ajar"}),
        ("shut", "ajar", "tenant", "door.unknown_status", {"status": "ajar"}),
        ("shut", "open", "burglar", "door.unknown_actor", {"actor": "burglar"}),
        # The states are checked before the actor.
        ("ajar", "open", "burglar", "door.unknown_status", {"status": "ajar"}),
    ],
)
def test_an_unknown_state_or_actor_is_refused_by_name(current, target, actor, code, params):
    problem = _refusal(current, target, actor)
    assert (problem.code, dict(problem.params)) == (code, params)


def test_the_unknown_sentences():
    assert _refusal("ajar", "open", "tenant").message == "“ajar” is not a state of a door."
    assert _refusal("shut", "open", "burglar").message == "Unknown actor “burglar”."


def test_allowed_targets_are_the_actors_moves_from_a_state_in_the_tables_order():
    assert DOORS.allowed_targets("shut", "keeper") == (Door.OPEN, Door.LOCKED, Door.BROKEN)
    assert DOORS.allowed_targets("shut", "tenant") == (Door.OPEN,)
    assert DOORS.allowed_targets(None, "keeper") == (Door.SHUT,)
    assert DOORS.allowed_targets("broken", "keeper") == ()
    with pytest.raises(DomainError):
        DOORS.allowed_targets("ajar", "keeper")


def test_terminal_states_have_no_way_out_a_move_to_itself_is_none():
    assert {s for s in Door if DOORS.is_terminal(s)} == {Door.LOCKED, Door.BROKEN}


def test_the_message_follows_the_language_when_it_is_read():
    # A kind's sentence from the app's catalogue: the checker keeps the N_() ids, translated when read.
    from clinic_tui.domain import lab

    with pytest.raises(DomainError) as refused:
        lab.WORKFLOW.transition("sent", "received", "clinic")
    assert (
        refused.value.message
        == "Only the hospital's lab may move a lab order from “Sent to the lab” to “Received by the lab”."
    )
    i18n.set_language("zh")
    assert refused.value.message == "只有医院检验科可以将检验单从“已送检”变为“已接收”。"
