"""One referral: its status and sync state on top, the hospital's answer, the history, the slip.

F7 cancels (asking for the reason) while the hospital has not answered; otherwise the referral
rules say why not. F6 edits a draft, F8 saves the printable slip and opens it. The business status
and the sync state are shown apart: one is the state machine's, the other the outbox's.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.base import ClinicScreen, translate_bindings
from clinic_tui.sync.rejections import rejection_text
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker


class ReasonScreen(ModalScreen[str | None]):
    """Asks for a reason; ``attempt`` tries it and returns a message when it is refused.

    A refusal is shown under the box and the typed text stays, so nothing typed is lost.
    """

    CSS_PATH = "referral_page.tcss"
    BINDINGS = [Binding("escape", "leave", N_("Back"), id="reason.back")]

    def __init__(self, question: str, attempt: Callable[[str], str | None]):
        super().__init__()
        self.question = question
        self.attempt = attempt
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-box"):
            yield Static(self.question, id="reason-question")
            yield Input(id="reason-input")
            yield Static(_("Enter = confirm    Esc = back, nothing changes"), id="reason-keys")
            yield Static("", id="reason-error")

    @on(Input.Submitted, "#reason-input")
    def _submit(self, event: Input.Submitted) -> None:
        refusal = self.attempt(event.value)
        if refusal is None:
            self.dismiss(event.value)
        else:
            self.query_one("#reason-error", Static).update(refusal)

    def action_leave(self) -> None:
        self.dismiss(None)


def _when(value) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def state_text(detail) -> Text:
    """The top lines: number and status (with the green-channel mark), patient, where it goes."""
    from clinic_tui.domain.referral import DIRECTION_LABELS, Status, status_label
    from clinic_tui.slip import is_green_channel
    from clinic_tui.widgets.referral_marks import green_channel_mark

    r = detail.referral
    text = Text()
    text.append(f"{r.referral_no}  ", style="bold")
    text.append(_(DIRECTION_LABELS[r.direction]))
    text.append(" · ")
    text.append(status_label(r.status), style="bold")
    if is_green_channel(r.urgency):
        text.append("  ")
        text.append_text(green_channel_mark())
    counterpart = " ".join(
        p
        for p in (
            (r.to_org_name, r.to_department_name) if r.direction == "up" else (r.from_org_name, r.from_department)
        )
        if p
    )
    text.append(f"\n{r.patient_name}  {r.referral_date.isoformat()}  → {counterpart}")
    text.append("\n" + _sync_line(detail.sync), style="bold red" if detail.sync.state == "rejected" else "")
    text.append("\n" + answer_line(detail))
    if r.status == Status.CANCELLED and r.cancel_reason:
        text.append("\n" + _("Cancelled: {reason}").format(reason=r.cancel_reason))
    return text


def _sync_line(sync) -> str:
    if sync.state == "rejected":
        reason = rejection_text(sync.reject_code, sync.reject_params, sync.reject_message)
        return _("Sync: refused by the hub: {reason}").format(reason=reason)
    if sync.state == "queued":
        return _("Sync: waiting to be sent ({count} records in the outbox)").format(count=sync.waiting)
    return _("Sync: at the hub")


def answer_line(detail) -> str:
    """What the hospital answered: the appointment, the refusal and why, or nothing yet."""
    from clinic_tui.domain.referral import Status

    answer, r = detail.answer, detail.referral
    if r.direction == "down":
        return _("From the hospital: {org} {doctor}").format(org=r.from_org_name or "", doctor=r.from_doctor_name or "")
    if answer is None:
        return _("The hospital has not answered yet.")
    if answer.to_status == Status.REJECTED:
        return _("Hospital rejected it: {reason}").format(reason=answer.reason or "")
    if answer.admission_at:  # an inpatient referral: a reserved bed from that day
        return _("Hospital accepted: admission {department} {doctor} {at}").format(
            department=answer.appointment_department or "",
            doctor=answer.appointment_doctor or "",
            at=_when(answer.admission_at),
        )
    return _("Hospital accepted: appointment {department} {doctor} {at}").format(
        department=answer.appointment_department or "",
        doctor=answer.appointment_doctor or "",
        at=_when(answer.appointment_at),
    )


def history_text(detail) -> Text:
    """The status history, oldest first: when, from and to, who, why, the appointment."""
    from clinic_tui.domain.referral import ACTOR_LABELS, Actor, status_label

    text = Text()
    text.append(_("Status history") + "\n", style="bold underline")
    for entry in detail.history:
        start = status_label(entry.from_status) if entry.from_status else _("New")
        who = _(ACTOR_LABELS[Actor(entry.actor)]) if entry.actor in set(Actor) else entry.actor
        line = f"{_when(entry.at)}  {start} → {status_label(entry.to_status)}  {who}"
        text.append(line + (f" {entry.actor_name}" if entry.actor_name else ""))
        if entry.origin == "hub":
            text.append("  " + _("(hospital)"), style="dim")
        if entry.reason:
            text.append("\n    " + _("Reason: {reason}").format(reason=entry.reason))
        if entry.admission_at:
            text.append(
                "\n    "
                + _("Admission: {department} {doctor} {at}").format(
                    department=entry.appointment_department or "",
                    doctor=entry.appointment_doctor or "",
                    at=_when(entry.admission_at),
                )
            )
        elif entry.appointment_at or entry.appointment_department:
            text.append(
                "\n    "
                + _("Appointment: {department} {doctor} {at}").format(
                    department=entry.appointment_department or "",
                    doctor=entry.appointment_doctor or "",
                    at=_when(entry.appointment_at),
                )
            )
        text.append("\n")
    return text


def slip_text(detail) -> Text:
    """The slip's fields, section by section, labels aligned by display width."""
    from rich.cells import cell_len

    from clinic_tui.slip import pad, slip_sections

    sections = slip_sections(detail.referral, detail.answer)
    width = min(20, max(cell_len(label) for s in sections for label, _v in s.fields) + 2)
    text = Text()
    for section in sections:
        text.append(f"\n{section.title}\n", style="bold underline")
        for label, value in section.fields:
            text.append(pad(label, width), style="dim")
            text.append(f"{value}\n")
        if section.table is not None:
            for row in section.table.rows:
                text.append("  ".join(cell for cell in row if cell) + "\n")
            if not section.table.rows:
                text.append(_("None recorded") + "\n", style="dim")
        for table in section.more:  # the lead hospital's results: each line ends in its 互认 mark
            for row in table.rows:
                text.append("  ".join(cell for cell in row if cell) + "\n")
    return text


