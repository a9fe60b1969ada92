"""One lab order: its state, the results table (units, reference ranges, H/L/危急 flags; a
corrected value marked), a partial report's tests still to come and each correction with the
earlier value (更正报告), the performing institution and the 互认 mark, the lab's moves, the order.

F7 cancels it (after a Y/N question) before the lab received the specimen; F8 collects a rejected
specimen again (a new tube: its barcode is asked; collected now by the signed-in doctor) and sends
it; F9 acknowledges a critical value (危急值), as the signed-in doctor, now. Whether a move is
allowed is domain.lab's decision, made again in the data layer when it is written.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.request_page import RequestPageScreen, critical_line
from clinic_tui.screens.request_page import when as _when


def state_text(detail) -> Text:
    """Number, tests, the state; the patient and the specimen; a critical value not acknowledged."""
    from clinic_tui.domain.lab import PRIORITY_LABELS, specimen_label, status_label

    o = detail.order
    text = Text()
    text.append(f"{o.order_no}  ", style="bold")
    text.append(f"{_(PRIORITY_LABELS.get(o.priority, o.priority))} · ")
    text.append(status_label(detail.status), style="bold")
    text.append(f"\n{o.patient_name}  " + "、".join(str(i.get("name") or i.get("code")) for i in o.items))
    text.append(
        "\n"
        + _("{specimen}, collected {at} by {who}, barcode {barcode}").format(
            specimen=specimen_label(o.specimen),
            at=_when(o.collected_at),
            who=o.collected_by or "",
            barcode=o.barcode or "",
        ),
        style="dim",
    )
    if detail.rejection:
        text.append("\n" + _("Rejected by the lab: {reason}").format(reason=detail.rejection), style="bold red")
    critical_line(text, detail.needs_critical_ack, o, _("CRITICAL VALUE: acknowledge it (F9)"))
    return text


def results_table(detail) -> Table | Text:
    """The results: test, value, unit, reference range, flag (a critical one in red)."""
    report = detail.report
    if report is None:
        return Text(_("No results yet."), style="dim")
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for heading in (_("Test"), _("Result"), _("Unit"), _("Range"), _("Flag")):
        table.add_column(heading)
    for r in report.results:
        style = "bold white on red" if r.flag == "critical" else ("bold" if r.flag in ("H", "L") else "")
        flag = _("Critical") if r.flag == "critical" else ("" if r.flag == "N" else r.flag)
        value = Text(r.value, style=style)
        if r.corrected:
            value.append(" " + _("(corrected)"), style="bold yellow")
        table.add_row(r.name, value, r.unit, r.reference_range, Text(flag, style=style))
    return table


def corrections_text(detail) -> Text:
    """A partial report's tests still to come, and each correction: the earlier value struck
    through, the corrected one, who, when, why; a critical value raised again or cleared."""
    report = detail.report
    text = Text()
    if report is None:
        return text
    if report.partial:
        text.append(
            _("Partial report: still to come: {tests}").format(tests="、".join(report.pending)) + "\n",
            style="bold yellow",
        )
    for c in report.corrections:
        text.append(_("Corrected") + f" {_when(c.corrected_at)} {c.corrected_by or ''}: ", style="bold")
        text.append(f"{c.name} ")
        text.append(f"{c.previous_value}", style="strike")
        text.append(f" -> {c.value} {c.unit}".rstrip(), style="bold")
        if c.made_critical:
            text.append("  " + _("now a critical value"), style="bold white on red")
        elif c.cleared_critical:
            text.append("  " + _("no longer a critical value"), style="bold green")
        text.append("\n    " + _("Reason: {reason}").format(reason=c.reason) + "\n")
    return text


def report_text(detail) -> Text:
    report = detail.report
    text = Text()
    if report is None:
        return text
    text.append(
        _("Reported {at} by {reporter}, reviewed by {reviewer}").format(
            at=_when(report.reported_at), reporter=report.reporter or "", reviewer=report.reviewer or ""
        )
        + "\n",
        style="dim",
    )
    text.append(_("Performing institution: {name}").format(name=report.institution or ""))
    if report.recognised:
        text.append("  " + _("Recognised (互认): no need to repeat"), style="bold green")
    return text


def answers_text(detail) -> Text:
    from clinic_tui.domain.lab import status_label

    text = Text()
    text.append(_("The lab's answers") + "\n", style="bold underline")
    if not detail.answers:
        text.append(_("The lab has not answered yet.") + "\n", style="dim")
    for answer in detail.answers:
        what = {"partial": _("Partial results"), "correction": _("Report corrected")}.get(answer.what)
        line = f"{_when(answer.at)}  {what or status_label(answer.to_status)}"
        text.append(line + (f"  {answer.actor_name}" if answer.actor_name else "") + "\n")
        if answer.reason:
            text.append("    " + _("Reason: {reason}").format(reason=answer.reason) + "\n")
    return text


class LabOrderScreen(RequestPageScreen):
    CSS_PATH = "lab_page.tcss"
    BINDINGS = [
        Binding("f7", "cancel_order", N_("Cancel order"), id="lab.cancel"),
        Binding("f8", "recollect", N_("Recollect"), id="lab.recollect"),
        Binding("f9", "acknowledge", N_("Acknowledge critical"), id="lab.ack"),
        Binding("escape", "back", N_("Back"), id="lab.back"),
    ]
    part = "lab"
    parts = ("results", "corrections", "report", "answers")
    offered_when = {"cancel_order": "can_cancel", "recollect": "can_recollect", "acknowledge": "needs_critical_ack"}

    @property
    def feature(self):
        return self.clinic_store.lab

    def show(self, detail) -> None:
        self.query_one("#lab-state", Static).update(state_text(detail))
        self.query_one("#lab-results", Static).update(results_table(detail))
        corrections = corrections_text(detail)
        corrections.rstrip()
        self.query_one("#lab-corrections", Static).update(corrections)
        self.query_one("#lab-corrections").display = bool(corrections.plain)
        self.query_one("#lab-report", Static).update(report_text(detail))
        answers = answers_text(detail)
        answers.rstrip()
        self.query_one("#lab-answers", Static).update(answers)

    def action_cancel_order(self) -> None:
        if self.detail is None:
            return
        question = _("Cancel lab order {number} for {patient}?").format(
            number=self.detail.order.order_no, patient=self.detail.order.patient_name
        )
        self.confirm_move(question, self.clinic_store.lab.cancel, N_("Lab order cancelled."))

    def action_recollect(self) -> None:
        if self.detail is None:
            return
        from clinic_tui.screens.referral_page import ReasonScreen

        question = _("A new specimen for {number}, collected now by you: scan or type the new tube's barcode.").format(
            number=self.detail.order.order_no
        )
        self.app.push_screen(ReasonScreen(question, self._try_recollect), callback=self._recollected)

    def _try_recollect(self, barcode: str) -> str | None:
        """Collected again and sent in one go; the refusal's message, or None when done."""
        from clinic_tui import clock
        from clinic_tui.domain.problems import DomainError

        values = {"collected_at": clock.now(), "collected_by": self.clinic_app.user_name, "barcode": barcode}
        user_id = self.clinic_app.user_id
        try:
            self.clinic_store.lab.recollect(self.record_id, values=values, user_id=user_id)
            self.clinic_store.lab.send(self.record_id, user_id=user_id)
        except DomainError as refused:
            return refused.message
        return None

    def _recollected(self, barcode: str | None) -> None:
        if barcode is not None:
            self.notify(_("New specimen sent: it goes to the lab with the next sync."))
            self.app.post_message(DataChanged())
        self.load()
