"""The derived keys residents are found by (DESIGN data 5): pinyin of the name, reversed numbers.

ID numbers and phones are stored reversed as well, so "the last digits" become a prefix that an
ordinary index answers in a range scan instead of a full-table ``LIKE '%1234'``.
"""

from __future__ import annotations


def reverse_digits(value: str | None) -> str | None:
    if not value:
        return None
    cleaned = "".join(ch for ch in value.upper() if ch.isalnum())
    return cleaned[::-1] or None


def resident_search_keys(name: str, id_number: str | None, phone: str | None) -> dict[str, str | None]:
    from clinic_tui.search.pinyin import name_keys

    keys = name_keys(name or "")
    return {
        "name_pinyin": keys.full or None,
        "name_initials": keys.initials or None,
        "id_number_rev": reverse_digits(id_number),
        "phone_rev": reverse_digits(phone),
    }


def starts_with(column, prefix: str):
    """``column`` begins with ``prefix``, as a range an ordinary index answers (unlike LIKE 'x%')."""
    from sqlalchemy import and_

    return and_(column >= prefix, column < prefix + "\uffff")
