"""Remote consultation and remote reads (远程会诊, 远程心电/影像/病理诊断): what a request is, who
may move it to which state, when the hospital is late, its readable number, and what a request
needs before it leaves the clinic (DOMAIN.md, "Remote consultation and remote reads").

    (new) -> requested -> accepted -> scheduled -> reported -> read
                 |  |  |      `-----------------------^
                 |  |  `-> returned  (the hospital: material incomplete, say; with a reason)
                 |  `----> withdrawn (the clinic, before the hospital accepted)
                 `-------> timed_out (the system: not accepted in time) -> accepted | returned

The clinic owns the request (it writes it, withdraws it, marks the report read and acknowledges
a critical value); the hospital owns acceptance, scheduling and the report, which reach the clinic
as ``remote_event`` records (docs/protocol.md). The clinic and the hub apply this one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from clinic_tui.domain.numbers import DailyNumber, make_number, number_after, parse_number
from clinic_tui.domain.problems import Problem
from clinic_tui.domain.workflow import Refusals, Workflow
from clinic_tui.domain.workflow import refusal as _refusal
from clinic_tui.i18n import N_, _


class Service(StrEnum):
    CONSULT_VIDEO = "consult_video"  # 视频会诊: at a scheduled time
    CONSULT_ASYNC = "consult_async"  # 非实时会诊: the expert answers from the material
    ECG = "ecg"  # 远程心电
    IMAGING_DR = "imaging_dr"
    IMAGING_CT = "imaging_ct"
    IMAGING_US = "imaging_us"  # ultrasound
    PATHOLOGY = "pathology"


class Urgency(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class Status(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    TIMED_OUT = "timed_out"
    SCHEDULED = "scheduled"
    REPORTED = "reported"
    READ = "read"  # on the wire: the request's ``report_read_at``, not an event


class Actor(StrEnum):
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    SYSTEM = "system"


SERVICE_LABELS: dict[str, str] = {
    Service.CONSULT_VIDEO: N_("Video consultation"),
    Service.CONSULT_ASYNC: N_("Written consultation"),
    Service.ECG: N_("ECG read"),
    Service.IMAGING_DR: N_("X-ray (DR) read"),
    Service.IMAGING_CT: N_("CT read"),
    Service.IMAGING_US: N_("Ultrasound read"),
    Service.PATHOLOGY: N_("Pathology read"),
}
URGENCY_LABELS: dict[str, str] = {Urgency.ROUTINE: N_("Routine"), Urgency.URGENT: N_("Urgent")}
STATUS_LABELS: dict[str, str] = {
    Status.REQUESTED: N_("Requested"),
    Status.ACCEPTED: N_("Accepted by the hospital"),
    Status.RETURNED: N_("Returned"),
    Status.WITHDRAWN: N_("Withdrawn"),
    Status.TIMED_OUT: N_("Overdue"),
    Status.SCHEDULED: N_("Scheduled"),
    Status.REPORTED: N_("Reported"),
    Status.READ: N_("Report read"),
}

_S = Status
_CLINIC, _HOSPITAL, _SYSTEM = frozenset({Actor.CLINIC}), frozenset({Actor.HOSPITAL}), frozenset({Actor.SYSTEM})

# (from, to) -> who may make that move; from None means creating the request.
TRANSITIONS: Mapping[tuple[Status | None, Status], frozenset[Actor]] = {
    (None, _S.REQUESTED): _CLINIC,
    (_S.REQUESTED, _S.ACCEPTED): _HOSPITAL,
    (_S.REQUESTED, _S.RETURNED): _HOSPITAL,
    (_S.REQUESTED, _S.WITHDRAWN): _CLINIC,
    (_S.REQUESTED, _S.TIMED_OUT): _SYSTEM,
    # Late is not refused: the hospital may still take it, or return it.
    (_S.TIMED_OUT, _S.ACCEPTED): _HOSPITAL,
    (_S.TIMED_OUT, _S.RETURNED): _HOSPITAL,
    (_S.TIMED_OUT, _S.WITHDRAWN): _CLINIC,
    (_S.ACCEPTED, _S.SCHEDULED): _HOSPITAL,
    (_S.ACCEPTED, _S.REPORTED): _HOSPITAL,
    (_S.SCHEDULED, _S.SCHEDULED): _HOSPITAL,  # moved to another time
    (_S.SCHEDULED, _S.REPORTED): _HOSPITAL,
    (_S.REPORTED, _S.READ): _CLINIC,
}
NEEDS_REASON = frozenset({Status.RETURNED})
# The states the hospital's side sets: what reaches the clinic as remote_event records.
HOSPITAL_STATUSES = tuple(
    s for s in Status if any(to == s and actors & (_HOSPITAL | _SYSTEM) for (_f, to), actors in TRANSITIONS.items())
)
# The states a clinic pushes in its request's ``status`` (read travels as report_read_at).
CLINIC_WIRE_STATUSES = (Status.REQUESTED, Status.WITHDRAWN)

# How long the hospital has to accept a request before it is overdue. No national rule: DOMAIN.md
# asks for limits configurable per kind and urgency; these are the defaults (an urgent ECG 30 min).
DEFAULT_ACCEPT_WITHIN: Mapping[tuple[Urgency, Service | None], timedelta] = {
    (Urgency.URGENT, Service.ECG): timedelta(minutes=30),
    (Urgency.URGENT, None): timedelta(hours=2),
    (Urgency.ROUTINE, None): timedelta(hours=24),
}
_URGENCY_RANK: dict[str, int] = {Urgency.URGENT: 0, Urgency.ROUTINE: 1}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[Status(status)])


def service_label(service: str) -> str:
    return _(SERVICE_LABELS[Service(service)])


_ACTOR_LABELS = {
    Actor.CLINIC: N_("the clinic doctor"),
    Actor.HOSPITAL: N_("the hospital"),
    Actor.SYSTEM: N_("the system"),
}
_REFUSALS = Refusals(
    illegal_move=N_("A remote request cannot go from “{current}” to “{target}”."),
    wrong_actor=N_("Only {allowed} may move a remote request from “{current}” to “{target}”."),
    reason_required=N_("Give a reason to mark the request “{target}”."),
    unknown_status=N_("“{status}” is not a state of a remote request."),
)
WORKFLOW = Workflow("remote", Status, Actor, TRANSITIONS, NEEDS_REASON, STATUS_LABELS, _ACTOR_LABELS, _REFUSALS)
# Refuse with a DomainError any move the table does not allow, saying why; what the actor may do.
transition = WORKFLOW.transition
allowed_targets = WORKFLOW.allowed_targets
is_terminal = WORKFLOW.is_terminal


def accept_within(
    service: str, urgency: str, limits: Mapping[tuple[Urgency, Service | None], timedelta] = DEFAULT_ACCEPT_WITHIN
) -> timedelta:
    """How long the hospital has to accept: the limit for this service and urgency, else the urgency's."""
    way, kind = Urgency(urgency), Service(service)
    return limits.get((way, kind)) or limits[(way, None)]


