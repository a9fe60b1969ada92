"""The top line of every screen: clinic, date, who is working, and how the sync stands."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class HeaderPart:
    """One piece of the header line. ``keep``: lower numbers are dropped last when space is short."""

    text: str
    keep: int
    side: str = "left"  # "left": who and where; "right": how the sync stands


def fit_header(parts: list[HeaderPart], width: int) -> str:
    """The parts on one line of at most ``width`` cells, dropping the least needed ones first;
    what still does not fit is cut at the end of the left side (the clinic name)."""
    kept = list(parts)
    while len(kept) > 1 and cell_len(_join(kept)) > width:
        kept.remove(max(kept, key=lambda part: part.keep))
    line = _join(kept)
    if cell_len(line) <= width:
        return line
    right = _join([p for p in kept if p.side == "right"])
    room = max(width - cell_len(right) - 3, 1)
    left = _join([p for p in kept if p.side == "left"])
    while cell_len(left) > room:
        left = left[:-2] + "…"
    return f"{left} │ {right}" if right else left


def _join(parts: list[HeaderPart]) -> str:
    left = " ".join(p.text for p in parts if p.side == "left")
    right = "·".join(p.text for p in parts if p.side == "right")
    return f"{left} │ {right}" if left and right else left or right


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
        # The app's mark of unacknowledged critical values (危急值) starts the line, in red, so it
        # is seen at once on every screen until a doctor acknowledges them.
        mark = getattr(self.app, "header_mark", "")
        if mark and value.startswith(mark):
            self.update(Text.assemble((mark, "bold white on red"), value[len(mark) :]))
        else:
            self.update(value)
