"""One checker for the requests a clinic sends the lead hospital and both sides move (lab orders,
examination bookings, remote requests): a table of the moves allowed from each state, who may make
each, the targets that need a reason, and the sentences a refusal says.

Each kind keeps its table and its words in its own module (``lab.py``, ``exam.py``, ``remote.py``)
as a ``Workflow``; how a move is checked, and in which order its refusals come, is written here
once, so that the clinic and the hub refuse alike for every kind.

A referral's machine (``referral.py``) is not one of these: it has two directions with states of
their own, a refusal of its own for a wrong first state and a reason field per target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.i18n import N_, LazyText

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)

_NEW_LABEL = N_("New")  # the "from" state in messages about writing a new record
_UNKNOWN_ACTOR = N_("Unknown actor “{actor}”.")


@dataclass(frozen=True)
class Refusals:
    """The sentences (``N_()`` message ids) a workflow refuses with, in its own words."""

    illegal_move: str  # {current}, {target}: no such move in the table
    wrong_actor: str  # {allowed}, {current}, {target}: the move is someone else's
    reason_required: str  # {target}: the move needs a reason and none was given
    unknown_status: str  # {status}: not a state of this kind of record


@dataclass(frozen=True)
class Workflow(Generic[S, A]):
    """A record kind's state machine. ``code`` prefixes the refusals' codes (``lab`` ->
    ``lab.illegal_move``); a move from None is writing the record."""

    code: str
    statuses: type[S]
    actors: type[A]
    transitions: Mapping[tuple[S | None, S], frozenset[A]]
    needs_reason: frozenset[S]
    status_labels: Mapping[str, str]
    actor_labels: Mapping[A, str]
    refusals: Refusals

    def transition(self, current: str | None, target: str, actor: str, reason: str | None = None) -> None:
        """Refuse with a ``DomainError`` any move the table does not allow, saying why.

        ``current`` is None when the record is being written."""
        from_ = None if current is None else self.status(current)
        to, who = self.status(target), self.actor(actor)
        params = {
            "current": LazyText(_NEW_LABEL if from_ is None else self.status_labels[from_]),
            "target": LazyText(self.status_labels[to]),
        }
        allowed = self.transitions.get((from_, to))
        if allowed is None:
            raise refusal(f"{self.code}.illegal_move", self.refusals.illegal_move, params)
        if who not in allowed:
            params["allowed"] = LazyText(*(self.actor_labels[a] for a in self.actors if a in allowed))
            raise refusal(f"{self.code}.wrong_actor", self.refusals.wrong_actor, params)
        if to in self.needs_reason and not _filled(reason):
            raise refusal(f"{self.code}.reason_required", self.refusals.reason_required, params, field="reason")

    def allowed_targets(self, current: str | None, actor: str) -> tuple[S, ...]:
        """The states ``actor`` may move the record to (its first one when ``current`` is None)."""
        from_ = None if current is None else self.status(current)
        who = self.actor(actor)
        return tuple(to for (f, to), actors in self.transitions.items() if f == from_ and who in actors)

    def is_terminal(self, status: str) -> bool:
        """No move leads out of ``status`` (a move to itself, such as another time, is no way out)."""
        current = self.status(status)
        return not any(from_ == current and to != current for (from_, to) in self.transitions)

    def status(self, status: str) -> S:
        if not any(status == s for s in self.statuses):
            raise refusal(f"{self.code}.unknown_status", self.refusals.unknown_status, {"status": status})
        return self.statuses(status)

    def actor(self, actor: str) -> A:
        if not any(actor == a for a in self.actors):
            raise refusal(f"{self.code}.unknown_actor", _UNKNOWN_ACTOR, {"actor": actor})
        return self.actors(actor)


def refusal(code: str, template: str, params: Mapping[str, Any], field: str | None = None) -> DomainError:
    """A rule's refusal: an error ``Problem`` raised as a ``DomainError``."""
    return DomainError(Problem(code, template, params, Severity.ERROR, field))


def _filled(value: str | None) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))
