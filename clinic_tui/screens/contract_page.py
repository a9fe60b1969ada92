"""One family-doctor contract: its terms, fee split and status; F5 renews it, F6 terminates it.

Terminating asks for the reason (1 moved away ... 9 other, with a note), and the date, in a small
dialog; the domain rules decide whether it may be done, and say why not in the user's language.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.domain.codes import KEY_POPULATION, SERVICE_MODE, CodeSet
from clinic_tui.domain.contract import (
    KIND_LABELS,
    STATUS_LABELS,
    TERMINATION_REASON_LABELS,
)
from clinic_tui.domain.problems import DomainError, Severity
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged, OpenRecord
from clinic_tui.screens.base import ClinicScreen, OfClinicApp, translate_bindings
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.form import FieldSpec, FormView
from clinic_tui.widgets.package_picker import yuan

TERMINATION_REASON = CodeSet(
    "termination reason", tuple((r.value, label) for r, label in TERMINATION_REASON_LABELS.items())
)


def details_text(d) -> str:
    """The contract as lines of text (``d``: contract_service.ContractDetails)."""
    separator = _(", ")
    lines = [
        _("Contract {number} ({kind}) · {status}").format(
            number=d.contract_no, kind=_(KIND_LABELS.get(d.kind, d.kind)), status=_(STATUS_LABELS[d.status])
        ),
        _("Resident: {name}").format(name=d.resident_name),
        _("Period: {start} to {end}, signed {signed}").format(start=d.start, end=d.end, signed=d.signed_date),
        _("Team: {team}  Doctor: {doctor}").format(team=d.team_name or "-", doctor=d.doctor_name or "-"),
        _("Key populations: {populations}").format(
            populations=separator.join(KEY_POPULATION.label(p) for p in d.populations if KEY_POPULATION.is_valid(p))
            or _("none")
        ),
        _("Packages: {packages}").format(
            packages=separator.join(f"{p.name} ¥{yuan(p.price_fen)}" for p in d.packages) or "-"
        ),
        _("Service modes: {modes}").format(
            modes=separator.join(SERVICE_MODE.label(m) for m in d.service_modes if SERVICE_MODE.is_valid(m)) or "-"
        ),
        _("Fee ¥{total} = insurance fund ¥{insurance} + public health ¥{public} + self-paid ¥{own}").format(
            total=yuan(d.fee_total_fen),
            insurance=yuan(d.fee_insurance_fen),
            public=yuan(d.fee_public_health_fen),
            own=yuan(d.fee_self_fen),
        ),
        _("Signed by the resident: {resident}  by the doctor: {doctor}").format(
            resident=_("Yes") if d.resident_signed else _("No"), doctor=_("Yes") if d.doctor_signed else _("No")
        ),
    ]
    if d.previous_contract_no:
        lines.append(_("Renews {number}").format(number=d.previous_contract_no))
    if d.terminated_on:
        reason = (
            TERMINATION_REASON.label(d.termination_reason)
            if TERMINATION_REASON.is_valid(d.termination_reason or "")
            else (d.termination_reason or "")
        )
        lines.append(
            _("Terminated on {day}: {reason} {note}")
            .format(day=d.terminated_on, reason=reason, note=d.termination_note or "")
            .rstrip()
        )
    return "\n".join(lines)


class TerminateDialog(ModalScreen, OfClinicApp):
    """Reason, note and date of a termination; dismissed with True once it is saved."""

    # Still DEFAULT_CSS, against the convention (screens: their .tcss): app.tcss's ``.form`` outranks
    # default CSS, so ``#terminate .form`` has never applied; as .tcss it would, and the dialog would
    # shrink from the full height it has always had. Moving it is a visible change, for its own commit.
    DEFAULT_CSS = """
    TerminateDialog { align: center middle; }
    #terminate { width: 76; height: auto; border: round $warning; padding: 0 1; background: $surface; }
    #terminate .form { height: auto; }
    #terminate-status { height: auto; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Terminate"), id="terminate.save"),
        Binding("escape", "cancel", N_("Cancel"), id="terminate.cancel"),
    ]

    def __init__(self, contract_id: str):
        super().__init__()
        self.contract_id = contract_id
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="terminate"):
            yield Static(_("Terminate the contract (Ctrl+S terminates, Esc cancels)"), classes="form-title")
            yield FormView(
                [
                    FieldSpec(
                        "termination_reason",
                        N_("Reason"),
                        "choice",
                        required=True,
                        choices=TERMINATION_REASON,
                        hint=N_("1-5 or 9"),
                    ),
                    FieldSpec("termination_note", N_("Note")),
                    FieldSpec("terminated_on", N_("Date"), "date", required=True),
                ]
            )
            yield Static("", id="terminate-status")

    def on_mount(self) -> None:
        form = self.query_one(FormView)
        form.load_values({"terminated_on": clock.today()})
        form.input("termination_reason").focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        contracts = self.clinic_store.contracts
        form = self.query_one(FormView)
        values, problems = form.parse_all()
        if not problems:
            problems = contracts.termination_problems(
                self.contract_id, values["termination_reason"], values["termination_note"], values["terminated_on"]
            )
        form.show_all(problems)
        status = self.query_one("#terminate-status", Static)
        fields = {s.name for s in form.specs}
        unplaced = [p.message for p in problems if p.field not in fields]
        if problems:
            status.set_classes(Severity.ERROR.value)
            status.update(" ".join(unplaced) or _("Not terminated: correct the fields marked."))
            return
        try:
            contracts.terminate(
                self.contract_id,
                reason_code=values["termination_reason"],
                note=values["termination_note"],
                on=values["terminated_on"],
                user_id=self.clinic_app.user_id,
                today=clock.today(),
            )
        except DomainError as error:
            status.update(error.message)
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class ContractScreen(ClinicScreen):
    CSS_PATH = "contract_page.tcss"
    BINDINGS = [
        Binding("f5", "renew", N_("Renew"), id="contract.renew"),
        Binding("f6", "terminate", N_("Terminate"), id="contract.terminate"),
        Binding("f7", "resident", N_("Resident"), id="contract.resident"),
        Binding("escape", "back", N_("Back"), id="contract.back"),
    ]

    def __init__(self, record_id: str):
        super().__init__()
        self.record_id = record_id
        self.details = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="contract-details")
        yield ClinicFooter()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        try:
            self.details = self.clinic_store.contracts.details(self.record_id, clock.today())
        except DomainError as error:
            self.query_one("#contract-details", Static).update(error.message)
            return
        self.query_one("#contract-details", Static).update(details_text(self.details))

    def action_renew(self) -> None:
        from clinic_tui.screens.routes import form_class

        if self.details is None or not self.details.renewable:
            self.app.notify(_("Only a signed or expired contract can be renewed, and only once."), severity="warning")
            return
        self.app.push_screen(form_class("contract")(context={"renew_of": self.record_id}))

    @work
    async def action_terminate(self) -> None:
        if self.details is None or not self.details.terminable:
            self.app.notify(_("This contract cannot be terminated."), severity="warning")
            return
        if await self.app.push_screen_wait(TerminateDialog(self.record_id)):
            self.app.post_message(DataChanged())
            self.app.notify(_("Contract terminated."), timeout=3)
            self.load()

    def action_resident(self) -> None:
        if self.details is not None:
            self.post_message(OpenRecord("resident", self.details.resident_id))

    def action_back(self) -> None:
        self.dismiss()