class ReferralScreen(ClinicScreen):
    CSS_PATH = "referral_page.tcss"
    BINDINGS = [
        Binding("f6", "edit", N_("Edit draft"), id="referral.edit"),
        Binding("f7", "cancel_referral", N_("Cancel referral"), id="referral.cancel"),
        Binding("f8", "export_slip", N_("Print slip"), id="referral.export"),
        Binding("escape", "back", N_("Back"), id="referral.back"),
    ]

    def __init__(self, record_id: str):
        super().__init__()
        self.record_id = record_id
        self.detail = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="referral-state")
        with VerticalScroll(id="referral-body"):
            yield Static("", id="history")
            yield Static("", id="slip")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.query_one("#referral-body").focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="referral-page")
    def load(self) -> None:
        from clinic_tui.data.referral_queries import ReferralNotFound

        try:
            detail = self.clinic_store.referrals.detail(self.record_id)
        except ReferralNotFound as gone:
            show_from_worker(self, self._gone, gone.message)
            return
        show_from_worker(self, self._show, detail)

    def _gone(self, message: str) -> None:
        self.detail = None
        self.query_one("#referral-state", Static).update(message)

    def _show(self, detail) -> None:
        self.detail = detail
        self.query_one("#referral-state", Static).update(state_text(detail))
        self.query_one("#history", Static).update(history_text(detail))
        self.query_one("#slip", Static).update(slip_text(detail))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit":  # shown only on a draft the clinic wrote
            return self.detail is not None and self.detail.can_edit
        return True

    # --- actions

    def action_edit(self) -> None:
        if self.detail is None:
            return
        if not self.detail.can_edit:
            self.notify(
                _("Only a draft can be edited; this referral is “{status}”.").format(status=_status(self.detail)),
                severity="warning",
            )
            return
        from clinic_tui.screens.routes import form_class

        self.app.push_screen(form_class("referral")(record_id=self.record_id))

    def action_cancel_referral(self) -> None:
        if self.detail is None:
            return
        from clinic_tui.domain.problems import DomainError
        from clinic_tui.domain.referral import Actor, Status, transition

        r = self.detail.referral
        try:  # the rules decide; a stand-in reason so only the move itself is judged here
            transition(r.direction, r.status, Status.CANCELLED, Actor.CLINIC, reason="-")
        except DomainError as refused:
            self.notify(refused.message, severity="error", timeout=8)
            return
        question = _("Cancel referral {number} for {patient}? Give the reason:").format(
            number=r.referral_no, patient=r.patient_name
        )
        self.app.push_screen(ReasonScreen(question, self._try_cancel), callback=self._cancelled)

    def _try_cancel(self, reason: str) -> str | None:
        from clinic_tui.domain.problems import DomainError

        try:
            self.clinic_store.referrals.cancel(self.record_id, user_id=self.clinic_app.user_id, reason=reason)
        except DomainError as refused:
            return refused.message
        return None

    def _cancelled(self, reason: str | None) -> None:
        if reason is None:
            return
        self.notify(_("Referral cancelled."))
        self.app.post_message(DataChanged())
        self.load()

    def action_export_slip(self) -> None:
        if self.detail is not None:
            self.export_slip(self.detail)

    @work(thread=True, exclusive=True, group="referral-slip")
    def export_slip(self, detail) -> None:
        from clinic_tui.slip import open_in_viewer, save_slip, slips_folder

        try:
            html_path, text_path = save_slip(detail.referral, detail.clinic, detail.answer, slips_folder())
        except OSError as failed:
            message = _("The slip could not be saved: {error}").format(error=failed.strerror or failed)
            self.app.call_from_thread(self.app.notify, message, severity="error", timeout=10)
            return
        opened = open_in_viewer(html_path)
        message = _("Slip saved: {html} and {text}").format(html=html_path, text=text_path.name)
        if not opened:
            message += "\n" + _("No viewer to open it here: print the file from another program.")
        self.app.call_from_thread(self.app.notify, message, timeout=12)  # the app's: shown if the page closed meanwhile

    def action_back(self) -> None:
        self.dismiss()


def _status(detail) -> str:
    from clinic_tui.domain.referral import status_label

    return status_label(detail.referral.status)
