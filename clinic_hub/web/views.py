"""What the desk's pages show, shaped for the templates: the referral slip (转诊单) as the clinic
sent it, the resident's recent follow-ups, times in China time, waiting times.

The slip follows the printed slip of the clinic app (clinic_tui/slip.py: same sections, same
labels, same order) but reads the referral as the hub stores it: the JSON the clinic pushed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clinic_hub.db import as_utc, utcnow
from clinic_hub.directory import CHINA_TZ
from clinic_hub.web.i18n import N_
from clinic_tui.domain.codes import ID_DOCUMENT_TYPE, INSURANCE_TYPE, SEX
from clinic_tui.domain.lab import FLAG_LABELS
from clinic_tui.domain.record_text import CONSENT_BY_LABELS, HISTORY_KIND_LABELS, TRANSPORT_LABELS, verdict_label
from clinic_tui.domain.referral import (
    DIRECTION_LABELS,
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
)
from clinic_tui.domain.slip_results import RECOGNISED_LABELS, SlipResult

ACTOR_NAMES = {
    "clinic": N_("the clinic doctor"),
    "reviewer": N_("the township reviewer"),
    "hospital": N_("the hospital referral desk"),
    "system": N_("the system"),
}

T = Callable[..., str]


@dataclass
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)


def text(value: Any) -> str:
    """A value from the clinic's JSON as text: anything odd becomes an empty string, not an error."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return ""
    return str(value)


def label(t: T, labels: dict, code: Any) -> str:
    if not code or not isinstance(code, str):
        return ""
    return t(labels[code]) if code in labels else code


def code_label(t: T, code_set, code: Any) -> str:
    if not code or not isinstance(code, str):
        return ""
    return label(t, dict(code_set.entries), code)


def joined(*parts: Any) -> str:
    return " ".join(str(p) for p in parts if p not in (None, ""))


