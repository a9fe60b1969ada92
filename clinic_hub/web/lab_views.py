"""What the lab desk's pages show (issue 18, tests at the lead hospital), shaped for the
templates: the queue rows, the order as the clinic sent it, the results table and the history,
in the reader's language and China time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic_hub.schemas.lab import LabDetail, LabSummary
from clinic_hub.web.i18n import N_
from clinic_hub.web.views import Section, T, china_time, code_label, joined, label, text, waited
from clinic_tui.domain import lab
from clinic_tui.domain.codes import SEX
from clinic_tui.domain.lab import FLAG_LABELS, PRIORITY_LABELS, SPECIMEN_LABELS, STATUS_LABELS

TAB_LABELS = {
    "awaiting": N_("Awaiting the specimen"),
    "received": N_("Received, to report"),
    "reported": N_("Reported"),
    "rejected": N_("Specimens rejected"),
    "exceptions": N_("Exceptions"),
}
ACTORS = {"clinic": N_("the clinic"), "hospital": N_("the hospital's lab")}


@dataclass
class QueueRow:
    no: str
    priority: str
    priority_label: str
    items: str
    specimen: str
    patient: str
    clinic: str
    ordered_at: str
    waited: str
    status_label: str
    barcode: str
    critical: bool
    partial: bool


def status_label(t: T, status: str) -> str:
    return label(t, STATUS_LABELS, status)


def item_names(items: list[dict[str, Any]]) -> str:
    return "、".join(str(i.get("name") or i.get("code") or "") for i in items)


def queue_rows(t: T, orders: list[LabSummary]) -> list[QueueRow]:
    return [
        QueueRow(
            no=o.order_no,
            priority=o.priority,
            priority_label=label(t, PRIORITY_LABELS, o.priority),
            items=item_names(o.items),
            specimen=label(t, SPECIMEN_LABELS, o.specimen),
            patient=joined(o.patient_name, code_label(t, SEX, o.patient_sex)),
            clinic=o.clinic_code,
            ordered_at=china_time(o.ordered_at),
            waited=waited(t, o.sent_at or o.ordered_at) if o.status in ("sent", "received") else "",
            status_label=status_label(t, o.status),
            barcode=o.barcode or "",
            critical=o.critical_pending,
            partial=o.partial,
        )
        for o in orders
    ]


def order_section(t: T, d: LabDetail) -> Section:
    data = d.data
    return Section(
        t("The order"),
        [
            (t("Patient"), joined(text(data.get("patient_name")), code_label(t, SEX, data.get("patient_sex")))),
            (t("Birth date"), text(data.get("patient_birth_date"))),
            (t("Clinical diagnosis"), text(data.get("clinical_diagnosis"))),
            (t("Specimen"), label(t, SPECIMEN_LABELS, d.specimen)),
            (t("Fasting"), t("Yes") if data.get("fasting") is True else t("No")),
            (t("Collected at"), _time_text(data.get("collected_at"))),
            (t("Collected by"), text(data.get("collected_by"))),
            (t("Barcode"), d.barcode or ""),
            (t("Ordering doctor"), text(data.get("ordering_doctor"))),
        ],
    )


def _time_text(value: Any) -> str:
    from datetime import datetime

    if not isinstance(value, str) or not value:
        return ""
    try:
        return china_time(datetime.fromisoformat(value))
    except ValueError:
        return value


@dataclass
class EntryRow:
    """One ordered test on the results form: its catalogue facts and what was typed."""

    code: str
    name: str
    unit: str
    reference_range: str
    value: str
    flag: str
    method: str


def entry_rows(d: LabDetail, form: dict[str, str]) -> list[EntryRow]:
    catalogue = lab.catalogue()
    rows = []
    for item in d.items:
        code = str(item.get("code") or "")
        known = catalogue.get(code)
        rows.append(
            EntryRow(
                code,
                known.name if known else str(item.get("name") or code),
                known.unit if known else "",
                known.reference_range if known else "",
                form.get(f"value_{code}", ""),
                form.get(f"flag_{code}", ""),
                form.get(f"method_{code}", ""),
            )
        )
    return rows


def flag_choices(t: T) -> list[tuple[str, str]]:
    return [("", t("From the range"))] + [(flag.value, t(FLAG_LABELS[flag])) for flag in lab.Flag]


def flag_text(t: T, flag: str) -> str:
    return label(t, FLAG_LABELS, flag)


def pending_names(d: LabDetail) -> str:
    """The ordered tests still without a result (a partial report)."""
    return item_names([i for i in d.items if str(i.get("code") or "") in set(d.pending)])


def correction_rows(t: T, d: LabDetail) -> list[dict[str, str]]:
    """Each correction: the test, the earlier value and flag, the corrected ones, who, when, why."""
    return [
        {
            "at": china_time(c.at),
            "test": f"{c.name} ({c.code})",
            "previous": f"{c.previous_value} {'' if c.previous_flag == 'N' else flag_text(t, c.previous_flag)}".strip(),
            "value": f"{c.value} {'' if c.flag == 'N' else flag_text(t, c.flag)}".strip(),
            "by": c.corrected_by or "",
            "reason": c.reason,
            "note": t("No longer a critical value")
            if c.previous_flag == lab.Flag.CRITICAL and c.flag != lab.Flag.CRITICAL
            else (t("Critical value: raised again at the clinic") if c.flag == lab.Flag.CRITICAL else ""),
        }
        for c in d.corrections
    ]


# A results-bearing event that moves nothing: what the history says instead of "received -> received".
_SAME_STATE = {"received": N_("Partial results"), "reported": N_("Report corrected")}


def history_rows(t: T, d: LabDetail) -> list[dict[str, str]]:
    return [
        {
            "at": china_time(m.at),
            "attempt": str(m.attempt),
            "from": status_label(t, m.from_status or ""),
            "to": t(_SAME_STATE[m.to_status])
            if m.from_status == m.to_status and m.to_status in _SAME_STATE
            else status_label(t, m.to_status),
            "actor": label(t, ACTORS, m.actor),
            "reason": m.reason or "",
        }
        for m in d.history
    ]
