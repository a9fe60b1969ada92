"""A yes/no question, answered with Y or N (or Enter / Esc)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import translate_bindings


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", N_("Yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no"),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="question")
            yield Static(_("Y = yes    N = no"), id="keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
