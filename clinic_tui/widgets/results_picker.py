"""Choosing, keys only, which of the lead hospital's results go on a referral slip (结果互认).

A checklist of the resident's results, the recognised and recent ones first (domain/slip_results.py):
Up/Down move, Space takes a result in or leaves it out, Enter goes on to the next field like
every field of the forms. Each line shows the report date, the item, its value and flag, the
performing institution and the 互认 mark, so the doctor sees what the receiving hospital will see.
Hidden when the resident has no results from the lead hospital.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from clinic_tui import clock
from clinic_tui.domain.slip_results import SlipResult, flag_text, recognised_label
from clinic_tui.i18n import N_, _


def option_text(result: SlipResult) -> str:
    """The mark first (a long line is cut at its end, never the mark), then date, item, value and
    flag, then the performing institution."""
    day = clock.local(result.reported_at).strftime("%m-%d") if result.reported_at else "--"
    value = " ".join(p for p in (result.value, result.unit, flag_text(result)) if p)
    line = f"[{recognised_label(result.recognised)}] {day} {result.item} {value}".strip()
    return f"{line} · {result.institution}" if result.institution else line


class ResultsList(SelectionList[str]):
    """Space chooses; Enter leaves for the next field rather than choosing (the forms' Enter)."""

    BINDINGS = [
        Binding("space", "select", N_("Choose or leave out"), id="results.toggle", show=False),
        Binding("enter", "next_field", N_("Next field"), id="results.next_field", show=False),
    ]

    def action_next_field(self) -> None:
        self.screen.focus_next()


class ResultsPicker(Vertical):
    DEFAULT_CSS = """
    ResultsPicker {
        height: auto;
        margin: 0 1;
    }
    ResultsPicker > Label {
        width: 1fr;
        color: $text-muted;
    }
    ResultsPicker > ResultsList {
        height: auto;
        max-height: 6;
        margin: 0 0 0 2;
    }
    """

    class Changed(Message):
        """The chosen results changed: ``results`` as the referral stores them."""

        def __init__(self, picker: ResultsPicker, results: list[dict]):
            super().__init__()
            self.picker = picker
            self.results = results

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.offered: list[SlipResult] = []

    def compose(self) -> ComposeResult:
        yield Label(_("Results from the hospital (Space chooses; 互认 = recognised)"), id="results-label")
        yield ResultsList(id="results-list", compact=True)  # prompts are Content: "[互认]" is no markup

    @property
    def checklist(self) -> ResultsList:
        return self.query_one(ResultsList)

    def offer(self, results: Sequence[SlipResult], chosen: Sequence[dict]) -> None:
        """Show ``results`` (in their order), those in ``chosen`` (stored entries) ticked. A stored
        entry no longer among the results (an order deleted since) is still offered, ticked."""
        wanted = {SlipResult.from_wire(e).key: SlipResult.from_wire(e) for e in chosen if isinstance(e, dict)}
        keys = {r.key for r in results}
        self.offered = [*(r for k, r in wanted.items() if k not in keys), *results]
        self.display = bool(self.offered)
        self.checklist.clear_options()
        self.checklist.add_options([Selection(Content(option_text(r)), r.key, r.key in wanted) for r in self.offered])
        if self.offered:
            self.checklist.highlighted = 0  # Space works at once on arriving in the list

    def set_chosen(self, chosen: Sequence[dict]) -> None:
        """Tick exactly ``chosen`` (stored entries), e.g. when a draft's values load."""
        keys = {SlipResult.from_wire(e).key for e in chosen if isinstance(e, dict)}
        if keys == set(self.checklist.selected):
            return
        self.checklist.deselect_all()
        for r in self.offered:
            if r.key in keys:
                self.checklist.select(r.key)

    def chosen(self) -> list[dict]:
        picked = set(self.checklist.selected)
        return [r.wire() for r in self.offered if r.key in picked]

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled) -> None:
        # Only the doctor's toggles (offer and set_chosen change the ticks without this message):
        # a load never writes back what it is loading.
        event.stop()
        self.post_message(self.Changed(self, self.chosen()))
