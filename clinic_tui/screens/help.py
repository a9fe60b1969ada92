"""F1: every key of the screen in front of the user and of the whole app."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import translate_bindings

# How keys are written on a keyboard and in the manual, not Textual's names ("^q", "escape").
_KEY_NAMES = {
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "delete": "Del",
    "backspace": "Backspace",
    "insert": "Ins",
    "home": "Home",
    "end": "End",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "space": "Space",
    "question_mark": "?",
    "plus": "+",
    "minus": "-",
    "slash": "/",
    "full_stop": ".",
    "comma": ",",
}
_MODIFIERS = {"ctrl": "Ctrl", "shift": "Shift", "alt": "Alt"}


# Textual's own binding descriptions whose English words mean something else elsewhere in the
# app's catalogue ("Up"/"Down" are the referral directions there).
_TEXTUAL_DESCRIPTIONS = {"Up": N_("Move up"), "Down": N_("Move down")}


def describe_binding(description: str) -> str:
    """A binding's description in the user's language, Textual's own widget bindings included."""
    return _(_TEXTUAL_DESCRIPTIONS.get(description, description))


def key_display(key: str) -> str:
    """One key as people write it: "ctrl+q" -> "Ctrl+Q", "escape" -> "Esc", "f1" -> "F1"."""
    if "," in key:
        return "/".join(key_display(part.strip()) for part in key.split(","))
    *modifiers, name = key.split("+") if key != "+" else [key]
    if name in _KEY_NAMES:
        shown = _KEY_NAMES[name]
    elif len(name) > 1 and name[0] == "f" and name[1:].isdigit():
        shown = name.upper()
    elif len(name) == 1:
        shown = name.upper() if modifiers else name
    else:
        shown = name.replace("_", " ").title()
    return "+".join([*(_MODIFIERS.get(m, m.title()) for m in modifiers), shown])


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", N_("Close"), id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]):
        super().__init__()
        self.rows = rows
        translate_bindings(self)

    def compose(self) -> ComposeResult:
        # One opaque panel: the screen behind must not show through the title or the list.
        with Vertical(id="help", classes="panel"):
            yield Static(_("Keys (Esc closes; Ctrl+P finds any action by name)"), id="help-title")
            yield DataTable(id="help-keys", cursor_type="row", show_header=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("Key"), _("Action"))
        for key, description in self.rows:
            table.add_row(key, description)
        table.focus()
