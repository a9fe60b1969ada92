"""Referrals both ways: filter by direction and status group, search, one page at a time from SQL.

F5 cycles the direction, F6 the status group (the filter bar shows how many each holds), F7 goes
to the search box, Enter opens the referral under the cursor. Emergencies carry the green-channel
mark wherever they appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from clinic_tui.i18n import N_, _
from clinic_tui.screens.paged_list import PAGE, PagedListScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.referral_marks import urgency_cell

if TYPE_CHECKING:
    from clinic_tui.data.referral_queries import ReferralFilter

DIRECTIONS = ("all", "up", "down")
GROUPS = ("all", "waiting", "answered", "closed", "drafts")
SYNC_MARKS = {"queued": N_("to send"), "rejected": N_("refused"), "synced": ""}
ARROWS = {"up": "↑", "down": "↓"}  # 上转, 下转: the F5 filter names them
COUNTERPART_WIDTH = 10  # cells: five Chinese characters; a longer department name is cut


class ReferralsScreen(PagedListScreen):
    CSS_PATH = "referrals.tcss"
    BINDINGS = [
        Binding("f5", "next_direction", N_("Direction"), id="referrals.direction"),
        Binding("f6", "next_group", N_("Status"), id="referrals.group"),
        Binding("f7", "focus_search", N_("Search"), id="referrals.search"),
        Binding("pagedown", "next_page", N_("Next page"), id="referrals.next_page"),
        Binding("pageup", "previous_page", N_("Previous page"), id="referrals.previous_page"),
    ]

    record_kind = "referral"

    def __init__(self) -> None:
        super().__init__()
        self.direction = "all"
        self.group = "all"
        self.query_text = ""
        self.row_count = 0

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static("", id="filters")
        yield Input(placeholder=_("Patient name, pinyin initials or referral number"), id="search")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Static("", id="status")
        yield ClinicFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # The columns fit 78 cells in Chinese and in English (issue 14: the list scrolled
        # sideways): no date column (the number carries the date, and the list is sorted by it),
        # the direction as an arrow before a short status, the department (the hospital is on
        # the referral's page).
        table.add_column(_("Referral number"))
        table.add_column(_("Patient"))
        table.add_column(_("Status"))
        table.add_column(_("Urgency"))
        table.add_column(_("Department"), width=COUNTERPART_WIDTH)
        table.add_column(_("Sync"))
        table.focus()

    def _filter(self) -> ReferralFilter:
        from clinic_tui.data.referral_queries import ReferralFilter

        return ReferralFilter(direction=self.direction, group=self.group, text=self.query_text)

    def asked(self) -> tuple[ReferralFilter, int]:
        return (self._filter(), self.page_start)

    @work(exclusive=True, thread=True, group="referrals")
    def load(self) -> None:
        asked = filter_, page_start = self.asked()
        rows, counts = self.clinic_store.referrals.page(filter_, limit=PAGE, offset=page_start)
        self.show_answer(asked, self._show, rows, counts)

    def _filter_bar(self, counts: dict[str, int]) -> Text:
        from clinic_tui.data.referral_queries import DIRECTION_FILTER_LABELS, GROUP_LABELS

        bar = Text()
        bar.append("F5 ", style="dim")
        bar.append(_(DIRECTION_FILTER_LABELS[self.direction]), style="bold reverse")
        bar.append("   F6 ", style="dim")
        for group in GROUPS:
            label = f"{_(GROUP_LABELS[group])} {counts.get(group, 0)}"
            bar.append(label, style="bold reverse" if group == self.group else "")
            bar.append("  ")
        return bar

    def _show(self, rows, counts: dict[str, int]) -> None:
        from clinic_tui.domain.referral import status_label

        self.query_one("#filters", Static).update(self._filter_bar(counts))
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(
                row.referral_no,
                row.patient_name,
                f"{ARROWS.get(row.direction, ' ')} {status_label(row.status, short=True)}",
                urgency_cell(row.urgency, short=True),
                row.counterpart,
                Text(_(SYNC_MARKS[row.sync_state]), style="bold red" if row.sync_state == "rejected" else "dim"),
                key=row.id,
            )
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self.row_count = len(rows)
        status = self.query_one("#status", Static)
        if rows:
            status.update(
                _("Referrals {first}-{last} of {total}").format(
                    first=self.page_start + 1, last=self.page_start + len(rows), total=counts.get(self.group, 0)
                )
            )
        else:
            status.update(_("No referral matches these filters."))

    def _reload_from_start(self) -> None:
        self.page_start = 0
        self.load()

    def action_next_direction(self) -> None:
        self.direction = DIRECTIONS[(DIRECTIONS.index(self.direction) + 1) % len(DIRECTIONS)]
        self._reload_from_start()

    def action_next_group(self) -> None:
        self.group = GROUPS[(GROUPS.index(self.group) + 1) % len(GROUPS)]
        self._reload_from_start()

    def action_focus_search(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self._reload_from_start()

    @on(Input.Submitted, "#search")
    def _to_results(self) -> None:
        self.query_one(DataTable).focus()

    def has_next_page(self) -> bool:
        return self.row_count == PAGE
