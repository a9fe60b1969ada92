"""One examination booking: its state, the slot (day and number; the hospital's new day after a
reschedule), the preparation, the hospital's answers, and the report once written (findings 所见,
impression 诊断意见, reporting doctor, signed time, the 互认 mark, a critical finding in red).

F7 cancels it (after a Y/N question) before the examination, also a booking the hub refused
because the day filled meanwhile (the refusal is shown in words); F9 acknowledges a critical
report, as the signed-in doctor, now, like a lab critical value. Whether a move is allowed is
domain.exam's decision, made again in the data layer when it is written.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from clinic_tui.domain import exam
from clinic_tui.i18n import N_, _
from clinic_tui.screens.request_page import RequestPageScreen, critical_line
from clinic_tui.screens.request_page import when as _when
from clinic_tui.sync.rejections import rejection_text


def state_text(detail) -> Text:
    """Number, examination, state; the patient, the slot and the preparation; what needs doing."""
    b = detail.booking
    text = Text()
    text.append(f"{b.booking_no}  ", style="bold")
    text.append(f"{_(exam.PRIORITY_LABELS.get(b.priority, b.priority))} · ")
    text.append(exam.status_label(detail.status), style="bold")
    text.append(f"\n{b.patient_name}  {b.item_name}  ")
    slot = _("slot {n}").format(n=detail.slot_number) if detail.slot_number else ""
    text.append(_("on {day} {slot}").format(day=detail.day.isoformat(), slot=slot).strip())
    item = exam.CATALOGUE.get(b.item_code)
    if item is not None and item.preparation:
        text.append("\n" + _("Preparation: {text}").format(text=item.preparation_text), style="bold yellow")
    text.append("\n" + _("Diagnosis: {text}").format(text=b.clinical_diagnosis), style="dim")
    if b.question:
        text.append("  " + _("Question: {text}").format(text=b.question), style="dim")
    if detail.refusal is not None:
        code, params, message = detail.refusal
        text.append("\n" + _("Refused by the hub: {reason}").format(reason=rejection_text(code, params, message)))
        text.append("  " + _("Cancel it (F7) and book another day."), style="bold red")
    if detail.returned_reason:
        text.append(
            "\n" + _("Returned by the hospital: {reason}").format(reason=detail.returned_reason), style="bold red"
        )
    critical_line(text, detail.needs_critical_ack, b, _("CRITICAL FINDING: acknowledge it (F9)"))
    return text


def report_text(detail) -> Text:
    report = detail.report
    if report is None:
        return Text(_("No report yet."), style="dim")
    text = Text()
    text.append(_("Findings") + "\n", style="bold underline")
    text.append(report.findings + "\n")
    text.append(_("Impression") + "\n", style="bold underline")
    text.append(report.impression + "\n", style="bold white on red" if report.critical else "bold")
    text.append(_("Reported {at} by {reporter}").format(at=_when(report.reported_at), reporter=report.reporter or ""))
    text.append("\n" + _("Performing institution: {name}").format(name=report.institution or ""))
    if report.recognised:
        text.append("  " + _("Recognised (互认): no need to repeat"), style="bold green")
    return text


def answers_text(detail) -> Text:
    text = Text()
    text.append(_("The hospital's answers") + "\n", style="bold underline")
    if not detail.answers:
        text.append(_("The hospital has not answered yet.") + "\n", style="dim")
    for answer in detail.answers:
        line = f"{_when(answer.at)}  {exam.status_label(answer.to_status)}"
        if answer.to_status == exam.Status.RESCHEDULED and answer.day:
            line += "  " + answer.day.isoformat()
        text.append(line + (f"  {answer.actor_name}" if answer.actor_name else "") + "\n")
        if answer.reason:
            text.append("    " + _("Reason: {reason}").format(reason=answer.reason) + "\n")
    text.rstrip()
    return text


class ExamBookingScreen(RequestPageScreen):
    CSS_PATH = "exam_page.tcss"
    BINDINGS = [
        Binding("f7", "cancel_booking", N_("Cancel booking"), id="exam.cancel"),
        Binding("f9", "acknowledge", N_("Acknowledge critical"), id="exam.ack"),
        Binding("escape", "back", N_("Back"), id="exam.back"),
    ]
    part = "exam"
    parts = ("report", "answers")
    offered_when = {"cancel_booking": "can_cancel", "acknowledge": "needs_critical_ack"}

    @property
    def feature(self):
        return self.clinic_store.exam

    def show(self, detail) -> None:
        self.query_one("#exam-state", Static).update(state_text(detail))
        self.query_one("#exam-report", Static).update(report_text(detail))
        self.query_one("#exam-answers", Static).update(answers_text(detail))

    def action_cancel_booking(self) -> None:
        if self.detail is None:
            return
        question = _("Cancel examination booking {number} for {patient}?").format(
            number=self.detail.booking.booking_no, patient=self.detail.booking.patient_name
        )
        done = N_("Booking cancelled: the slot goes back with the next sync.")
        self.confirm_move(question, self.clinic_store.exam.cancel, done)
