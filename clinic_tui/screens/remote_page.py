"""One remote request: its state, the hospital's answers in order, the report.

F7 withdraws it (after a Y/N question) while the hospital has not accepted it; F8 marks the report
read (已阅); F9 acknowledges a critical value (危急值), as the signed-in doctor, now. Whether a move
is allowed is domain.remote's decision, made again in the data layer when it is written.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from clinic_tui.i18n import N_, _
from clinic_tui.screens.request_page import RequestPageScreen, critical_line
from clinic_tui.screens.request_page import when as _when


def state_text(detail) -> Text:
    """Number, what is asked, the state; the patient; a critical value not yet acknowledged."""
    from clinic_tui.domain.remote import URGENCY_LABELS, service_label, status_label

    r = detail.request
    text = Text()
    text.append(f"{r.request_no}  ", style="bold")
    text.append(f"{service_label(r.service)} · {_(URGENCY_LABELS.get(r.urgency, r.urgency))} · ")
    text.append(status_label(detail.status), style="bold")
    text.append(
        f"\n{r.patient_name}  "
        + _("asked {at} by {doctor}").format(at=_when(r.requested_at), doctor=r.requesting_doctor or "")
    )
    critical_line(text, detail.needs_critical_ack, r, _("CRITICAL VALUE: acknowledge it (F9)"))
    return text


def answers_text(detail) -> Text:
    """The hospital's moves, in the order they arrived."""
    from clinic_tui.domain.remote import status_label

    text = Text()
    text.append(_("The hospital's answers") + "\n", style="bold underline")
    if not detail.answers:
        text.append(_("The hospital has not answered yet.") + "\n", style="dim")
    for answer in detail.answers:
        line = f"{_when(answer.at)}  {status_label(answer.to_status)}"
        text.append(line + (f"  {answer.actor_name}" if answer.actor_name else "") + "\n")
        if answer.reason:
            text.append("    " + _("Reason: {reason}").format(reason=answer.reason) + "\n")
        if answer.scheduled_at:
            text.append(
                "    "
                + _("Scheduled: {at} {expert}").format(at=_when(answer.scheduled_at), expert=answer.expert or "")
                + "\n"
            )
    return text


def report_text(detail) -> Text:
    report = detail.report
    text = Text()
    if report is None:
        return text
    text.append("\n" + _("Report") + "\n", style="bold underline")
    if report.critical:
        text.append(_("Critical value: {note}").format(note=report.critical_note or "") + "\n", style="bold red")
    for label, value in (
        (_("Findings"), report.findings),
        (_("Conclusion"), report.conclusion),
        (_("Advice"), report.advice),
    ):
        text.append(f"{label}: ", style="dim")
        text.append(f"{value}\n")
    signed = _("Signed by {doctor} at {at}").format(doctor=report.reporting_doctor or "", at=_when(report.signed_at))
    if report.reviewing_doctor:
        signed += "  " + _("reviewed by {doctor}").format(doctor=report.reviewing_doctor)
    text.append(signed + "\n", style="dim")
    if report.fee:
        text.append(_("Fee: {fee} yuan").format(fee=report.fee) + "\n", style="dim")
    r = detail.request
    if r.report_read_at:
        text.append(_("Read by {name} at {at}").format(name=r.report_read_by or "", at=_when(r.report_read_at)) + "\n")
    return text


def request_text(detail) -> Text:
    """What the clinic asked and sent."""
    r = detail.request
    text = Text()
    text.append("\n" + _("The request") + "\n", style="bold underline")
    diagnoses = ", ".join(f"{d.get('code') or ''} {d.get('name') or ''}".strip() for d in r.preliminary_diagnoses)
    for label, value in (
        (_("Question"), r.question),
        (_("Chief complaint"), r.chief_complaint),
        (_("Present illness"), r.present_illness),
        (_("History"), r.history),
        (_("Findings"), r.findings),
        (_("Preliminary diagnoses"), diagnoses),
        (_("Department wished"), r.department_wished or ""),
        (_("Expert wished"), r.expert_wished or ""),
        (_("Time wished"), _when(r.time_wished)),
    ):
        if value:
            text.append(f"{label}: ", style="dim")
            text.append(f"{value}\n")
    return text


def attachments_text(detail) -> Text:
    """The files sent with the request and how far each has reached the hospital."""
    from clinic_tui.domain.attachments import JPEG, PDF, PNG, size_text

    text = Text()
    if not detail.attachments:
        return text
    kinds = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}
    text.append("\n" + _("Attachments") + "\n", style="bold underline")
    for n, a in enumerate(detail.attachments, 1):
        text.append(f"{n}. {a.name} · {kinds.get(a.media_type, a.media_type)} · {size_text(a.size)}  ")
        if a.complete:
            text.append(_("received by the hospital"), style="green")
        elif a.problem == "file_missing":
            text.append(_("the copy kept beside the database is missing: attach it again"), style="bold red")
        elif a.problem:
            text.append(_("refused by the hub ({code})").format(code=a.problem), style="bold red")
        else:
            state = _("to send: {sent}/{total} chunks at the hospital").format(sent=a.chunks_sent, total=a.chunks_total)
            text.append(state, style="yellow")
        text.append("\n")
    return text


class RemoteRequestScreen(RequestPageScreen):
    CSS_PATH = "remote_page.tcss"
    BINDINGS = [
        Binding("f7", "withdraw", N_("Withdraw"), id="remote.withdraw"),
        Binding("f8", "mark_read", N_("Report read"), id="remote.read"),
        Binding("f9", "acknowledge", N_("Acknowledge critical"), id="remote.ack"),
        Binding("escape", "back", N_("Back"), id="remote.back"),
    ]
    part = "remote"
    parts = ("answers", "report", "request", "attachments")
    offered_when = {"withdraw": "can_withdraw", "mark_read": "can_mark_read", "acknowledge": "needs_critical_ack"}

    @property
    def feature(self):
        return self.clinic_store.remote

    def show(self, detail) -> None:
        self.query_one("#remote-state", Static).update(state_text(detail))
        for where, text in (
            ("#remote-answers", answers_text(detail)),
            ("#remote-report", report_text(detail)),
            ("#remote-request", request_text(detail)),
            ("#remote-attachments", attachments_text(detail)),
        ):
            text.rstrip()  # a last newline would draw an empty line before the next part
            self.query_one(where, Static).update(text)
        self.query_one("#remote-attachments", Static).display = bool(detail.attachments)

    # --- actions

    def action_withdraw(self) -> None:
        if self.detail is None:
            return
        question = _("Withdraw remote request {number} for {patient}?").format(
            number=self.detail.request.request_no, patient=self.detail.request.patient_name
        )
        self.confirm_move(question, self.clinic_store.remote.withdraw, N_("Remote request withdrawn."))

    def action_mark_read(self) -> None:
        self.make_move(self.clinic_store.remote.mark_read, N_("Report marked read."))
