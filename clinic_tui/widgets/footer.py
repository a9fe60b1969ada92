"""The footer of every screen: Textual's Footer in its compact style, so that a screen's main keys
fit 80 columns in Chinese and in English (tests/app/test_footer_fits.py). Keys that do not fit are
declared with ``show=False``: they stay in F1's help and in the command palette (Ctrl+P)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class ClinicFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        # Textual's keys take the footer's compact style through a data binding once mounted: each
        # key's watcher then adds "-compact" and restyles that key again, one stylesheet pass per
        # key, each time a screen's footer is composed (about ten keys, twice per new screen: most of
        # the footer's cost between the sign-in and the dashboard, and from F3 to the search box on
        # a slow core, issue 19). Made with the class, a key is styled once as it mounts, and the
        # binding's watcher finds nothing to change; the footer looks the same.
        for widget in super().compose():
            if self.compact and isinstance(widget, FooterKey):
                widget.add_class("-compact", update=False)
            yield widget
