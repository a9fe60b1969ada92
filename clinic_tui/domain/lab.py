"""Tests at the lead hospital's lab (检验: 标本送检, 结果回传, 结果互认): what a lab order is, who may
move it to which state, its readable number, how a result is flagged, and what an order needs
before its specimen leaves the clinic (DOMAIN.md, "Tests at the lead hospital").

    (new) -> ordered -> collected -> sent -> received -> reported
                |          |  ^       |         |
                |          |  |       `---------+--> rejected (the lab: specimen unusable, with a reason)
                |          |  `------------------------'  (the clinic recollects: a new specimen)
                `----------+----------+--> cancelled (the clinic, before the lab received it)

The clinic owns the order (it writes it, records the collection, sends it, cancels it, recollects
after a rejection and acknowledges a critical value); the lab owns receipt, rejection and the
results, which reach the clinic as ``lab_event`` records (docs/protocol.md). One specimen (one
tube, one barcode) per order: its items all take that specimen. The clinic and the hub apply this
one table, and read the one catalogue shipped beside it (``lab_catalogue.csv``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from clinic_tui.domain.numbers import DailyNumber, make_number, number_after, parse_number
from clinic_tui.domain.problems import Problem
from clinic_tui.domain.workflow import Refusals, Workflow
from clinic_tui.domain.workflow import refusal as _refusal
from clinic_tui.i18n import N_, _


class Status(StrEnum):
    ORDERED = "ordered"  # 已开单
    COLLECTED = "collected"  # 已采样
    SENT = "sent"  # 已送检
    RECEIVED = "received"  # 已接收 (the lab)
    REPORTED = "reported"  # 已报告
    REJECTED = "rejected"  # 已拒收
    CANCELLED = "cancelled"  # 已撤销


class Actor(StrEnum):
    CLINIC = "clinic"
    HOSPITAL = "hospital"


class Priority(StrEnum):
    ROUTINE = "routine"
    URGENT = "urgent"


class Flag(StrEnum):
    NORMAL = "N"
    HIGH = "H"
    LOW = "L"
    CRITICAL = "critical"  # 危急值


class Specimen(StrEnum):
    WHOLE_BLOOD = "whole_blood_edta"  # 全血 (EDTA 抗凝)
    SERUM = "serum"  # 血清
    URINE = "urine"  # 尿液


STATUS_LABELS: dict[str, str] = {
    Status.ORDERED: N_("Ordered"),
    Status.COLLECTED: N_("Specimen collected"),
    Status.SENT: N_("Sent to the lab"),
    Status.RECEIVED: N_("Received by the lab"),
    Status.REPORTED: N_("Results reported"),
    Status.REJECTED: N_("Specimen rejected"),
    Status.CANCELLED: N_("Cancelled"),
}
FLAG_LABELS: dict[str, str] = {
    Flag.NORMAL: N_("Normal"),
    Flag.HIGH: N_("High (H)"),
    Flag.LOW: N_("Low (L)"),
    Flag.CRITICAL: N_("Critical value"),
}
SPECIMEN_LABELS: dict[str, str] = {
    Specimen.WHOLE_BLOOD: N_("Whole blood (EDTA)"),
    Specimen.SERUM: N_("Serum"),
    Specimen.URINE: N_("Urine"),
}
PRIORITY_LABELS: dict[str, str] = {Priority.ROUTINE: N_("Routine"), Priority.URGENT: N_("Urgent")}

_S = Status
_CLINIC, _HOSPITAL = frozenset({Actor.CLINIC}), frozenset({Actor.HOSPITAL})

# (from, to) -> who may make that move; from None means writing the order.
TRANSITIONS: Mapping[tuple[Status | None, Status], frozenset[Actor]] = {
    (None, _S.ORDERED): _CLINIC,
    (_S.ORDERED, _S.COLLECTED): _CLINIC,
    (_S.COLLECTED, _S.SENT): _CLINIC,
    (_S.ORDERED, _S.CANCELLED): _CLINIC,
    (_S.COLLECTED, _S.CANCELLED): _CLINIC,
    (_S.SENT, _S.CANCELLED): _CLINIC,  # before the lab received it
    (_S.SENT, _S.RECEIVED): _HOSPITAL,
    (_S.SENT, _S.REJECTED): _HOSPITAL,  # unusable on arrival (haemolysed, clotted, unlabelled)
    (_S.RECEIVED, _S.REJECTED): _HOSPITAL,  # found unusable on the bench
    (_S.RECEIVED, _S.REPORTED): _HOSPITAL,
    (_S.REJECTED, _S.COLLECTED): _CLINIC,  # recollect: a new specimen, a new barcode
    (_S.REJECTED, _S.CANCELLED): _CLINIC,
}
NEEDS_REASON = frozenset({Status.REJECTED})
# What the lab's side sets (lab_event records), and what a clinic pushes in its order's status.
HOSPITAL_STATUSES = (Status.RECEIVED, Status.REJECTED, Status.REPORTED)
CLINIC_WIRE_STATUSES = (Status.ORDERED, Status.COLLECTED, Status.SENT, Status.CANCELLED)
_PRIORITY_RANK: dict[str, int] = {Priority.URGENT: 0, Priority.ROUTINE: 1}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[Status(status)])


def flag_label(flag: str) -> str:
    return _(FLAG_LABELS[Flag(flag)])


def specimen_label(specimen: str) -> str:
    return _(SPECIMEN_LABELS[Specimen(specimen)])


_ACTOR_LABELS = {Actor.CLINIC: N_("the clinic"), Actor.HOSPITAL: N_("the hospital's lab")}
_REFUSALS = Refusals(
    illegal_move=N_("A lab order cannot go from “{current}” to “{target}”."),
    wrong_actor=N_("Only {allowed} may move a lab order from “{current}” to “{target}”."),
    reason_required=N_("Give a reason to mark the order “{target}”."),
    unknown_status=N_("“{status}” is not a state of a lab order."),
)
WORKFLOW = Workflow("lab", Status, Actor, TRANSITIONS, NEEDS_REASON, STATUS_LABELS, _ACTOR_LABELS, _REFUSALS)
# Refuse with a DomainError any move the table does not allow, saying why; what the actor may do.
transition = WORKFLOW.transition
allowed_targets = WORKFLOW.allowed_targets
is_terminal = WORKFLOW.is_terminal


def priority_key(priority: str, ordered_at: date | datetime) -> tuple[int, date | datetime]:
    """Sort key of the lab's queue: urgent first, then the oldest."""
    return (_PRIORITY_RANK.get(priority, len(_PRIORITY_RANK)), ordered_at)


