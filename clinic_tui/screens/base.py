"""What every screen of the app shares: bindings shown in the user's language."""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode
from textual.screen import Screen

from clinic_tui.i18n import _


def translate_bindings(node: DOMNode) -> None:
    """Translate the binding descriptions of ``node`` (declared with N_) into the current language.

    Textual copies a class's bindings into each instance, so translating the instance's copy lets
    one process show screens in either language, as the snapshot tests do.
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(b, description=_(b.description) if b.description else b.description,
                    tooltip=_(b.tooltip) if b.tooltip else b.tooltip)
            for b in bindings
        ]


class ClinicScreen(Screen):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