def is_overdue(status: str, service: str, urgency: str, requested_at: datetime, now: datetime) -> bool:
    """Whether the system should mark a request overdue: requested, not yet accepted, too long."""
    return status == Status.REQUESTED and now >= requested_at + accept_within(service, urgency)


def priority_key(urgency: str, requested_at: date | datetime) -> tuple[int, date | datetime]:
    """Sort key for a reading room's queue: urgent first, then the oldest."""
    return (_URGENCY_RANK.get(urgency, len(_URGENCY_RANK)), requested_at)


# --- The request number: like a referral's, with an R before the day's sequence.


def make_request_number(clinic_code: str, on: date, sequence: int) -> str:
    """E.g. ``C0123-20250314-R0007``: clinic C0123's 7th remote request on 14 March 2025."""
    return make_number("R", clinic_code, on, sequence)


def request_number_after(clinic_code: str, on: date, taken: Iterable[str]) -> str:
    """The clinic's next request number of ``on``, after the ones ``taken``."""
    return number_after("R", clinic_code, on, taken)


def parse_request_number(text: str) -> DailyNumber:
    found = parse_number("R", text)
    if found is None:
        template = N_("“{text}” is not a remote request number, which looks like C0123-20250314-R0007.")
        raise _refusal("remote.number_invalid", template, {"text": text}, field="request_no")
    return found


# --- Is a request complete enough to send?

MAX_QUESTION = 2000
MAX_SUMMARY_TEXT = 4000
MAX_EXPERT = 100
SUMMARY_FIELDS = ("chief_complaint", "present_illness", "history", "findings")


def submission_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """What stops a request from being sent; each problem names its field.

    Keys as on the wire (docs/protocol.md): ``service``, ``urgency``, ``question``, ``consent``,
    the summary texts, ``time_wished`` (a video consultation's wished time, optional: refused on
    any other service), ``expert_wished``.
    """
    problems: list[Problem] = []
    if not any(fields.get("service") == s for s in Service):
        problems.append(
            Problem("remote.service_unknown", N_("Choose what is asked: a consultation or a read."), field="service")
        )
    if not any(fields.get("urgency") == u for u in Urgency):
        problems.append(Problem("remote.urgency_unknown", N_("Choose the urgency."), field="urgency"))
    question = fields.get("question")
    if not _filled(question):
        template = N_("Write the question asked of the hospital.")
        problems.append(Problem("remote.question_missing", template, field="question"))
    elif len(str(question)) > MAX_QUESTION:
        template = N_("The question is longer than {limit} characters.")
        problems.append(Problem("remote.question_too_long", template, {"limit": MAX_QUESTION}, field="question"))
    for name in SUMMARY_FIELDS:
        if len(str(fields.get(name) or "")) > MAX_SUMMARY_TEXT:
            template = N_("This text is longer than {limit} characters.")
            problems.append(Problem("remote.text_too_long", template, {"limit": MAX_SUMMARY_TEXT}, field=name))
    if fields.get("time_wished") and fields.get("service") != Service.CONSULT_VIDEO:
        # Only a video consultation has an appointment; the reads and written answers have none.
        template = N_("A wished time is for a video consultation only.")
        problems.append(Problem("remote.time_not_video", template, field="time_wished"))
    if len(str(fields.get("expert_wished") or "")) > MAX_EXPERT:
        template = N_("The expert's name is longer than {limit} characters.")
        problems.append(Problem("remote.expert_too_long", template, {"limit": MAX_EXPERT}, field="expert_wished"))
    if fields.get("consent") is not True:
        template = N_("The patient must agree to the remote service.")
        problems.append(Problem("remote.consent_missing", template, field="consent"))
    return problems


# --- Helpers


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None
