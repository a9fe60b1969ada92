"""Choosing several service packages by keyboard: Up/Down move, Space ticks or unticks one.

The picker sits under a form field that holds the chosen codes as text ("JC GXY"), so drafts,
"unsaved changes" and saving treat the choice like any other field, and a doctor who knows the
codes can type them there instead. Enter moves on to the next field, as everywhere in the forms.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.binding import Binding
from textual.message import Message
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection

from clinic_tui.i18n import N_


def yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


class PackagePicker(SelectionList[str]):
    DEFAULT_CSS = """
    PackagePicker {
        height: auto;
        max-height: 10;
        width: 44;
        margin: 0 1 0 16;
        border: none;
        padding: 0;
    }
    """
    BINDINGS = [
        Binding("enter", "screen.focus_next", N_("Next field"), show=False, id="packages.next"),
    ]

    class Picked(Message):
        """The doctor ticked or unticked a package: ``codes`` in the order offered."""

        def __init__(self, codes: list[str]):
            super().__init__()
            self.codes = codes

    def __init__(self, packages: Sequence, *, id: str | None = None):
        """``packages``: objects with ``code``, ``name`` and ``price_fen``, in the order offered."""
        self.order = [p.code for p in packages]
        super().__init__(
            *(Selection(f"{p.code:<4} {p.name} ¥{yuan(p.price_fen)}", p.code) for p in packages),
            id=id,
        )

    def chosen(self) -> list[str]:
        picked = set(self.selected)
        return [code for code in self.order if code in picked]

    def set_chosen(self, codes: Iterable[str]) -> None:
        """Show ``codes`` ticked (from the field) without reporting it as the doctor's choice."""
        wanted = set(codes)
        if wanted == set(self.selected):
            return
        with self.prevent(SelectionList.SelectionToggled):
            self.deselect_all()
            for code in wanted & set(self.order):
                self.select(code)

    def _on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        event.stop()
        self.post_message(self.Picked(self.chosen()))
