"""Who is working: pick yourself from the clinic's staff, with your PIN where you have one.

The same screen locks the app after the idle time: the next person picks themselves again.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import OfClinicApp, given, translate_bindings

ROLE_LABELS = {
    "doctor": N_("Doctor"),
    "village_doctor": N_("Village doctor"),
    "nurse": N_("Nurse"),
    "public_health": N_("Public health doctor"),
    "admin": N_("Administrator"),
}


class LoginScreen(ModalScreen[str], OfClinicApp):
    """Dismissed with the id of the staff member who signed in."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", N_("Quit"), id="login.quit", priority=True),
        # Enter on the staff list is handled the moment the app receives it, so a PIN typed right
        # after it lands in the PIN field instead of going to the list before the focus moves.
        Binding("enter", "choose", N_("Choose"), id="login.choose", show=False, priority=True),
    ]
    # Focus by Textual when the screen is shown: a query in on_mount finds nothing when the app
    # is closed while this screen is still being built (a quit at start-up).
    AUTO_FOCUS = "#login-staff"

    def __init__(self, staff, *, locked: bool = False):
        super().__init__()
        self.staff = {member.id: member for member in staff}
        self.locked = locked
        self.chosen: str | None = None
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="login"):
            title = _("Locked after a while without use. Who is working?") if self.locked else _("Who is working?")
            yield Static(title, id="login-title")
            yield OptionList(
                *[Option(f"{m.name}  {_(ROLE_LABELS.get(m.role, m.role))}", id=m.id) for m in self.staff.values()],
                id="login-staff",
            )
            # A full Input, with its border: a compact one is a bare line the eye does not find.
            pin = Input(placeholder=_("PIN"), password=True, id="login-pin")
            pin.display = False  # shown once someone with a PIN is picked
            yield pin
            yield Static("", id="login-message")
            if self.clinic_app.settings.is_demo:
                yield Static(self._demo_pins(), id="login-demo-pins")

    def _demo_pins(self) -> str:
        """On the demo copy only: the demo staff's PINs (fictitious people), so anyone can try it."""
        from clinic_tui.config import DEMO_STAFF_PINS

        parts = [
            _("{name}: PIN {pin}").format(name=m.name, pin=DEMO_STAFF_PINS[m.name])
            if m.has_pin and m.name in DEMO_STAFF_PINS
            else _("{name}: no PIN").format(name=m.name)
            for m in self.staff.values()
        ]
        return _("Demo data: {who}").format(who=_("; ").join(parts))

    def action_choose(self) -> None:
        from textual.actions import SkipAction

        staff_list = self.query_one("#login-staff", OptionList)
        if self.focused is not staff_list or staff_list.highlighted is None:
            raise SkipAction()  # the PIN field takes its own Enter
        self._choose(given(staff_list.get_option_at_index(staff_list.highlighted).id))

    @on(OptionList.OptionSelected, "#login-staff")
    def _picked(self, event: OptionList.OptionSelected) -> None:  # a mouse click
        self._choose(given(event.option.id))

    def _choose(self, staff_id: str) -> None:
        self.chosen = staff_id
        if not self.staff[self.chosen].has_pin:
            self.dismiss(self.chosen)
            return
        pin = self.query_one("#login-pin", Input)
        pin.display = True
        pin.value = ""
        self.set_focus(pin)  # at once: Widget.focus() waits behind the keys already queued
        self.query_one("#login-message", Static).update(_("Type your PIN and press Enter."))

    @on(Input.Submitted, "#login-pin")
    def _pin_entered(self, event: Input.Submitted) -> None:
        if self.chosen and self.clinic_store.check_pin(self.chosen, event.value):
            self.dismiss(self.chosen)
            return
        event.input.value = ""
        self.query_one("#login-message", Static).update(_("Wrong PIN. Try again, or press Esc to pick someone else."))

    def key_escape(self) -> None:
        self.query_one("#login-pin", Input).display = False
        self.query_one("#login-message", Static).update("")
        self.query_one(OptionList).focus()
