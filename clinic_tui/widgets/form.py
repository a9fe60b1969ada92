"""Compact keyboard forms: one line per field, the problem shown beside it when the field is left.

A ``FieldSpec`` says what a field holds; ``FormView`` lays the fields out, parses what was typed
and shows each field's problems in the user's language. Screens put a FormView inside a
``FormScreen`` (screens/form_base.py), which adds saving, drafts and leaving safely.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Static
from textual.widgets.input import Selection

from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, LazyText, _

Check = Callable[[Any, Mapping[str, Any]], list[Problem]]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # English msgid (N_), translated when shown
    kind: str = "text"  # text | int | decimal | date | choice | money
    required: bool = False
    choices: Any = None  # a domain CodeSet for kind "choice"
    hint: str = ""  # English msgid shown in the empty field
    check: Check | None = None  # more rules once the value parsed: (value, all values) -> problems
    width: int = 24


@dataclass(frozen=True)
class Parsed:
    value: Any
    problems: list[Problem] = field(default_factory=list)


def _problem(spec: FieldSpec, code: str, template: str, **params: Any) -> Problem:
    return Problem(code, template, {"label": LazyText(spec.label), **params}, field=spec.name)


def parse(spec: FieldSpec, raw: str) -> Parsed:
    """Turn what was typed into a value, or say precisely why it cannot be."""
    text = raw.strip()
    if not text:
        if spec.required:
            return Parsed(None, [_problem(spec, "form.required", N_("{label} is required."))])
        return Parsed(None)
    try:
        if spec.kind == "int":
            return Parsed(int(text))
        if spec.kind == "decimal":
            return Parsed(float(text))
        if spec.kind == "money":  # yuan as typed, stored as integer fen
            yuan = float(text)
            if yuan < 0:
                raise ValueError(text)
            return Parsed(round(yuan * 100))
        if spec.kind == "date":
            return Parsed(_parse_date(text))
    except ValueError:
        templates = {
            "int": N_("{label}: “{text}” is not a whole number."),
            "decimal": N_("{label}: “{text}” is not a number."),
            "money": N_("{label}: “{text}” is not an amount in yuan."),
            "date": N_("{label}: “{text}” is not a date; type it as 2026-03-14 or 20260314."),
        }
        return Parsed(None, [_problem(spec, f"form.{spec.kind}", templates[spec.kind], text=text)])
    if spec.kind == "choice":
        code = spec.choices.parse(text)
        if code is None:
            options = " ".join(f"{c}={label}" for c, label in spec.choices.items())
            return Parsed(
                None, [_problem(spec, "form.choice", N_("{label}: choose one of {options}."), options=options)]
            )
        return Parsed(code)
    return Parsed(text)


def _parse_date(text: str) -> date:
    digits = text.replace("-", "").replace("/", "").replace(".", "")
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(text)
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def show(spec: FieldSpec, value: Any) -> str:
    """The text a stored value is shown as in its field (the reverse of ``parse``)."""
    if value is None:
        return ""
    if spec.kind == "money":
        return f"{value / 100:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class TypingInput(Input):
    """An input that keeps its text when focus arrives: the cursor goes to the end, nothing is
    selected, so the first key typed adds to the text instead of replacing it (a restored ID number
    is not lost to a "5"). Selecting everything is asked for (Ctrl+Shift+A, Shift+Home)."""

    def __init__(self, *args: Any, compact: bool = False, **kwargs: Any):
        super().__init__(*args, select_on_focus=False, **kwargs)
        if compact:
            # Input sets its compact reactive in __init__, whose class toggle restyles the input at
            # once, before it is in the DOM, only for it to be styled again as it mounts: about 2 ms
            # per field on the bench, some 50 ms for the visit form (issue 19). Styled once instead.
            self.set_reactive(Input.compact, True)
            self.add_class("-textual-compact", update=False)

    def on_focus(self, _event: events.Focus) -> None:  # after Input's own handler, which selects nothing here
        self.selection = Selection.cursor(len(self.value))


class FieldRow(Horizontal):
    """Label, input and the field's message on one line."""

    def __init__(self, spec: FieldSpec):
        super().__init__(classes="field-row")
        self.spec = spec

    def compose(self) -> ComposeResult:
        mark = "*" if self.spec.required else " "
        yield Label(f"{_(self.spec.label)}{mark}", classes="field-label")
        placeholder = _(self.spec.hint) if self.spec.hint else ""
        if self.spec.kind == "choice" and not placeholder:
            placeholder = " ".join(f"{c}={label}" for c, label in self.spec.choices.items())
        yield TypingInput(placeholder=placeholder, id=f"field-{self.spec.name}", classes="field-input", compact=True)
        yield Static("", classes="field-message")

    def show_problems(self, problems: Sequence[Problem]) -> None:
        message = self.query_one(".field-message", Static)
        worst = _worst(problems)
        message.set_classes(f"field-message {worst.value if worst else ''}")
        note = ""
        if not problems and self.spec.kind == "choice":
            value = self.query_one(Input).value.strip()
            code = self.spec.choices.parse(value) if value else None
            note = self.spec.choices.label(code) if code else ""
        message.update(" ".join(p.message for p in problems) or note)


