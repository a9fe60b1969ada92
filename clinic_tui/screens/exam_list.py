"""The clinic's examination bookings (检查预约): a critical report not yet acknowledged first, then
the examinations still ahead, nearest day first, then the rest (data/exam_bookings.page). Enter
opens the booking under the cursor; PageDown and PageUp step a page.

A number is shown without the clinic's code, the same on every row (its page shows it whole): so the
state with its critical mark fits 80 columns in English too."""

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


class ExamBookingsScreen(PagedListScreen):
    CSS_PATH = "exam_list.tcss"
    BINDINGS = [
        Binding("pagedown", "next_page", N_("Next page"), id="exam_list.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="exam_list.previous_page"),
    ]

    record_kind = "exam_booking"

    def __init__(self) -> None:
        super().__init__()
        self.row_count = 0

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(_("Examination bookings"), id="title")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Booking number"), _("Day"), _("Examination"), _("Patient"), _("Status"))
        table.focus()

    def reload_after_sync(self) -> None:
        self.load()

    @work(exclusive=True, thread=True, group="exam-list")
    def load(self) -> None:
        asked = (page_start,) = self.asked()
        found = self.clinic_store.exam.page(today=clock.today(), limit=PAGE, offset=page_start)
        self.show_answer(asked, self._show, *found)

    def _show(self, rows, total: int, critical: int) -> None:
        from clinic_tui.domain.exam import status_label

        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            status = Text(status_label(row.status))
            if row.critical:
                status = Text(_("Critical!") + " ", style="bold white on red") + status
            table.add_row(
                row.booking_no.partition("-")[2] or row.booking_no,
                row.day.strftime("%m-%d"),
                row.item_name + (" " + _("urgent") if row.priority == "urgent" else ""),
                row.patient_name,
                status,
                key=row.id,
            )
        self.row_count = len(rows)
        status_line = Text()
        if rows:
            status_line.append(
                _("Examination bookings {first}-{last} of {total}").format(
                    first=self.page_start + 1, last=self.page_start + len(rows), total=total
                )
            )
        else:
            status_line.append(_("No examination booking yet: Ctrl+U on a resident's page books one."))
        if critical:
            status_line.append("  ")
            status_line.append(_("Critical reports to acknowledge: {count}").format(count=critical), style="bold red")
        self.query_one("#status", Static).update(status_line)

    def has_next_page(self) -> bool:
        return self.row_count == PAGE
