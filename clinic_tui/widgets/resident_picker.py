"""Picking a resident by keyboard: pinyin initials, name, ID-number tail or phone.

The matches appear under the field as you type (searched in a worker thread); Up/Down move the
highlight and Enter picks it, even when Enter comes before the search has answered. The picked
resident is announced with ``Picked`` and shown beside the field; typing again searches anew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static

from clinic_tui.i18n import _

MAX_MATCHES = 5


def hit_line(hit: Any) -> str:
    """One match as the list shows it: name, sex, birth date, the ID tail and phone."""
    from clinic_tui.domain.codes import SEX

    sex = SEX.label(hit.sex) if SEX.is_valid(hit.sex) else ""
    born = hit.birth_date.isoformat() if hit.birth_date else ""
    tail = f"…{hit.id_number[-4:]}" if hit.id_number else ""
    return "  ".join(part for part in (hit.name, sex, born, tail, hit.phone or "") if part)


class ResidentPicker(Vertical):
    DEFAULT_CSS = """
    ResidentPicker {
        height: auto;
    }
    ResidentPicker > .field-row {
        height: 1;
        margin: 0 1;
    }
    ResidentPicker #resident-query {
        width: 28;
    }
    ResidentPicker > OptionList {
        margin: 0 1 0 16;
        width: 1fr;
        max-height: 5;
    }
    """
    BINDINGS = [
        Binding("down", "move_match(1)", show=False),
        Binding("up", "move_match(-1)", show=False),
    ]

    class Picked(Message):
        def __init__(self, picker: ResidentPicker, resident_id: str, name: str):
            super().__init__()
            self.picker = picker
            self.resident_id = resident_id
            self.name = name

    def __init__(self, search: Callable[[str], Sequence[Any]], *, label: str, id: str | None = None):
        """``search(query)`` returns resident hits (id, name, sex, birth_date, id_number, phone)."""
        super().__init__(id=id)
        self._search = search
        self._label = label
        self._hits: list[Any] = []
        self._hits_for: str | None = None
        self._pick_when_found = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(f"{_(self._label)}*", classes="field-label")
            yield Input(placeholder=_("pinyin, ID tail or phone"), id="resident-query", compact=True)
            yield Static("", id="resident-message", classes="field-message")
        yield OptionList(id="resident-matches", compact=True, markup=False)

    def on_mount(self) -> None:
        matches = self.query_one(OptionList)
        matches.can_focus = False  # typing stays in the field; Up/Down move the highlight
        matches.display = False

    @property
    def query_input(self) -> Input:
        return self.query_one("#resident-query", Input)

    def show_chosen(self, text: str) -> None:
        self.show_message(f"✓ {text}" if text else "")

    def show_message(self, text: str, classes: str = "") -> None:
        message = self.query_one("#resident-message", Static)
        message.set_classes(f"field-message {classes}")
        message.update(text)

    @on(Input.Changed, "#resident-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._hits_for = None
        self._find(event.value.strip())

    @work(thread=True, exclusive=True, group="resident-search")
    def _find(self, query: str) -> None:
        hits = list(self._search(query))[:MAX_MATCHES] if query else []
        self.app.call_from_thread(self._show_hits, query, hits)

    def _show_hits(self, query: str, hits: list[Any]) -> None:
        if query != self.query_input.value.strip():
            return  # an older search finished after a newer one started
        self._hits, self._hits_for = hits, query
        matches = self.query_one(OptionList)
        matches.set_options([hit_line(h) for h in hits])
        matches.highlighted = 0 if hits else None
        matches.display = bool(hits)
        if query and not hits:
            self.show_message(_("No resident matches “{query}”").format(query=query), "error")
        elif query:
            self.show_message("")
        if self._pick_when_found:
            self._pick_when_found = False
            self._pick()

    def action_move_match(self, step: int) -> None:
        matches = self.query_one(OptionList)
        if matches.display and matches.option_count:
            matches.highlighted = ((matches.highlighted or 0) + step) % matches.option_count

    @on(Input.Submitted, "#resident-query")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        if not query:
            self._move_on()
        elif self._hits_for != query:
            self._pick_when_found = True
        else:
            self._pick()

    def _pick(self) -> None:
        matches = self.query_one(OptionList)
        if matches.highlighted is None or not self._hits:
            return
        hit = self._hits[matches.highlighted]
        matches.display = False
        self.query_input.value = ""  # typing again searches anew; the pick is shown beside
        self.show_chosen(hit_line(hit))
        self.post_message(self.Picked(self, hit.id, hit.name))
        self._move_on()

    def _move_on(self) -> None:
        chain = self.screen.focus_chain
        mine = [index for index, widget in enumerate(chain) if self in widget.ancestors_with_self]
        later = chain[mine[-1] + 1:] if mine else []
        if later:
            later[0].focus()
