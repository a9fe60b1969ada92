"""Search as you type, the shape the resident and diagnosis pickers share.

A field row (label, query field, message) with the matches listed under it. Each change of the
query searches in a worker thread, so typing never waits for the database, and an answer that
comes after a newer query started is dropped. Up/Down move the highlight; Enter takes the
highlighted match, even when Enter comes before the search has answered; Enter on an empty query
moves to the next field, so a picker fits the Enter-to-advance flow of the forms.

A subclass names its widgets (``id_prefix``: ``{id_prefix}-query``, ``-matches``, ``-message``),
says what the query field shows (``placeholder``), turns hits into the lines listed (``found``) and
takes the one chosen (``take``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Static

from clinic_tui.i18n import _
from clinic_tui.widgets.form import TypingInput
from clinic_tui.widgets.from_worker import show_from_worker

MAX_MATCHES = 5


class SearchPicker(Vertical):
    BINDINGS = [
        Binding("down", "move_match(1)", show=False),
        Binding("up", "move_match(-1)", show=False),
    ]
    id_prefix: ClassVar[str]  # its widgets' ids start with it
    placeholder: ClassVar[str]  # msgid shown in the empty query field

    def __init__(self, search: Callable[[str], Sequence[Any]], *, label: str, id: str | None = None):
        """``search(query)`` returns the hits of ``query``; it runs in a worker thread."""
        super().__init__(id=id)
        self._search = search
        self._label = label
        self._found_for: str | None = None  # the query the listed matches answer
        self._take_when_found = False  # Enter came before the matches: take the best one on arrival

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(f"{_(self._label)}*", classes="field-label")
            yield TypingInput(
                placeholder=_(self.placeholder), id=f"{self.id_prefix}-query", classes="picker-query", compact=True
            )
            yield Static("", id=f"{self.id_prefix}-message", classes="field-message")
        yield OptionList(id=f"{self.id_prefix}-matches", compact=True, markup=False)

    def on_mount(self) -> None:
        matches = self.matches
        matches.can_focus = False  # typing stays in the query field; Up/Down move the highlight
        matches.display = False

    @property
    def query_input(self) -> Input:
        return self.query_one(f"#{self.id_prefix}-query", Input)

    @property
    def matches(self) -> OptionList:
        return self.query_one(f"#{self.id_prefix}-matches", OptionList)

    def show_message(self, text: str, classes: str = "") -> None:
        message = self.query_one(f"#{self.id_prefix}-message", Static)
        message.set_classes(f"field-message {classes}")
        message.update(text)

    # --- what a subclass says --------------------------------------------------------------------

    def found(self, query: str, hits: list[Any]) -> list[str]:
        """Keep ``hits`` of ``query`` and return the lines to list (in the same order)."""
        raise NotImplementedError

    def take(self, index: int) -> None:
        """The listed line ``index`` was chosen."""
        raise NotImplementedError

    # --- searching -----------------------------------------------------------------------------

    @on(Input.Changed, ".picker-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._found_for = None
        self._find(event.value.strip())

    @work(thread=True, exclusive=True, group="picker-search")
    def _find(self, query: str) -> None:
        hits = list(self._search(query))[:MAX_MATCHES] if query else []
        show_from_worker(self, self._show_hits, query, hits)

    def _show_hits(self, query: str, hits: list[Any]) -> None:
        if query != self.query_input.value.strip():
            return  # an older search finished after a newer one started
        lines = self.found(query, hits)
        matches = self.matches
        matches.set_options(lines)
        matches.highlighted = 0 if lines else None
        matches.display = bool(lines)
        self._found_for = query
        if self._take_when_found:
            self._take_when_found = False
            self._take_highlighted()

    def action_move_match(self, step: int) -> None:
        matches = self.matches
        if matches.display and matches.option_count:
            matches.highlighted = ((matches.highlighted or 0) + step) % matches.option_count

    # --- choosing ------------------------------------------------------------------------------

    @on(Input.Submitted, ".picker-query")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        if not query:
            self.move_on()
        elif self._found_for != query:
            self._take_when_found = True
        else:
            self._take_highlighted()

    def _take_highlighted(self) -> None:
        highlighted = self.matches.highlighted
        if highlighted is not None:
            self.take(highlighted)

    def move_on(self) -> None:
        """Focus the field after the picker."""
        chain = self.screen.focus_chain
        mine = [index for index, widget in enumerate(chain) if self in widget.ancestors_with_self]
        later = chain[mine[-1] + 1 :] if mine else []
        if later:
            later[0].focus()
