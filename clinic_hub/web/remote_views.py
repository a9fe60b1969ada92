"""What the remote desk's pages show (issue 18), shaped for the templates: a reading room's queue
rows, the request as the clinic sent it (patient, question, clinical summary, diagnoses, consent),
the report and the history, in the reader's language and China time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic_hub.schemas.remote import RemoteDetail, RemoteSummary
from clinic_hub.web.common import PREFIX
from clinic_hub.web.i18n import N_
from clinic_hub.web.views import ACTOR_NAMES, Section, T, china_time, code_label, diagnoses, joined, label, text, waited
from clinic_tui.domain.attachments import size_text
from clinic_tui.domain.codes import ID_DOCUMENT_TYPE, SEX
from clinic_tui.domain.remote import SERVICE_LABELS, STATUS_LABELS, URGENCY_LABELS

# The desk's words for the states. "accepted" differs from the domain's label: its msgid, "Accepted
# by the hospital", is also the indicators' column whose Chinese (上转接收率) is a rate, not a state.
DESK_STATUS_LABELS = {**STATUS_LABELS, "accepted": N_("Accepted")}
ROOM_LABELS = {
    "consult": N_("Consultation centre"),
    "ecg": N_("ECG room"),
    "imaging": N_("Imaging room"),
    "pathology": N_("Pathology"),
}
# The queue's tabs: the states each one holds.
TABS: dict[str, tuple[str, ...]] = {
    "waiting": ("requested", "timed_out"),
    "accepted": ("accepted", "scheduled"),
    "reported": ("reported", "read"),
    "closed": ("returned", "withdrawn"),
    "all": (),
}
TAB_LABELS = {
    "waiting": N_("Awaiting acceptance"),
    "accepted": N_("Accepted, to report"),
    "reported": N_("Reported"),
    "closed": N_("Returned or withdrawn"),
    "all": N_("All"),
}
SOURCE_LABELS = {"visit": N_("Visit"), "followup": N_("Follow-up")}


@dataclass
class QueueRow:
    no: str
    urgency: str
    urgency_label: str
    service: str
    patient: str
    clinic: str
    requested_at: str
    waited: str
    status_label: str
    overdue: bool
    critical: bool
    arriving: str  # "attachment arriving: 3/8 chunks" while a file is still on its way, else ""


def status_label(t: T, status: str) -> str:
    return label(t, DESK_STATUS_LABELS, status)


def queue_rows(t: T, items: list[RemoteSummary]) -> list[QueueRow]:
    return [
        QueueRow(
            no=r.request_no,
            urgency=r.urgency,
            urgency_label=label(t, URGENCY_LABELS, r.urgency),
            service=label(t, SERVICE_LABELS, r.service),
            patient=joined(r.patient_name, code_label(t, SEX, r.patient_sex)),
            clinic=r.clinic_code,
            requested_at=china_time(r.requested_at),
            waited=waited(t, r.requested_at) if r.status in TABS["waiting"] else "",
            status_label=status_label(t, r.status),
            overdue=r.overdue,
            critical=r.critical,
            arriving=arriving_text(t, r),
        )
        for r in items
    ]


def arriving_text(t: T, r: RemoteSummary) -> str:
    """While a request's files are still arriving, how far they are; else empty."""
    if r.attachments_complete >= r.attachments_total:
        return ""
    return t("Attachment arriving: {received}/{total} chunks", received=r.chunks_received, total=r.chunks_total)


def attachment_rows(t: T, detail: RemoteDetail) -> list[dict[str, Any]]:
    """The request's files: name, type, size, whether it can be opened (else how far it is)."""
    from urllib.parse import quote

    return [
        {
            "name": a.name,
            "type": {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}.get(
                a.media_type, a.media_type
            ),
            "size": size_text(a.size),
            "complete": a.complete,
            "state": t("Arrived and verified")
            if a.complete
            else t("Arriving: {received}/{total} chunks", received=a.chunks_received, total=a.chunks_total),
            "href": f"{PREFIX}/remote/{quote(detail.request_no, safe='')}/attachments/{a.sha256}",
        }
        for a in detail.attachments
    ]


def _consent(t: T, value: Any) -> str:
    if value is True:
        return t("The patient agreed")
    return t("Not recorded")


def request_sections(t: T, data: dict[str, Any]) -> list[Section]:
    """Everything the clinic sent, as the clinic wrote it (odd values shown empty, never an error)."""
    patient = Section(
        t("Patient"),
        [
            (t("Name"), text(data.get("patient_name"))),
            (t("Sex"), code_label(t, SEX, data.get("patient_sex"))),
            (t("Birth date"), text(data.get("patient_birth_date"))),
            (t("ID document"), code_label(t, ID_DOCUMENT_TYPE, data.get("patient_id_type"))),
            (t("ID number"), text(data.get("patient_id_number"))),
            (t("Phone"), text(data.get("patient_phone"))),
        ],
    )
    asked = Section(
        t("What is asked"),
        [
            (t("Question"), text(data.get("question"))),
            (t("Requesting doctor"), text(data.get("requesting_doctor"))),
            (t("Department wished"), text(data.get("department_wished"))),
            (t("Expert wished"), text(data.get("expert_wished"))),
            (t("Time wished"), china_time_text(data.get("time_wished"))),
            (t("Made from"), label(t, SOURCE_LABELS, data.get("source_kind"))),
            (t("Consent"), _consent(t, data.get("consent"))),
        ],
    )
    summary = Section(
        t("Clinical summary"),
        [
            (t("Chief complaint"), text(data.get("chief_complaint"))),
            (t("Present illness"), text(data.get("present_illness"))),
            (t("Past history"), text(data.get("history"))),
            (t("Examination findings"), text(data.get("findings"))),
            (t("Preliminary diagnoses"), diagnoses(t, data.get("preliminary_diagnoses"))),
        ],
    )
    return [patient, asked, summary]


def china_time_text(value: Any) -> str:
    """A UTC ISO time the clinic sent, in China time; anything unreadable as it came."""
    from datetime import datetime

    if not isinstance(value, str) or not value:
        return ""
    try:
        return china_time(datetime.fromisoformat(value))
    except ValueError:
        return value


def history_rows(t: T, detail: RemoteDetail) -> list[dict[str, str]]:
    return [
        {
            "at": china_time(m.at),
            "from": status_label(t, m.from_status or ""),
            "to": status_label(t, m.to_status),
            "actor": label(t, ACTOR_NAMES, m.actor),
            "reason": m.reason or "",
        }
        for m in detail.history
    ]


def duration(t: T, median: float | None) -> str:
    """A median time in minutes as the indicators page says it: 2 d 3 h, 4 h 5 min, 6 min."""
    if median is None:
        return ""
    whole = int(round(median))
    days, hours, minutes = whole // 1440, whole % 1440 // 60, whole % 60
    if days:
        return t("{days} d {hours} h", days=days, hours=hours)
    if hours:
        return t("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return t("{minutes} min", minutes=minutes)


def turnaround_rows(t: T, figures: dict[str, tuple[int, float | None]]) -> list[tuple[str, int, str]]:
    """(room, reports in the month, median request -> report) for the indicators page."""
    return [(t(ROOM_LABELS[room]), count, duration(t, median)) for room, (count, median) in figures.items()]
