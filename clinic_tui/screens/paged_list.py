"""A list read one page at a time from SQL, the shape the contract and referral lists share.

The screen shows a table (Enter opens the record under the cursor as ``record_kind``) and reloads
its page whenever it is shown again, so a change made on a record's page shows on return.
PageDown and PageUp (bound by each list, with its own binding ids) step a page; ``load`` reads the
page at ``page_start`` in a worker thread.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.widgets import DataTable

from clinic_tui.messages import OpenRecord
from clinic_tui.screens.base import ClinicScreen, given

PAGE = 50


class PagedListScreen(ClinicScreen):
    record_kind: ClassVar[str]  # what Enter on a row opens (a sync kind)

    def __init__(self) -> None:
        super().__init__()
        self.page_start = 0

    def load(self) -> object:
        """Read the page at ``page_start`` and show it (a thread worker in each list: it returns
        the Worker)."""
        raise NotImplementedError

    def has_next_page(self) -> bool:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # Also sent when the screen is first shown.
        self.load()

    def action_next_page(self) -> None:
        if self.has_next_page():
            self.page_start += PAGE
            self.load()

    def action_previous_page(self) -> None:
        if self.page_start:
            self.page_start = max(0, self.page_start - PAGE)
            self.load()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        self.post_message(OpenRecord(self.record_kind, given(event.row_key.value)))
