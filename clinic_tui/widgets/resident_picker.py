"""Picking a resident by keyboard: pinyin initials, name, ID-number tail or phone.

The matches appear under the field as you type (searched in a worker thread); Up/Down move the
highlight and Enter picks it, even when Enter comes before the search has answered. The picked
resident is announced with ``Picked`` and shown beside the field; typing again searches anew.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from clinic_tui.i18n import N_, _
from clinic_tui.widgets.search_picker import SearchPicker


def hit_line(hit: Any) -> str:
    """One match as the list shows it: name, sex, birth date, the ID tail and phone."""
    from clinic_tui.domain.codes import SEX

    sex = SEX.label(hit.sex) if SEX.is_valid(hit.sex) else ""
    born = hit.birth_date.isoformat() if hit.birth_date else ""
    tail = f"…{hit.id_number[-4:]}" if hit.id_number else ""
    return "  ".join(part for part in (hit.name, sex, born, tail, hit.phone or "") if part)


class ResidentPicker(SearchPicker):
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
    id_prefix = "resident"
    placeholder = N_("pinyin, ID tail or phone")

    class Picked(Message):
        def __init__(self, picker: ResidentPicker, resident_id: str, name: str):
            super().__init__()
            self.picker = picker
            self.resident_id = resident_id
            self.name = name

    def __init__(self, search, *, label: str, id: str | None = None):
        """``search(query)`` returns resident hits (id, name, sex, birth_date, id_number, phone)."""
        super().__init__(search, label=label, id=id)
        self._hits: list[Any] = []

    def show_chosen(self, text: str) -> None:
        self.show_message(f"✓ {text}" if text else "")

    def found(self, query: str, hits: list[Any]) -> list[str]:
        self._hits = hits
        if query and not hits:
            self.show_message(_("No resident matches “{query}”").format(query=query), "error")
        elif query:
            self.show_message("")
        return [hit_line(h) for h in hits]

    def take(self, index: int) -> None:
        if not self._hits:
            return
        hit = self._hits[index]
        self.matches.display = False
        self.query_input.value = ""  # typing again searches anew; the pick is shown beside
        self.show_chosen(hit_line(hit))
        self.post_message(self.Picked(self, hit.id, hit.name))
        self.move_on()
