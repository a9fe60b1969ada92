"""The Textual application: draws its first frame at once, then opens the database in a worker.

Heavy imports (SQLModel, pypinyin) happen in that worker, after the first frame, so an old PC shows
the shell quickly even while the database is being upgraded or backed up.
"""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from clinic_tui.config import Settings
from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import translate_bindings


class ClinicApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "clinic-tui"
    BINDINGS = [Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True)]

    def __init__(self, settings: Settings):
        super().__init__()
        self.settings = settings
        self.store = None  # set once the database is open
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Opening the database…"), id="loading")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Village clinic")
        self.sub_title = date.today().isoformat()
        self.open_database()

    @work(thread=True, exclusive=True, group="database")
    def open_database(self) -> None:
        from clinic_tui.data.db import DatabaseError
        from clinic_tui.data.startup import prepare_database
        from clinic_tui.data.store import Store
        from clinic_tui.errors import describe_database_error

        try:
            opened = prepare_database(self.settings)
        except DatabaseError as exc:
            self.call_from_thread(self._show_problem, describe_database_error(exc))
            return
        store = Store(opened.engine)
        clinic = store.clinic()
        self.call_from_thread(self._database_ready, store, clinic.name if clinic else "")

    def _show_problem(self, message: str) -> None:
        self.query_one("#loading", Static).update(message)

    def _database_ready(self, store, clinic_name: str) -> None:
        from clinic_tui.screens.residents import ResidentsScreen

        self.store = store
        demo = _(" (demo data)") if self.settings.is_demo else ""
        self.title = f"{clinic_name}{demo}" or _("Village clinic")
        self.push_screen(ResidentsScreen())


def run_app(settings: Settings) -> int:
    ClinicApp(settings).run()
    return 0