# --- The catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    """One test of the county's lab catalogue; reference and critical limits in ``unit``."""

    code: str
    name: str
    name_en: str
    specimen: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None

    @property
    def reference_range(self) -> str:
        return reference_range_text(self.low, self.high)


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


@cache
def catalogue() -> dict[str, CatalogueItem]:
    """The county lab's catalogue shipped with the app (``lab_catalogue.csv``), by code."""
    text = resources.files("clinic_tui.domain").joinpath("lab_catalogue.csv").read_text(encoding="utf-8")
    items = {}
    for row in csv.DictReader(text.splitlines()):
        items[row["code"]] = CatalogueItem(
            row["code"],
            row["name"],
            row["name_en"],
            row["specimen"],
            row["unit"],
            *(_decimal(row[k]) for k in ("low", "high", "critical_low", "critical_high")),
        )
    return items


def reference_range_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"{low}-{high}"
    if low is not None:
        return f">={low}"
    if high is not None:
        return f"<={high}"
    return ""


# --- Flags --------------------------------------------------------------------------------------


def number(value: Any) -> Decimal | None:
    """The value as a number, or None when it is not one (阴性, 1+, a text result)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        found = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def flag_for(
    value: Any,
    low: Decimal | None,
    high: Decimal | None,
    critical_low: Decimal | None = None,
    critical_high: Decimal | None = None,
) -> Flag | None:
    """The flag of a numeric value against its ranges; None when the value is not a number (the
    lab enters the flag of a text result, such as 尿蛋白 2+, itself)."""
    found = number(value)
    if found is None:
        return None
    if (critical_low is not None and found <= critical_low) or (critical_high is not None and found >= critical_high):
        return Flag.CRITICAL
    if low is not None and found < low:
        return Flag.LOW
    if high is not None and found > high:
        return Flag.HIGH
    return Flag.NORMAL


def item_flag(code: str, value: Any, entered: str | None = None) -> Flag:
    """The flag a result carries: computed from the catalogue's ranges when the value is a number,
    else the one entered (normal when none). An entered "critical" always stands: the lab may
    call a value critical that the catalogue's limits do not."""
    if entered == Flag.CRITICAL:
        return Flag.CRITICAL
    item = catalogue().get(code)
    computed = flag_for(value, item.low, item.high, item.critical_low, item.critical_high) if item is not None else None
    if computed is not None:
        return computed
    if entered is not None and any(entered == f for f in Flag):
        return Flag(entered)
    return Flag.NORMAL


