"""Examinations booked from the lead hospital's reserved pool (检查预约; DOMAIN.md, "Tests at the
lead hospital"): the small catalogue of examinations, the states of a booking and who may move it,
its readable number, and what a booking needs before it is written.

    (new) -> booked -> confirmed -> examined -> reported
               |  \\      |   ^
               |   `-> rescheduled (the hospital: another day; again as often as needed)
               |-> returned (the hospital, with a reason: pool full, contraindication...)
               `-> cancelled (the clinic, before the examination)

The clinic owns the booking (it writes it and may cancel it before the examination, and
acknowledges a critical report); the hospital owns confirmation, rescheduling, return, 'examined'
and the report (findings 所见, impression 诊断意见), which reach the clinic as ``exam_event``
records (docs/protocol.md). A booking takes one of the day's slots reserved for primary care.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from clinic_tui.domain.numbers import DailyNumber, make_number, number_after, parse_number
from clinic_tui.domain.problems import Problem
from clinic_tui.domain.workflow import Refusals, Workflow
from clinic_tui.domain.workflow import refusal as _refusal
from clinic_tui.i18n import N_, _


class Status(StrEnum):
    BOOKED = "booked"  # 已预约
    CONFIRMED = "confirmed"  # 已确认
    RESCHEDULED = "rescheduled"  # 已改期
    EXAMINED = "examined"  # 已检查
    REPORTED = "reported"  # 已报告
    RETURNED = "returned"  # 已退回
    CANCELLED = "cancelled"  # 已撤销


class Actor(StrEnum):
    CLINIC = "clinic"
    HOSPITAL = "hospital"


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


STATUS_LABELS: dict[str, str] = {
    Status.BOOKED: N_("Booked"),
    Status.CONFIRMED: N_("Booking confirmed"),  # not "Confirmed": a referral's is 已接收
    Status.RESCHEDULED: N_("Rescheduled"),
    Status.EXAMINED: N_("Examined"),
    Status.REPORTED: N_("Report issued"),
    Status.RETURNED: N_("Returned"),
    Status.CANCELLED: N_("Cancelled"),
}
PRIORITY_LABELS: dict[str, str] = {Priority.ROUTINE: N_("Routine"), Priority.URGENT: N_("Urgent")}

_S = Status
_CLINIC, _HOSPITAL = frozenset({Actor.CLINIC}), frozenset({Actor.HOSPITAL})
_BEFORE_EXAMINATION = (_S.BOOKED, _S.CONFIRMED, _S.RESCHEDULED)

# (from, to) -> who may make that move; from None means writing the booking.
TRANSITIONS: Mapping[tuple[Status | None, Status], frozenset[Actor]] = {
    (None, _S.BOOKED): _CLINIC,
    (_S.BOOKED, _S.CONFIRMED): _HOSPITAL,
    (_S.BOOKED, _S.RESCHEDULED): _HOSPITAL,
    (_S.CONFIRMED, _S.RESCHEDULED): _HOSPITAL,
    (_S.RESCHEDULED, _S.RESCHEDULED): _HOSPITAL,  # moved again
    (_S.RESCHEDULED, _S.CONFIRMED): _HOSPITAL,
    **{(s, _S.RETURNED): _HOSPITAL for s in _BEFORE_EXAMINATION},
    **{(s, _S.EXAMINED): _HOSPITAL for s in _BEFORE_EXAMINATION},
    **{(s, _S.CANCELLED): _CLINIC for s in _BEFORE_EXAMINATION},
    (_S.EXAMINED, _S.REPORTED): _HOSPITAL,
}
NEEDS_REASON = frozenset({Status.RETURNED})
HOSPITAL_STATUSES = (Status.CONFIRMED, Status.RESCHEDULED, Status.EXAMINED, Status.REPORTED, Status.RETURNED)
CLINIC_WIRE_STATUSES = (Status.BOOKED, Status.CANCELLED)
# The states in which the booking holds a slot of its day's pool (a return or a cancellation gives it back).
HOLDS_SLOT = frozenset({Status.BOOKED, Status.CONFIRMED, Status.RESCHEDULED, Status.EXAMINED, Status.REPORTED})


def status_label(status: str) -> str:
    return _(STATUS_LABELS[Status(status)]) if status in STATUS_LABELS else status


_ACTOR_LABELS = {Actor.CLINIC: N_("the clinic"), Actor.HOSPITAL: N_("the hospital")}
_REFUSALS = Refusals(
    illegal_move=N_("An examination booking cannot go from “{current}” to “{target}”."),
    wrong_actor=N_("Only {allowed} may move an examination booking from “{current}” to “{target}”."),
    reason_required=N_("Give a reason to mark the booking “{target}”."),
    unknown_status=N_("“{status}” is not a state of an examination booking."),
)
WORKFLOW = Workflow("exam", Status, Actor, TRANSITIONS, NEEDS_REASON, STATUS_LABELS, _ACTOR_LABELS, _REFUSALS)
# Refuse with a DomainError any move the table does not allow, saying why; what the actor may do.
transition = WORKFLOW.transition
allowed_targets = WORKFLOW.allowed_targets


# --- The catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamItem:
    """One examination the lead hospital books for primary care; ``preparation`` is what the
    patient must do before it (shown on the clinic's form and page, in the current language)."""

    code: str
    name: str
    name_en: str
    modality: str  # CT, MRI, US, ENDO, DR
    preparation: str  # an N_() message id; "" when none

    @property
    def preparation_text(self) -> str:
        return _(self.preparation) if self.preparation else ""

    @property
    def fasting(self) -> bool:
        return self.code in _FASTING


_FASTING = frozenset({"US_ABD", "GASTRO", "COLONO"})
CATALOGUE: dict[str, ExamItem] = {
    item.code: item
    for item in (
        ExamItem("CT_HEAD", "头颅CT平扫", "Head CT, plain", "CT", ""),
        ExamItem("CT_CHEST", "胸部CT平扫", "Chest CT, plain", "CT", N_("Remove metal objects from the chest.")),
        ExamItem("MRI_HEAD", "头颅MRI", "Head MRI", "MRI", N_("No pacemaker or metal implants; remove all metal.")),
        ExamItem(
            "MRI_LSPINE", "腰椎MRI", "Lumbar spine MRI", "MRI", N_("No pacemaker or metal implants; remove all metal.")
        ),
        ExamItem("US_ABD", "腹部超声", "Abdominal ultrasound", "US", N_("Fast for 8 hours before the examination.")),
        ExamItem("US_HEART", "心脏彩超", "Echocardiography", "US", ""),
        ExamItem("GASTRO", "胃镜", "Gastroscopy", "ENDO", N_("Fast for 8 hours; bring a companion.")),
        ExamItem("COLONO", "肠镜", "Colonoscopy", "ENDO", N_("Bowel preparation the day before; fast on the day.")),
        ExamItem("DR_CHEST", "胸部DR", "Chest X-ray (DR)", "DR", ""),
    )
}


def item_name(code: str) -> str:
    item = CATALOGUE.get(code)
    return item.name if item else code


# --- The booking number: like a lab order's, with an E before the day's sequence ------------------


def make_booking_number(clinic_code: str, on: date, sequence: int) -> str:
    """E.g. ``C0123-20250314-E0007``: clinic C0123's 7th examination booking on 14 March 2025."""
    return make_number("E", clinic_code, on, sequence)


def booking_number_after(clinic_code: str, on: date, taken: list[str]) -> str:
    return number_after("E", clinic_code, on, taken)


def parse_booking_number(text: str) -> DailyNumber:
    found = parse_number("E", text)
    if found is None:
        template = N_("“{text}” is not an examination booking number, which looks like C0123-20250314-E0007.")
        raise _refusal("exam.number_invalid", template, {"text": text}, field="booking_no")
    return found


# --- Is a booking complete? --------------------------------------------------------------------------

MAX_TEXT = 500


def booking_problems(fields: Mapping[str, Any], today: date | None = None) -> list[Problem]:
    """What stops a booking from being written. Keys as on the wire (docs/protocol.md):
    ``item_code``, ``day`` (a date), ``priority``, ``clinical_diagnosis``, ``question``. With
    ``today``, a day before it is refused (the clinic's form; the hub takes the day as pushed)."""
    problems: list[Problem] = []
    if fields.get("item_code") not in CATALOGUE:
        problems.append(Problem("exam.item_unknown", N_("Choose an examination from the list."), field="item_code"))
    day = fields.get("day")
    if not isinstance(day, date):
        problems.append(Problem("exam.day_missing", N_("Choose a day with free reserved slots."), field="day"))
    elif today is not None and day < today:
        problems.append(Problem("exam.day_past", N_("That day is over; choose another."), field="day"))
    if not any(fields.get("priority") == p for p in Priority):
        problems.append(Problem("exam.priority_unknown", N_("Choose the priority."), field="priority"))
    if not str(fields.get("clinical_diagnosis") or "").strip():
        template = N_("Give the clinical diagnosis.")
        problems.append(Problem("exam.diagnosis_missing", template, field="clinical_diagnosis"))
    for name in ("clinical_diagnosis", "question"):
        if len(str(fields.get(name) or "")) > MAX_TEXT:
            template = N_("This text is longer than {limit} characters.")
            problems.append(Problem("exam.text_too_long", template, {"limit": MAX_TEXT}, field=name))
    return problems


def report_problems(findings: str, impression: str) -> list[Problem]:
    """A report needs its findings (所见) and impression (诊断意见)."""
    problems = []
    if not findings.strip():
        problems.append(Problem("exam.findings_missing", N_("Write the findings."), field="findings"))
    if not impression.strip():
        problems.append(Problem("exam.impression_missing", N_("Write the impression."), field="impression"))
    return problems


def queue_key(priority: str, day: date, booked_at: datetime) -> tuple[date, int, datetime]:
    """The desk's order: by day, urgent first, then the oldest booking."""
    return (day, 0 if priority == Priority.URGENT else 1, booked_at)
