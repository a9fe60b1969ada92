"""Picking diagnoses by keyboard: type an ICD-10 code, pinyin initials or part of the name.

The best matches appear under the search field as you type (searched in a worker thread, so typing
never waits for the database); Up/Down move through them and Enter adds the highlighted one. Text
that matches nothing is offered as an uncoded diagnosis, kept and flagged. The chosen diagnoses are
listed below (Tab reaches them); Delete or Backspace there removes one. Enter on an empty search
moves to the next field, so the picker fits the Enter-to-advance flow of the forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList, Static

from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, _
from clinic_tui.widgets.search_picker import SearchPicker

FIELD = "diagnoses"  # the field name the picker's problems carry


def diagnosis_problems(diagnoses: Sequence[dict], *, required: bool) -> list[Problem]:
    """None chosen is refused when ``required``; each uncoded diagnosis is accepted and flagged."""
    problems = []
    if required and not diagnoses:
        problems.append(Problem("visit.diagnosis_missing", N_("Enter at least one diagnosis."), field=FIELD))
    for diagnosis in diagnoses:
        if not diagnosis.get("code"):
            template = N_("“{text}” has no ICD-10 code: it is sent as free text.")
            problems.append(
                Problem("visit.diagnosis_uncoded", template, {"text": diagnosis["name"]}, Severity.FLAG, FIELD)
            )
    return problems


def uncoded(text: str) -> dict[str, Any]:
    return {"code": None, "name": text, "system": None, "version": None}


def _offers_free_text(query: str, matches: int) -> bool:
    # Letters and digits that match nothing are a typo of a code or of pinyin, but still worth
    # keeping as typed; Chinese text is offered even beside matches ("头晕" next to R42 头晕和眩晕).
    return matches == 0 or not query.isascii()


class DiagnosisPicker(SearchPicker):
    DEFAULT_CSS = """
    DiagnosisPicker {
        height: auto;
    }
    DiagnosisPicker > .field-row {
        height: 1;
        margin: 0 1;
    }
    DiagnosisPicker #diagnosis-query {
        width: 28;
    }
    DiagnosisPicker > OptionList {
        margin: 0 1 0 16;
        width: 1fr;
        max-height: 5;
    }
    DiagnosisPicker > #diagnosis-chosen {
        max-height: 3;
        background: $surface;
        & > .option-list--option-highlighted {
            background: $surface;
            color: $foreground;
            text-style: none;
        }
        &:focus > .option-list--option-highlighted {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """
    BINDINGS = [
        Binding("delete,backspace", "remove_chosen", N_("Remove diagnosis"), id="diagnosis.remove"),
    ]
    id_prefix = "diagnosis"
    placeholder = N_("code or pinyin, Enter adds")

    class Changed(Message):
        """The chosen diagnoses changed: ``diagnoses`` as the visit stores them."""

        def __init__(self, picker: DiagnosisPicker, diagnoses: list[dict]):
            super().__init__()
            self.picker = picker
            self.diagnoses = diagnoses

    def __init__(self, search, *, label: str = N_("Diagnoses"), id: str | None = None):
        """``search(query)`` returns catalogue hits (code, name, system, version); it runs in a thread."""
        super().__init__(search, label=label, id=id)
        self.chosen: list[dict] = []
        self._offered: list[dict] = []  # the diagnoses the listed matches stand for

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield OptionList(id="diagnosis-chosen", compact=True, markup=False)

    def on_mount(self) -> None:  # Textual runs SearchPicker.on_mount too
        self._show_chosen()

    def found(self, query: str, hits: list[Any]) -> list[str]:
        self._offered = [{"code": h.code, "name": h.name, "system": h.system, "version": h.version} for h in hits]
        lines = [f"{m['code']}  {m['name']}" for m in self._offered]
        if query and _offers_free_text(query, len(self._offered)):
            self._offered.append(uncoded(query))
            lines.append(_("“{text}” as an uncoded diagnosis").format(text=query))
        return lines

    # --- choosing ----------------------------------------------------------------------------

    def take(self, index: int) -> None:
        pick = self._offered[index]
        if not any((c["code"], c["name"]) == (pick["code"], pick["name"]) for c in self.chosen):
            self._change([*self.chosen, pick])
        self.query_input.value = ""

    @on(OptionList.OptionSelected, "#diagnosis-chosen")
    def _chosen_entered(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.move_on()  # Enter skips the chosen list, which Tab reaches

    def action_remove_chosen(self) -> None:
        chosen = self.query_one("#diagnosis-chosen", OptionList)
        if chosen.has_focus and chosen.highlighted is not None:
            index = chosen.highlighted
            self._change(self.chosen[:index] + self.chosen[index + 1 :])
            if self.chosen:
                chosen.highlighted = min(index, len(self.chosen) - 1)
            else:
                self.query_input.focus()  # the emptied list hides, and nothing would have focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_chosen":
            return self.query_one("#diagnosis-chosen", OptionList).has_focus
        return True

    def set_chosen(self, diagnoses: list[dict]) -> None:
        """Show ``diagnoses`` as chosen (a record or draft being loaded); posts no Changed."""
        if diagnoses != self.chosen:
            self.chosen = list(diagnoses)
            if self.is_mounted:  # else on_mount shows them
                self._show_chosen()

    def _change(self, diagnoses: list[dict]) -> None:
        self.chosen = diagnoses
        self._show_chosen()
        self.post_message(self.Changed(self, list(diagnoses)))

    def _show_chosen(self) -> None:
        chosen = self.query_one("#diagnosis-chosen", OptionList)
        mark = _("uncoded")
        chosen.set_options(
            f"✓ {d['code']}  {d['name']}" if d.get("code") else f"✓ {d['name']}  [{mark}]" for d in self.chosen
        )
        chosen.display = bool(self.chosen)
        chosen.highlighted = len(self.chosen) - 1 if self.chosen else None  # the latest added
        self.show_problems(diagnosis_problems(self.chosen, required=False))

    def show_problems(self, problems: Sequence[Problem]) -> None:
        message = self.query_one("#diagnosis-message", Static)
        worst = next(
            (s for s in (Severity.ERROR, Severity.WARNING, Severity.FLAG) if any(p.severity is s for p in problems)),
            None,
        )
        message.set_classes(f"field-message {worst.value if worst else ''}")
        message.update(" ".join(p.message for p in problems))

    def check(self) -> list[Problem]:
        """The problems of the chosen diagnoses, shown beside the search field (at saving)."""
        problems = diagnosis_problems(self.chosen, required=True)
        self.show_problems(problems)
        return problems
