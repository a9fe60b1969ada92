"""Two-way referral (双向转诊): who may move a slip to which status, what an upward slip needs
before it is sent, its readable number, and the order a referral desk works through its queue.

    up:   (new) -> draft -> review -> sent -> accepted -> arrived -> completed
                     |        |        |  `-> rejected     `-> no_show
                     `--------`--------`-> cancelled    (sent -> expired: the system;
                                                          review -> draft: sent back)
    down: (new) -> received -> acknowledged -> in_followup -> completed
                                     `---------------`-> lost

The hospital's moves are decided by the hub (sync invariant 5, docs/architecture-sync.md); the
clinic uses the same table to know which actions to offer and to refuse the ones it may not take.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from clinic_tui.domain import numbers
from clinic_tui.domain.problems import DomainError, Problem, Severity
from clinic_tui.i18n import N_, LazyText, _


class Direction(StrEnum):
    UP = "up"  # 上转
    DOWN = "down"  # 下转


class Status(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    COMPLETED = "completed"  # both directions
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    IN_FOLLOWUP = "in_followup"
    LOST = "lost"


class Actor(StrEnum):
    CLINIC = "clinic"  # the clinic's doctor: sends upward, receives downward referrals
    REVIEWER = "reviewer"  # the township health centre, where it reviews before sending
    HOSPITAL = "hospital"  # the lead hospital's referral desk
    SYSTEM = "system"  # timers, such as the expiry of an unanswered referral


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"  # green channel: slot priority and a phone call ahead


DIRECTION_LABELS: dict[str, str] = {Direction.UP: N_("Upward referral"), Direction.DOWN: N_("Downward referral")}
STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: N_("Draft"),
    Status.REVIEW: N_("Awaiting township review"),
    Status.SENT: N_("Awaiting hospital answer"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.CANCELLED: N_("Cancelled"),
    Status.EXPIRED: N_("Timed out"),
    Status.ARRIVED: N_("Arrived"),
    Status.NO_SHOW: N_("Did not arrive"),
    Status.COMPLETED: N_("Completed"),
    Status.RECEIVED: N_("Awaiting confirmation"),
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.IN_FOLLOWUP: N_("In follow-up"),
    Status.LOST: N_("Lost to follow-up"),
}
# The same states in a list's narrow column (the referral list at 80 columns, issue 14): in
# Chinese the labels are three characters, in English a word or two.
SHORT_STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: N_("Draft"),
    Status.REVIEW: N_("In review"),
    Status.SENT: N_("Awaiting"),
    Status.ACCEPTED: N_("Accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.CANCELLED: N_("Cancelled"),
    Status.EXPIRED: N_("Timed out"),
    Status.ARRIVED: N_("Arrived"),
    Status.NO_SHOW: N_("No-show"),
    Status.COMPLETED: N_("Completed"),
    Status.RECEIVED: N_("To confirm"),
    Status.ACKNOWLEDGED: N_("Confirmed"),
    Status.IN_FOLLOWUP: N_("Following"),
    Status.LOST: N_("Lost"),
}
ACTOR_LABELS = {
    Actor.CLINIC: N_("the clinic doctor"),
    Actor.REVIEWER: N_("the township reviewer"),
    Actor.HOSPITAL: N_("the hospital referral desk"),
    Actor.SYSTEM: N_("the system"),
}
URGENCY_LABELS: dict[str, str] = {
    Urgency.NORMAL: N_("Routine"),
    Urgency.URGENT: N_("Urgent"),
    Urgency.EMERGENCY: N_("Emergency (green channel)"),
}
PURPOSE_LABELS = {  # code -> label
    "outpatient": N_("Outpatient"),
    "inpatient": N_("Inpatient"),
    "exam": N_("Examination"),
    "other": N_("Other"),
}
OUTCOME_LABELS = {  # of a downward referral, at discharge: code -> label
    "1": N_("Cured"),
    "2": N_("Improved"),
    "3": N_("Stable"),
    "4": N_("Worse"),
    "5": N_("Died"),
    "9": N_("Other"),
}
_NEW_LABEL = N_("New")  # the "from" status in messages about creating a referral

_UP, _DOWN, _S = Direction.UP, Direction.DOWN, Status
_CLINIC, _REVIEWER = frozenset({Actor.CLINIC}), frozenset({Actor.REVIEWER})
_HOSPITAL, _SYSTEM = frozenset({Actor.HOSPITAL}), frozenset({Actor.SYSTEM})

# (direction, from, to) -> who may make that move; from None means creating the referral.
TRANSITIONS: Mapping[tuple[Direction, Status | None, Status], frozenset[Actor]] = {
    (_UP, None, _S.DRAFT): _CLINIC,
    (_UP, _S.DRAFT, _S.REVIEW): _CLINIC,
    (_UP, _S.DRAFT, _S.SENT): _CLINIC,
    (_UP, _S.REVIEW, _S.SENT): _REVIEWER,
    (_UP, _S.REVIEW, _S.DRAFT): _REVIEWER,  # sent back to the clinic for changes
    # The sender may withdraw a referral only until the hospital has answered it.
    (_UP, _S.DRAFT, _S.CANCELLED): _CLINIC,
    (_UP, _S.REVIEW, _S.CANCELLED): _CLINIC,
    (_UP, _S.SENT, _S.CANCELLED): _CLINIC,
    (_UP, _S.SENT, _S.ACCEPTED): _HOSPITAL,
    (_UP, _S.SENT, _S.REJECTED): _HOSPITAL,
    (_UP, _S.SENT, _S.EXPIRED): _SYSTEM,
    (_UP, _S.ACCEPTED, _S.ARRIVED): _HOSPITAL,
    (_UP, _S.ACCEPTED, _S.NO_SHOW): _HOSPITAL,
    (_UP, _S.ARRIVED, _S.COMPLETED): _HOSPITAL,
    (_DOWN, None, _S.RECEIVED): _HOSPITAL,
    (_DOWN, _S.RECEIVED, _S.ACKNOWLEDGED): _CLINIC,
    (_DOWN, _S.ACKNOWLEDGED, _S.IN_FOLLOWUP): _CLINIC,
    (_DOWN, _S.IN_FOLLOWUP, _S.COMPLETED): _CLINIC,
    (_DOWN, _S.ACKNOWLEDGED, _S.LOST): _CLINIC,  # never reached after discharge
    (_DOWN, _S.IN_FOLLOWUP, _S.LOST): _CLINIC,
}
STATUSES = {d: frozenset(to for (way, _from, to) in TRANSITIONS if way == d) for d in Direction}
INITIAL_STATUS = {way: to for (way, from_, to) in TRANSITIONS if from_ is None}
# The upward statuses the clinic's side sets (its doctor, or the township reviewer whose moves
# reach the hub from the clinic): what a clinic pushes. The rest are the hospital's or the system's.
CLINIC_UP_STATUSES = tuple(
    s
    for s in Status
    if any(
        way == _UP and to == s and actors & (_CLINIC | _REVIEWER) for (way, _from, to), actors in TRANSITIONS.items()
    )
)
NEEDS_REASON = frozenset({Status.REJECTED, Status.CANCELLED})
# Answered: the other side has responded (the hospital upward, the clinic downward).
ANSWERED = {
    _UP: frozenset({_S.ACCEPTED, _S.REJECTED, _S.ARRIVED, _S.NO_SHOW, _S.COMPLETED}),
    _DOWN: frozenset({_S.ACKNOWLEDGED, _S.IN_FOLLOWUP, _S.COMPLETED, _S.LOST}),
}
DEFAULT_ANSWER_DAYS = 3  # no national rule: each community sets its own, so callers may override
CHECK_UP_DAYS = 14  # the clinic checks on every upward referral within 2 weeks (DOMAIN.md)
MAX_DAILY_SEQUENCE = numbers.MAX_DAILY_SEQUENCE
_URGENCY_RANK: dict[str, int] = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.NORMAL: 2}


def status_label(status: str, short: bool = False) -> str:
    return _((SHORT_STATUS_LABELS if short else STATUS_LABELS)[Status(status)])


def transition(direction: str, current: str | None, target: str, actor: str, reason: str | None = None) -> None:
    """Refuse with a ``DomainError`` any move the table does not allow, saying why.

    ``current`` is None when the referral is being created.
    """
    way = _direction(direction)
    from_ = None if current is None else _status(way, current)
    to, who = _status(way, target), _actor(actor)
    params = {
        "current": LazyText(_NEW_LABEL if from_ is None else STATUS_LABELS[from_]),
        "target": LazyText(STATUS_LABELS[to]),
    }
    allowed = TRANSITIONS.get((way, from_, to))
    if allowed is None and from_ is None:
        params["start"] = LazyText(STATUS_LABELS[INITIAL_STATUS[way]])
        template = N_("A new referral starts as “{start}”, not “{target}”.")
        raise _refusal("referral.illegal_start", template, params)
    if allowed is None:
        template = N_("A referral cannot go from “{current}” to “{target}”.")
        raise _refusal("referral.illegal_move", template, params)
    if who not in allowed:
        params["allowed"] = LazyText(*(ACTOR_LABELS[a] for a in Actor if a in allowed))
        template = N_("Only {allowed} may move a referral from “{current}” to “{target}”.")
        raise _refusal("referral.wrong_actor", template, params)
    if to in NEEDS_REASON and not _filled(reason):
        template = N_("Give a reason to mark the referral “{target}”.")
        field = "cancel_reason" if to is Status.CANCELLED else "reason"  # as in the data model
        raise _refusal("referral.reason_required", template, params, field=field)


def allowed_targets(direction: str, current: str | None, actor: str) -> tuple[Status, ...]:
    """The statuses ``actor`` may move the referral to (its first one when ``current`` is None)."""
    way, who = _direction(direction), _actor(actor)
    from_ = None if current is None else _status(way, current)
    return tuple(to for (d, f, to), actors in TRANSITIONS.items() if d == way and f == from_ and who in actors)


def is_terminal(direction: str, status: str) -> bool:
    way = _direction(direction)
    current = _status(way, status)
    return not any(d == way and from_ == current for (d, from_, _to) in TRANSITIONS)


def is_answered(direction: str, status: str) -> bool:
    way = _direction(direction)
    return _status(way, status) in ANSWERED[way]


def should_expire(status: str, sent_at: datetime, now: datetime, answer_within_days: int = DEFAULT_ANSWER_DAYS) -> bool:
    """Whether the system should mark an upward referral expired: sent, unanswered, too long."""
    return status == Status.SENT and now >= sent_at + timedelta(days=answer_within_days)


# The clinic's check on an upward referral (its 2-week task, 跟进转诊) ends when nothing is left to
# check: the hospital completed the care, or the referral was withdrawn. After a rejection, an
# expiry or a no-show the patient still needs the village doctor (another referral, a visit), so
# the task stays open for them to close by hand.
CHECK_ENDS_AT = frozenset({Status.COMPLETED, Status.CANCELLED})


def check_ends(direction: str, status: str) -> bool:
    """Whether an upward referral in ``status`` closes its clinic check task by itself."""
    return _direction(direction) is Direction.UP and _status(Direction.UP, status) in CHECK_ENDS_AT


def check_due_date(sent_on: date) -> date:
    """The day by which the clinic checks on an upward referral (its follow-up task)."""
    return sent_on + timedelta(days=CHECK_UP_DAYS)


def priority_key(urgency: str, sent_at: date | datetime) -> tuple[int, date | datetime]:
    """Sort key for a desk's queue: emergency, urgent, normal; the oldest first within each."""
    return (_URGENCY_RANK.get(urgency, len(_URGENCY_RANK)), sent_at)


