"""Family-doctor contracts, by status on today: in force, expiring within 30 days, expired, terminated.

F5-F8 choose the list, PageDown/PageUp page through it, Enter opens a contract (renew or
terminate it there). Statuses are worked out for today from the dates, so the list never shows a
contract as in force the day after it ended.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from clinic_tui import clock
from clinic_tui.domain.contract import STATUS_LABELS
from clinic_tui.i18n import N_, _
from clinic_tui.screens.paged_list import PAGE, PagedListScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.package_picker import yuan

FILTER_TITLES = {
    "active": N_("Contracts in force"),
    "expiring": N_("Contracts expiring within 30 days"),
    "expired": N_("Expired contracts"),
    "terminated": N_("Terminated contracts"),
}


class ContractsScreen(PagedListScreen):
    CSS_PATH = "contracts.tcss"
    BINDINGS = [
        Binding("f5", "show('active')", N_("In force"), id="contracts.active"),
        Binding("f6", "show('expiring')", N_("Expiring"), id="contracts.expiring"),
        Binding("f7", "show('expired')", N_("Expired"), id="contracts.expired"),
        Binding("f8", "show('terminated')", N_("Terminated"), id="contracts.terminated"),
        Binding("pagedown", "next_page", N_("Next page"), id="contracts.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="contracts.previous_page"),
    ]

    record_kind = "contract"

    def __init__(self, which: str = "active") -> None:
        super().__init__()
        self.which = which
        self.total = 0

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="contracts-title")
        yield DataTable(id="contracts", cursor_type="row", zebra_stripes=True)
        yield Static("", id="contracts-status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Contract no."), _("Resident"), _("Start"), _("Ends on"), _("Status"), _("Fee"))
        table.focus()

    def action_show(self, which: str) -> None:
        self.which, self.page_start = which, 0
        self.load()

    def has_next_page(self) -> bool:
        return self.page_start + PAGE < self.total

    def asked(self) -> tuple[str, int]:
        return (self.which, self.page_start)

    @work(thread=True, exclusive=True, group="contracts")
    def load(self) -> None:
        asked = which, page_start = self.asked()
        rows, total = self.clinic_store.contracts.page(clock.today(), which, limit=PAGE, offset=page_start)
        self.show_answer(asked, self._show, rows, total)

    def _show(self, rows, total: int) -> None:
        self.total = total
        self.query_one("#contracts-title", Static).update(_(FILTER_TITLES[self.which]))
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                row.contract_no,
                row.resident_name,
                row.start.isoformat(),
                row.end.isoformat(),
                _(STATUS_LABELS[row.status]),
                f"¥{yuan(row.fee_total_fen)}",
                key=row.id,
            )
        status = self.query_one("#contracts-status", Static)
        if rows:
            status.update(
                _("{first}-{last} of {total}").format(
                    first=self.page_start + 1, last=self.page_start + len(rows), total=total
                )
            )
        else:
            status.update(_("None."))