def _worst(problems: Sequence[Problem]) -> Severity | None:
    for severity in (Severity.ERROR, Severity.WARNING, Severity.FLAG):
        if any(p.severity is severity for p in problems):
            return severity
    return None


class FormView(VerticalScroll, can_focus=False):
    """The fields of a form, with parsing and checking as each field is left."""

    class Edited(Message):
        """Something was typed: the owner saves a draft."""

    def __init__(self, specs: Sequence[FieldSpec], *, id: str | None = None):
        super().__init__(id=id, classes="form")
        self.specs = list(specs)
        self._by_name = {s.name: s for s in self.specs}
        self.loading_values = False

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            yield FieldRow(spec)

    def input(self, name: str) -> Input:
        return self.query_one(f"#field-{name}", Input)

    def row(self, name: str) -> FieldRow:
        """The row of field ``name``: its label, its input and its message."""
        row = self.input(name).parent
        assert isinstance(row, FieldRow), name
        return row

    def raw(self) -> dict[str, str]:
        return {spec.name: self.input(spec.name).value for spec in self.specs}

    def load_raw(self, raw: Mapping[str, str]) -> None:
        self.loading_values = True
        try:
            for name, text in raw.items():
                if name in self._by_name:
                    self.input(name).value = text
        finally:
            self.loading_values = False

    def load_values(self, values: Mapping[str, Any]) -> None:
        self.load_raw({name: show(self._by_name[name], v) for name, v in values.items() if name in self._by_name})

    def parse_all(self) -> tuple[dict[str, Any], list[Problem]]:
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for spec in self.specs:
            parsed = parse(spec, self.input(spec.name).value)
            values[spec.name] = parsed.value
            problems += parsed.problems
        for spec in self.specs:
            if spec.check and values[spec.name] is not None:
                problems += spec.check(values[spec.name], values)
        return values, problems

    def check_field(self, name: str) -> list[Problem]:
        spec = self._by_name[name]
        values, _ = self.parse_all()
        parsed = parse(spec, self.input(name).value)
        problems = list(parsed.problems)
        if not problems and spec.check and parsed.value is not None:
            problems = spec.check(parsed.value, values)
        self.show(name, problems)
        return problems

    def show(self, name: str, problems: Sequence[Problem]) -> None:
        self.row(name).show_problems(problems)

    def show_all(self, problems: Sequence[Problem]) -> None:
        for spec in self.specs:
            self.show(spec.name, [p for p in problems if p.field == spec.name])

    @on(Input.Blurred, ".field-input")
    def _left_field(self, event: Input.Blurred) -> None:
        field_id = event.input.id
        assert field_id is not None  # every field's input has one: field-<name>
        self.check_field(field_id.removeprefix("field-"))

    @on(Input.Changed, ".field-input")
    def _typed(self, event: Input.Changed) -> None:
        if not self.loading_values:
            self.post_message(self.Edited())