# --- The referral number: printed on the slip, read out on the phone, unique per clinic.
# The same daily number as the other requests (domain/numbers.py), without a letter: referrals
# came first, and their numbers are on paper.

ReferralNumber = numbers.DailyNumber  # clinic_code, on, sequence: the clinic's n-th referral that day


def make_referral_number(clinic_code: str, on: date, sequence: int) -> str:
    """E.g. ``C0123-20250314-0007``: clinic C0123's 7th referral on 14 March 2025."""
    return numbers.make_number("", clinic_code, on, sequence)


def referral_number_prefix(clinic_code: str, on: date) -> str:
    """What every referral number of the clinic on ``on`` starts with, e.g. ``C0123-20250314-``."""
    return make_referral_number(clinic_code, on, 1)[:-4]


def number_after(clinic_code: str, on: date, taken: Iterable[str]) -> str:
    """The clinic's next referral number of ``on``, after the ones ``taken`` (that day's, say)."""
    return numbers.number_after("", clinic_code, on, taken)


def parse_referral_number(text: str) -> ReferralNumber:
    parsed = numbers.parse_number("", text)
    if parsed is not None:
        return parsed
    template = N_("“{text}” is not a referral number, which looks like C0123-20250314-0007.")
    raise _refusal("referral.number_invalid", template, {"text": text}, field="referral_number")


