"""Lab orders sent to the hospital's lab: all, awaiting results, rejected specimens, critical
values not yet acknowledged. F6 cycles the filter (the bar shows how many each holds); Enter opens
the order under the cursor."""

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
    "waiting": N_("Awaiting results"),
    "rejected": N_("Rejected"),
    "critical": N_("Critical"),
}


class LabOrdersScreen(PagedListScreen):
    CSS_PATH = "lab_orders.tcss"
    BINDINGS = [
        Binding("f6", "next_filter", N_("Filter"), id="lab_list.filter"),
        Binding("pagedown", "next_page", N_("Next page"), id="lab_list.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="lab_list.previous_page"),
    ]

    record_kind = "lab_order"

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
        table.add_columns(_("Ordered"), _("Patient"), _("Tests"), _("Status"), _("Number"))
        table.focus()

    def reload_after_sync(self) -> None:
        self.load()

    def asked(self) -> tuple[str, int]:
        return (self.which, self.page_start)

    @work(exclusive=True, thread=True, group="lab-list")
    def load(self) -> None:
        asked = which, page_start = self.asked()
        rows, counts = self.clinic_store.lab.page(which, limit=PAGE, offset=page_start)
        self.show_answer(asked, self._show, rows, counts)

    def _show(self, rows, counts: dict[str, int]) -> None:
        from clinic_tui.domain.lab import status_label

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
                clock.local(row.ordered_at).strftime("%m-%d %H:%M"),
                row.patient_name,
                row.items + (" " + _("urgent") if row.priority == "urgent" else ""),
                status,
                row.order_no,
                key=row.id,
            )
        self.row_count = len(rows)
        self.query_one("#status", Static).update(
            _("Lab orders {first}-{last} of {total}").format(
                first=self.page_start + 1, last=self.page_start + len(rows), total=counts.get(self.which, 0)
            )
            if rows
            else _("No lab order in this list.")
        )

    def action_next_filter(self) -> None:
        names = list(FILTER_LABELS)
        self.which = names[(names.index(self.which) + 1) % len(names)]
        self.page_start = 0
        self.load()

    def has_next_page(self) -> bool:
        return self.row_count == PAGE
