"""F1: every key of the screen in front of the user and of the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import translate_bindings


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close"), id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]):
        super().__init__()
        self.rows = rows
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Static(_("Keys (Esc closes; Ctrl+P finds any action by name)"), id="help-title")
        yield DataTable(id="help-keys", cursor_type="row", show_header=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Key"), _("Action"))
        for key, description in self.rows:
            table.add_row(key, description)
        table.focus()