def china_time(value: datetime | None) -> str:
    return as_utc(value).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def waited(t: T, since: datetime | None, now: datetime | None = None) -> str:
    """How long a referral has waited, e.g. 2天3小时 / 45分钟."""
    if since is None:
        return ""
    delta = max((now or utcnow()) - as_utc(since), timedelta(0))
    days, seconds = delta.days, delta.seconds
    if days:
        return t("{days} d {hours} h", days=days, hours=seconds // 3600)
    if seconds >= 3600:
        return t("{hours} h {minutes} min", hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return t("{minutes} min", minutes=seconds // 60)


def _items(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _flag(value: Any) -> bool | None:
    """An examination's verdict as the clinic sent it; anything but true or false is not judged."""
    return value if isinstance(value, bool) else None


def diagnoses(t: T, items: Any) -> str:
    return t("; ").join(joined(text(d.get("code")), text(d.get("name"))) for d in _items(items))


def _results_section(t: T, entries: Any) -> list[Section]:
    """The lead hospital's results the clinic chose for the slip (clinic_tui/domain/slip_results.py),
    each with its institution, report date and 互认 mark; no section when none were sent (a slip
    from an older clinic app has no such field)."""
    results = [SlipResult.from_wire(e) for e in _items(entries)]
    if not results:
        return []

    def flag(code: str | None) -> str:
        return t(FLAG_LABELS[code]) if code in FLAG_LABELS else text(code)

    return [
        Section(
            t("Results from the lead hospital"),
            headers=[
                t("Item"),
                t("Result"),
                t("Unit"),
                t("Reference range"),
                t("Flag"),
                t("Performed at"),
                t("Report date"),
                t("Mutual recognition"),
            ],
            rows=[
                [
                    r.item,
                    r.value,
                    r.unit,
                    r.reference_range,
                    flag(r.flag),
                    r.institution or "",
                    r.reported_at.astimezone(CHINA_TZ).date().isoformat() if r.reported_at else "",
                    t(RECOGNISED_LABELS[r.recognised]),
                ]
                for r in results
            ],
        )
    ]


def slip_sections(t: T, data: dict[str, Any], direction: str, status: str, urgency: str) -> list[Section]:
    """Everything the clinic sent, in the printed slip's order."""
    d = data
    g = lambda name: text(d.get(name))  # noqa: E731
    yes, no = t("Yes"), t("No")
    kinds = (
        [k for k in d.get("past_history_kinds") or [] if isinstance(k, str)]
        if isinstance(d.get("past_history_kinds"), list)
        else []
    )
    sections = [
        Section(
            t("Referral"),
            [
                (t("Direction"), label(t, DIRECTION_LABELS, direction)),
                (t("Purpose"), label(t, PURPOSE_LABELS, d.get("purpose"))),
                (t("Urgency"), label(t, URGENCY_LABELS, urgency)),
                (t("Referral date"), g("referral_date")),
                (t("Status"), label(t, STATUS_LABELS, status)),
            ],
        ),
        Section(
            t("Patient"),
            [
                (t("Name"), g("patient_name")),
                (t("Sex"), code_label(t, SEX, d.get("patient_sex"))),
                (t("Birth date"), g("patient_birth_date")),
                (
                    t("ID document"),
                    joined(code_label(t, ID_DOCUMENT_TYPE, d.get("patient_id_type")), g("patient_id_number")),
                ),
                (t("Phone"), g("patient_phone")),
                (t("Address"), g("patient_address")),
                (
                    t("Insurance"),
                    joined(code_label(t, INSURANCE_TYPE, d.get("patient_insurance_type")), g("patient_insurance_no")),
                ),
            ],
        ),
        Section(
            t("Referred from"),
            [
                (t("Institution"), joined(g("from_org_name"), f"({g('from_org_code')})" if g("from_org_code") else "")),
                (t("Department"), g("from_department")),
                (t("Doctor"), g("from_doctor_name")),
                (t("Doctor's phone"), g("from_doctor_phone")),
            ],
        ),
        Section(
            t("Receiving institution"),
            [
                (t("Institution"), joined(g("to_org_name"), f"({g('to_org_code')})" if g("to_org_code") else "")),
                (t("Department"), g("to_department_name") or g("to_department_code")),
                (t("Doctor wished"), g("to_doctor_wished")),
                (t("Date wished"), g("wished_date")),
            ],
        ),
        Section(
            t("Condition"),
            [
                (t("Preliminary diagnoses"), diagnoses(t, d.get("diagnoses"))),
                (t("Reason for referral"), g("reason")),
                (t("Chief complaint"), g("chief_complaint")),
                (t("Present illness"), g("present_illness")),
                (
                    t("Past history"),
                    joined(
                        g("past_history"),
                        t("(kinds: {kinds})", kinds=t(", ").join(label(t, HISTORY_KIND_LABELS, k) for k in kinds))
                        if kinds
                        else "",
                    ),
                ),
                (t("Treatment so far"), g("treatment_so_far")),
                (t("Allergies"), g("allergies")),
                (t("Precautions"), g("precautions")),
            ],
        ),
        Section(
            t("Examinations and results"),
            headers=[t("Item"), t("Result"), t("Normal or abnormal")],
            rows=[
                [text(e.get("item")), text(e.get("result")), t(verdict_label(_flag(e.get("abnormal"))))]
                for e in _items(d.get("examinations"))
            ],
        ),
        *_results_section(t, d.get("results")),
        Section(
            t("Current medication"),
            headers=[t("Drug"), t("Dose"), t("Frequency"), t("Route"), t("Days")],
            rows=[
                [
                    text(m.get("drug")),
                    joined(text(m.get("dose")), text(m.get("unit"))),
                    text(m.get("frequency")),
                    text(m.get("route")),
                    text(m.get("days")),
                ]
                for m in _items(d.get("medications"))
            ],
        ),
        Section(
            t("Informed consent"),
            [
                (t("Consent given"), yes if d.get("consent_given") is True else no),
                (t("Signed by"), joined(label(t, CONSENT_BY_LABELS, d.get("consent_by")), g("consent_signer"))),
            ],
        ),
    ]
    assessed = d.get("transport")
    transport = assessed if isinstance(assessed, dict) else {}
    if urgency == "emergency" or transport:
        sections.append(
            Section(
                t("Transport assessment"),
                [(t(name), yes if transport.get(key) else no) for key, name in TRANSPORT_LABELS.items()],
            )
        )
    if direction == "down":
        sections.append(
            Section(
                t("Discharge and care at home"),
                [
                    (t("Discharge diagnoses"), diagnoses(t, d.get("discharge_diagnoses"))),
                    (t("Outcome"), label(t, OUTCOME_LABELS, d.get("outcome"))),
                    (t("Treatment plan"), g("treatment_plan")),
                    (t("Rehabilitation guidance"), g("rehab_guidance")),
                    (t("Medication to continue"), g("medication_to_continue")),
                    (
                        t("Follow-up schedule"),
                        t("; ").join(
                            t("after {days} days: {what}", days=text(f.get("after_days")), what=text(f.get("what")))
                            for f in _items(d.get("followup_schedule"))
                        ),
                    ),
                ],
            )
        )
    if g("cancel_reason"):
        sections.append(Section(t("Cancellation"), [(t("Cancellation reason"), g("cancel_reason"))]))
    return sections
