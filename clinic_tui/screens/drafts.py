"""Unsaved forms from last time (a crash, a power cut, a lock): continue one, or throw it away."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import OfClinicApp, given, translate_bindings


class DraftsScreen(ModalScreen[None], OfClinicApp):
    BINDINGS = [
        Binding("delete", "discard", N_("Discard draft"), id="drafts.discard"),
        Binding("escape", "dismiss", N_("Later"), id="drafts.later"),
    ]
    # Nothing done here changes a record (a draft is none, and one continued opens its form, a
    # screen of its own): the dashboard under it need not read its lists again when it closes.
    CHANGES_NO_RECORDS = True

    def __init__(self, drafts):
        super().__init__()
        self.drafts = {d.id: d for d in drafts}
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="drafts-panel", classes="panel"):
            yield Static(
                _("Unsaved forms from last time: Enter continues one, Del throws it away, Esc later."),
                id="drafts-title",
            )
            yield DataTable(id="drafts", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Form"), _("Last typed"))
        for draft in self.drafts.values():
            table.add_row(draft.title, clock.local(draft.updated_at).strftime("%Y-%m-%d %H:%M"), key=draft.id)
        table.focus()

    @on(DataTable.RowSelected)
    def _continue(self, event: DataTable.RowSelected) -> None:
        from clinic_tui.screens.routes import form_for_draft

        draft = self.drafts[event.row_key.value]
        self.dismiss(None)
        self.app.push_screen(form_for_draft(draft))

    def action_discard(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        self.clinic_drafts.discard(given(key.value))
        table.remove_row(key)
        if not table.row_count:
            self.dismiss(None)
