"""The top line of every screen: clinic, date, who is working, and how the sync stands."""

from __future__ import annotations

from textual.widgets import Static


class AppHeader(Static):
    """Shows ``App.header_text``; the app updates that one string and every header follows."""

    DEFAULT_CSS = """
    AppHeader {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "header_text", self._follow, init=True)

    def _follow(self, value: str) -> None:
        self.update(value)
