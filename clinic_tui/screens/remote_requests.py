"""Remote consultations and reads asked of the hospital: all, awaiting an answer, reports not yet
read, critical values not yet acknowledged. F6 cycles the filter (the bar shows how many each
holds); Enter opens the request under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from clinic_tui import clock
from clinic_tui.i18n import N_, _
from clinic_tui.screens.paged_list import PAGE, PagedListScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter

FILTER_LABELS = {
    "all": N_("All"),
    "waiting": N_("Awaiting answer"),
    "unread": N_("Report unread"),
    "critical": N_("Critical"),
}


class RemoteRequestsScreen(PagedListScreen):
    CSS_PATH = "remote_requests.tcss"
    BINDINGS = [
        Binding("f6", "next_filter", N_("Filter"), id="remote_list.filter"),
        Binding("pagedown", "next_page", N_("Next page"), id="remote_list.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="remote_list.previous_page"),
    ]

    record_kind = "remote_request"

    def __init__(self, which: str = "all") -> None:
        super().__init__()
        self.which = which
        self.row_count = 0

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="filters")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Asked"), _("Patient"), _("Service"), _("Status"), _("Number"))
        table.focus()

    def reload_after_sync(self) -> None:
        self.load()

    def asked(self) -> tuple[str, int]:
        return (self.which, self.page_start)

    @work(exclusive=True, thread=True, group="remote-list")
    def load(self) -> None:
        asked = which, page_start = self.asked()
        rows, counts = self.clinic_store.remote.page(which, limit=PAGE, offset=page_start)
        self.show_answer(asked, self._show, rows, counts)

    def _show(self, rows, counts: dict[str, int]) -> None:
        from clinic_tui.domain.remote import service_label, status_label

        bar = Text()
        bar.append("F6 ", style="dim")
        for which, label in FILTER_LABELS.items():
            style = (
                "bold reverse" if which == self.which else ("bold red" if which == "critical" and counts[which] else "")
            )
            bar.append(f"{_(label)} {counts.get(which, 0)}", style=style)
            bar.append("  ")
        self.query_one("#filters", Static).update(bar)
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            status = Text(status_label(row.status))
            if row.critical:
                status = Text(_("Critical!") + " ", style="bold white on red") + status
            table.add_row(
                clock.local(row.requested_at).strftime("%m-%d %H:%M"),
                row.patient_name,
                service_label(row.service) + (" " + _("urgent") if row.urgency == "urgent" else ""),
                status,
                row.request_no,
                key=row.id,
            )
        self.row_count = len(rows)
        self.query_one("#status", Static).update(
            _("Remote requests {first}-{last} of {total}").format(
                first=self.page_start + 1, last=self.page_start + len(rows), total=counts.get(self.which, 0)
            )
            if rows
            else _("No remote request in this list.")
        )

    def action_next_filter(self) -> None:
        names = list(FILTER_LABELS)
        self.which = names[(names.index(self.which) + 1) % len(names)]
        self.page_start = 0
        self.load()

    def has_next_page(self) -> bool:
        return self.row_count == PAGE