# --- Is an upward slip complete enough to send?

_REQUIRED = (  # field, problem code, message
    ("reason", "referral.reason_missing", N_("Give the reason for referral.")),
    ("treatment_so_far", "referral.treatment_missing", N_("Record the treatment given so far.")),
    ("to_org_code", "referral.target_missing", N_("Choose the hospital to refer to.")),
    ("consent_signer", "referral.consent_signer_missing", N_("Record who signed the consent.")),
)
_CHOICES = (  # field, its codes, problem code, message
    ("urgency", Urgency, "referral.urgency_unknown", N_("Choose the urgency.")),
    ("purpose", PURPOSE_LABELS, "referral.purpose_unknown", N_("Choose the referral purpose.")),
)


def submission_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """What stops an upward slip from being sent; each problem names its field.

    Keys as in the data model's ``Referral``: ``diagnoses`` (mappings with ``code`` and
    ``name``: a name without a code is uncoded free text, accepted and flagged), ``reason``,
    ``treatment_so_far``, ``to_org_code``, ``to_department_code`` or ``to_department_name``,
    ``consent_given`` (True once given), ``consent_signer``, ``urgency``, ``purpose`` and, for an
    emergency, ``transport`` (the assessment: any answer, even all False, counts).
    """
    problems: list[Problem] = []
    entered = fields.get("diagnoses") or ()
    diagnoses = [d for d in entered if _filled(d.get("code")) or _filled(d.get("name"))]
    if not diagnoses:
        template = N_("Enter at least one diagnosis.")
        problems.append(Problem("referral.diagnosis_missing", template, field="diagnoses"))
    for diagnosis in diagnoses:
        if not _filled(diagnosis.get("code")):
            template = N_("“{text}” has no ICD-10 code: it is sent as free text.")
            params = {"text": diagnosis["name"]}
            code = "referral.diagnosis_uncoded"
            problems.append(Problem(code, template, params, Severity.FLAG, "diagnoses"))
    for field, code, template in _REQUIRED:
        if not _filled(fields.get(field)):
            problems.append(Problem(code, template, field=field))
    department = fields.get("to_department_code"), fields.get("to_department_name")
    if not any(_filled(value) for value in department):
        template = N_("Choose the department to refer to.")
        field = "to_department_code"
        problems.append(Problem("referral.department_missing", template, field=field))
    if fields.get("consent_given") is not True:
        template = N_("The patient or the family must give informed consent.")
        problems.append(Problem("referral.consent_missing", template, field="consent_given"))
    for field, codes, code, template in _CHOICES:
        if not any(fields.get(field) == c for c in codes):
            problems.append(Problem(code, template, field=field))
    if fields.get("urgency") == Urgency.EMERGENCY and not _filled(fields.get("transport")):
        template = N_("Assess transport for an emergency: oxygen, monitor, stretcher, escort.")
        problems.append(Problem("referral.transport_missing", template, field="transport"))
    return problems


# --- Helpers


def _filled(value: Any) -> bool:
    """Present and not blank; False and 0 are answers, so they count as filled."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return bool(value)
    return value is not None


def _refusal(code: str, template: str, params: Mapping[str, Any], field: str | None = None) -> DomainError:
    return DomainError(Problem(code, template, params, Severity.ERROR, field))


def _direction(direction: str) -> Direction:
    if not any(direction == d for d in Direction):
        template = N_("Unknown referral direction “{direction}”.")
        raise _refusal("referral.unknown_direction", template, {"direction": direction})
    return Direction(direction)


def _status(direction: Direction, status: str) -> Status:
    if not any(status == s for s in STATUSES[direction]):
        template = N_("“{status}” is not a status of this kind of referral ({direction}).")
        params = {"status": status, "direction": LazyText(DIRECTION_LABELS[direction])}
        raise _refusal("referral.unknown_status", template, params)
    return Status(status)


def _actor(actor: str) -> Actor:
    if not any(actor == a for a in Actor):
        template = N_("Unknown actor “{actor}”.")
        raise _refusal("referral.unknown_actor", template, {"actor": actor})
    return Actor(actor)