def has_critical(results: Iterable[Mapping[str, Any]]) -> bool:
    return any(r.get("flag") == Flag.CRITICAL for r in results)


# --- The order number: like a remote request's, with an L before the day's sequence ---------------


def make_order_number(clinic_code: str, on: date, sequence: int) -> str:
    """E.g. ``C0123-20250314-L0007``: clinic C0123's 7th lab order on 14 March 2025."""
    return make_number("L", clinic_code, on, sequence)


def order_number_after(clinic_code: str, on: date, taken: Iterable[str]) -> str:
    """The clinic's next order number of ``on``, after the ones ``taken``."""
    return number_after("L", clinic_code, on, taken)


def parse_order_number(text: str) -> DailyNumber:
    found = parse_number("L", text)
    if found is None:
        template = N_("“{text}” is not a lab order number, which looks like C0123-20250314-L0007.")
        raise _refusal("lab.number_invalid", template, {"text": text}, field="order_no")
    return found


# --- Is an order complete? -----------------------------------------------------------------------

MAX_ITEMS = 30
MAX_TEXT = 500
_BARCODE = re.compile(r"[A-Za-z0-9-]{4,40}")


def order_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """What stops an order from being written: items from the catalogue, all of one specimen.

    Keys as on the wire (docs/protocol.md): ``items`` ([{"code", "name"}]), ``specimen``,
    ``priority``, ``fasting``, ``clinical_diagnosis``.
    """
    problems: list[Problem] = []
    items = fields.get("items")
    if not isinstance(items, list) or not items:
        problems.append(Problem("lab.items_missing", N_("Choose at least one test."), field="items"))
    elif len(items) > MAX_ITEMS:
        template = N_("An order holds at most {limit} tests.")
        problems.append(Problem("lab.too_many_items", template, {"limit": MAX_ITEMS}, field="items"))
    else:
        known = catalogue()
        codes = [i.get("code") if isinstance(i, Mapping) else None for i in items]
        unknown = [str(c) for c in codes if c not in known]
        if unknown:
            template = N_("Not in the county lab's catalogue: {codes}.")
            problems.append(Problem("lab.item_unknown", template, {"codes": ", ".join(unknown)}, field="items"))
        elif len(set(codes)) != len(codes):
            problems.append(Problem("lab.item_repeated", N_("A test is chosen twice."), field="items"))
        elif any(fields.get("specimen") == s for s in Specimen) and any(
            known[str(c)].specimen != fields.get("specimen") for c in codes
        ):
            template = N_("Every test of an order takes its one specimen; order the others separately.")
            problems.append(Problem("lab.specimen_mismatch", template, field="items"))
    if not any(fields.get("specimen") == s for s in Specimen):
        problems.append(Problem("lab.specimen_unknown", N_("Choose the specimen."), field="specimen"))
    if not any(fields.get("priority") == p for p in Priority):
        problems.append(Problem("lab.priority_unknown", N_("Choose the priority."), field="priority"))
    if not isinstance(fields.get("fasting", False), bool):
        problems.append(Problem("lab.fasting_invalid", N_("Say whether the patient fasted."), field="fasting"))
    if len(str(fields.get("clinical_diagnosis") or "")) > MAX_TEXT:
        template = N_("This text is longer than {limit} characters.")
        problems.append(Problem("lab.text_too_long", template, {"limit": MAX_TEXT}, field="clinical_diagnosis"))
    return problems


def sending_problems(fields: Mapping[str, Any]) -> list[Problem]:
    """What stops the specimen from leaving: the order's own problems, and when and by whom it was
    collected, and its barcode (what the lab matches the tube by)."""
    problems = order_problems(fields)
    if not fields.get("collected_at"):
        template = N_("Record when the specimen was collected.")
        problems.append(Problem("lab.collected_at_missing", template, field="collected_at"))
    if not _filled(fields.get("collected_by")):
        template = N_("Record who collected the specimen.")
        problems.append(Problem("lab.collected_by_missing", template, field="collected_by"))
    barcode = fields.get("barcode")
    if not _filled(barcode):
        problems.append(Problem("lab.barcode_missing", N_("Scan or type the tube's barcode."), field="barcode"))
    elif not _BARCODE.fullmatch(str(barcode).strip()):
        template = N_("A barcode is 4 to 40 letters, digits or dashes.")
        problems.append(Problem("lab.barcode_invalid", template, field="barcode"))
    return problems


# --- Helpers


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None
