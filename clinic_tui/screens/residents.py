"""Residents: instant search as you type, one page at a time from SQL."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from clinic_tui.i18n import N_, _, ngettext
from clinic_tui.messages import OpenRecord
from clinic_tui.screens.base import ClinicScreen, given
from clinic_tui.screens.paged_list import show_if_still_asked
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker

PAGE = 50


class ResidentsScreen(ClinicScreen):
    BINDINGS = [
        Binding("f3", "focus_search", N_("Search"), id="residents.search"),
        Binding("pagedown", "next_page", N_("Next page"), id="residents.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="residents.previous_page"),
        # From the search box (the list takes Up and Down itself when it has the focus).
        Binding("down", "move_highlight(1)", N_("Next resident"), id="residents.next_row", show=False),
        Binding("up", "move_highlight(-1)", N_("Previous resident"), id="residents.previous_row", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.page_start = 0
        self.shown_query: str | None = None  # the query the listed rows answer
        self._open_when_shown = False  # Enter came before the rows: open the first on arrival

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Input(placeholder=_("Name, pinyin initials, ID tail or phone"), id="search")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Name"), _("Sex"), _("Born"), _("ID number"), _("Phone"))
        self.query_one(Input).focus()
        # No count here: the resume that shows the screen searches for the empty box, whose answer
        # counts (counting here too read the whole table twice on the way to the first search).
        # The doctor is about to type: the ORM's load waits for their first results, or a pause
        # from now (on a slow PC this screen can take longer to open than the pause itself).
        self.clinic_app.warm_up_when_idle()

    # Off the UI thread: counting reads the whole resident table (about 1.4 s on the 100k benchmark's
    # 1 GB file, cold), and the doctor's first search must not wait behind it (issue 19). Only the
    # empty box shows the count: once something is typed it stops, leaving the disk and the core
    # to the search.
    @work(thread=True, group="resident-count")
    def _show_count(self) -> None:
        count = self.clinic_store.residents.count(stop=lambda: bool(self.query_text.strip()))
        if count is not None:
            show_from_worker(self, self._count_counted, count)

    def _count_counted(self, count: int) -> None:
        if self.query_text.strip():  # a search answered meanwhile: its line stays
            return
        self.query_one("#status", Static).update(
            ngettext("{count} resident on file", "{count} residents on file", count).format(count=count)
        )

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.query_text, self.page_start = event.value, 0
        self.run_search()

    @on(Input.Submitted, "#search")
    def _open_highlighted(self) -> None:
        """Enter in the search box opens the resident highlighted in the list (the first, unless
        Up/Down moved the highlight); before the rows of what was typed arrive, it opens on arrival."""
        if self.shown_query != self.query_text:
            self._open_when_shown = True
            return
        self._open_row()

    def _open_row(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
            self.post_message(OpenRecord("resident", given(row_key.value)))

    def action_move_highlight(self, rows: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + rows, table.row_count - 1)))

    @on(DataTable.RowSelected, "#results")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenRecord("resident", given(event.row_key.value)))

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.run_search()

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    def on_screen_suspend(self) -> None:
        self._open_when_shown = False

    def action_next_page(self) -> None:
        if self.query_one(DataTable).row_count == PAGE:
            self.page_start += PAGE
            self.run_search()

    def action_previous_page(self) -> None:
        if self.page_start:
            self.page_start = max(0, self.page_start - PAGE)
            self.run_search()

    @work(exclusive=True, thread=True)
    def run_search(self) -> None:
        query = self.query_text
        hits = self.clinic_store.residents.search(query, limit=PAGE, offset=self.page_start)
        # Not if typed on meanwhile ("z" of "zw"): the search for what is in the box now comes next
        # (run_search is exclusive, so it was started after this one); filling and painting the
        # list for a query no longer shown would only hold it up (issue 19).
        show_if_still_asked(self, lambda: self.query_text, query, self._show, hits, query)

    def _show(self, hits, query: str | None = None) -> None:
        from clinic_tui.domain.codes import SEX
        from clinic_tui.domain.idnumber import mask_citizen_id

        table = self.query_one(DataTable)
        table.clear()
        for hit in hits:
            table.add_row(
                hit.name,
                SEX.label(hit.sex) if SEX.is_valid(hit.sex) else hit.sex,
                hit.birth_date.isoformat() if hit.birth_date else "",
                mask_citizen_id(hit.id_number) if hit.id_number else "",
                hit.phone or "",
                key=hit.id,
            )
        status = self.query_one("#status", Static)
        if not self.query_text.strip():
            self._show_count()
        elif hits:
            status.update(
                _("Results {first}-{last}").format(first=self.page_start + 1, last=self.page_start + len(hits))
            )
        else:
            status.update(_("No resident matches “{query}”").format(query=self.query_text))
        self.shown_query = query
        if hits:
            # The first results are on the screen: now the ORM may load for the resident's page
            # and forms (the first search ran without it, issue 19).
            self.call_after_refresh(self.clinic_app.start_background_work)
        if self._open_when_shown and query == self.query_text:
            self._open_when_shown = False
            self._open_row()
