"""The downward-referral inbox (下转): what the hospital sends back, the newest awaiting first.

The list is on top, the slip under the cursor below it: discharge diagnoses, treatment plan,
rehabilitation advice, medication to continue and the follow-ups asked for. F5 acknowledges the
referral, which schedules those follow-ups; when the slip names no resident of this clinic, a
dialog offers the likely residents (same ID number, or same name and birth date), or F4 registers
the patient from the slip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui.domain.codes import SEX
from clinic_tui.domain.idnumber import mask_citizen_id
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.referral import OUTCOME_LABELS, status_label
from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.messages import DataChanged, OpenRecord
from clinic_tui.screens.base import ClinicScreen, translate_bindings
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker

if TYPE_CHECKING:
    from clinic_tui.data.downward_service import DownwardDetails, InboxRow


def slip_text(d) -> str:
    """The slip as lines of text (``d``: downward_service.DownwardDetails)."""
    none = "-"
    diagnoses = _(", ").join(f"{x.get('code') or ''} {x.get('name') or ''}".strip() for x in d.discharge_diagnoses)
    schedule = _("; ").join(
        _("after {days} days: {what}").format(days=item.get("after_days"), what=item.get("what"))
        for item in d.followup_schedule
    )
    sex = SEX.label(d.patient_sex) if d.patient_sex and SEX.is_valid(d.patient_sex) else ""
    lines = [
        _("{number} · {status} · {day}").format(
            number=d.referral_no, status=status_label(d.status), day=d.referral_date
        ),
        _("From: {org} {department} {doctor}")
        .format(org=d.from_org_name or none, department=d.from_department or "", doctor=d.from_doctor_name or "")
        .rstrip(),
        _("Patient: {name} {sex} {born} {document} {phone}").format(
            name=d.patient_name,
            sex=sex,
            born=d.patient_birth_date or "",
            document=mask_citizen_id(d.patient_id_number) if d.patient_id_number else "",
            phone=d.patient_phone or "",
        ),
        _("Discharge diagnoses: {diagnoses}").format(diagnoses=diagnoses or none),
        _("Outcome: {outcome}").format(outcome=_(OUTCOME_LABELS[d.outcome]) if d.outcome in OUTCOME_LABELS else none),
        _("Treatment plan: {text}").format(text=d.treatment_plan or none),
        _("Rehabilitation: {text}").format(text=d.rehab_guidance or none),
        _("Medication to continue: {text}").format(text=d.medication_to_continue or none),
        _("Follow-up asked for: {schedule}").format(schedule=schedule or none),
    ]
    if d.resident_id is None:
        lines.append(_("No resident of this clinic is linked yet: F5 matches or registers one."))
    for due, title, done in d.tasks:
        lines.append(_("Task {due}: {title}{done}").format(due=due, title=title, done=_(" (done)") if done else ""))
    return "\n".join(lines)


class MatchResidentDialog(ModalScreen):
    """Which resident is the patient on the slip? Dismissed with ("match", id), ("register", None)
    or None."""

    CSS_PATH = "downward.tcss"
    BINDINGS = [
        Binding("f4", "register", N_("Register from the slip"), id="match.register"),
        Binding("escape", "cancel", N_("Cancel"), id="match.cancel"),
    ]

    def __init__(self, hits):
        super().__init__()
        self.hits = hits
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="match"):
            if self.hits:
                yield Static(_("Which resident is this? Enter chooses; F4 registers the patient from the slip."))
            else:
                yield Static(_("No resident on file matches this patient. F4 registers them from the slip."))
            yield OptionList(
                *(
                    Option(
                        f"{h.name}  {h.birth_date or ''}  {mask_citizen_id(h.id_number) if h.id_number else ''}"
                        f"  {h.phone or ''}",
                        id=h.id,
                    )
                    for h in self.hits
                ),
                id="match-list",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#match-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("match", event.option.id))

    def action_register(self) -> None:
        self.dismiss(("register", None))

    def action_cancel(self) -> None:
        self.dismiss(None)


class DownwardInboxScreen(ClinicScreen):
    CSS_PATH = "downward.tcss"
    BINDINGS = [
        Binding("f5", "acknowledge", N_("Acknowledge"), id="downward.acknowledge"),
        Binding("f6", "toggle_waiting", N_("Awaiting / all"), id="downward.toggle"),
        Binding("f7", "resident", N_("Resident"), id="downward.resident"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.waiting_only = False
        self.rows: list[InboxRow] = []
        self.shown: DownwardDetails | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield DataTable(id="downward-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="downward-slip"):
            yield Static("", id="downward-text")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Date"), _("Referral no."), _("Patient"), _("Status"), _("From"))
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="downward")
    def load(self) -> None:
        rows = self.clinic_store.downward.inbox(waiting_only=self.waiting_only)
        show_from_worker(self, self._show, rows)

    def _show(self, rows) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        kept = self.shown.id if self.shown is not None else None  # stays under the cursor as the list reorders
        cursor = next((i for i, row in enumerate(rows) if row.id == kept), cursor)
        table.clear()
        for row in rows:
            table.add_row(
                row.referral_date.isoformat(),
                row.referral_no,
                row.patient_name,
                status_label(row.status),
                row.from_org_name or "",
                key=row.id,
            )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
            self._show_slip(rows[table.cursor_row].id)
        else:
            self.shown = None
            self.query_one("#downward-text", Static).update(_("No downward referrals."))

    @on(DataTable.RowHighlighted, "#downward-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value:
            self._show_slip(event.row_key.value)

    def _show_slip(self, referral_id: str) -> None:
        try:
            self.shown = self.clinic_store.downward.details(referral_id)
        except DomainError as error:
            self.shown = None
            self.query_one("#downward-text", Static).update(error.message)
            return
        self.query_one("#downward-text", Static).update(slip_text(self.shown))

    def action_toggle_waiting(self) -> None:
        self.waiting_only = not self.waiting_only
        self.load()

    def action_resident(self) -> None:
        if self.shown is not None and self.shown.resident_id:
            self.post_message(OpenRecord("resident", self.shown.resident_id))

    @work
    async def action_acknowledge(self) -> None:
        slip = self.shown
        if slip is None:
            return
        if slip.status != "received":
            self.app.notify(_("Only a referral awaiting confirmation can be acknowledged."), severity="warning")
            return
        downward = self.clinic_store.downward
        choice: dict[str, Any] = {}
        if slip.resident_id is None:
            answer = await self.app.push_screen_wait(MatchResidentDialog(downward.candidates(slip.id)))
            if answer is None:
                return
            how, resident_id = answer
            choice = {"resident_id": resident_id} if how == "match" else {"register_patient": True}
        try:
            tasks = downward.acknowledge(slip.id, user_id=self.clinic_app.user_id, **choice)
        except DomainError as error:
            self.app.notify(error.message, severity="error")
            return
        self.app.post_message(DataChanged())
        self.app.notify(
            ngettext(
                "Acknowledged; {count} follow-up scheduled.", "Acknowledged; {count} follow-ups scheduled.", len(tasks)
            ).format(count=len(tasks)),
            timeout=4,
        )
        self.load()
