"""A list read one page at a time from SQL, the shape the contract and referral lists share.

The screen shows a table (Enter opens the record under the cursor as ``record_kind``) and reloads
its page whenever it is shown again, so a change made on a record's page shows on return.
PageDown and PageUp (bound by each list, with its own binding ids) step a page; ``load`` reads the
page at ``page_start`` in a worker thread.

A load hands its answer over with ``show_answer``, which paints it only if the list is still asked
what the load was (``asked``: the page, and each list's filters and search text). A thread worker
that ``exclusive=True`` cancelled still runs to its end, so the answer for what the list was asked
a key ago can arrive after the one for what it is asked now; painting it would show the wrong list
(CI's tmux test once met every referral listed under a typed number).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.widgets import DataTable

from clinic_tui.messages import OpenRecord
from clinic_tui.screens.base import ClinicScreen, given
from clinic_tui.widgets.from_worker import show_from_worker

PAGE = 50


def show_if_still_asked(
    node: ClinicScreen, asking: Callable[[], object], asked: object, show: Callable[..., Any], *args: Any
) -> None:
    """From a load worker: run ``show(*args)`` on the UI thread if ``asking()`` there still equals
    ``asked`` (what the screen asked when the load began), and ``node`` is still shown. Otherwise
    the load for what is asked now comes, or has come: this answer is dropped."""

    def if_still_asked(*args: Any) -> None:
        if asking() == asked:
            show(*args)

    show_from_worker(node, if_still_asked, *args)


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

    def asked(self) -> tuple[Any, ...]:
        """What the list is asked for now; a list with filters or a search box adds them."""
        return (self.page_start,)

    def show_answer(self, asked: tuple[Any, ...], show: Callable[..., Any], *args: Any) -> None:
        """From ``load``'s worker: ``show(*args)`` on the UI thread, if the list is still asked
        ``asked`` (read by ``load`` before its query)."""
        show_if_still_asked(self, self.asked, asked, show, *args)

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
