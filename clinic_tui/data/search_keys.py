"""The derived keys residents are found by (data invariant 5): pinyin of the name, reversed numbers.

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


NAME_KEYS_VERSION_KEY = "name_keys_version"


def name_keys_current(connection) -> bool:
    """Whether the stored residents' name keys were made by this version's ``name_keys``."""
    from clinic_tui.search.pinyin import NAME_KEYS_VERSION

    row = connection.execute("SELECT value FROM app_setting WHERE key = ?", (NAME_KEYS_VERSION_KEY,)).fetchone()
    return row is not None and row[0] == str(NAME_KEYS_VERSION)


def refresh_name_keys(connection) -> int:
    """Make the name keys again where this version reads a name differently; how many changed.

    ``connection`` is a plain sqlite3 connection in a write transaction. Version 2 changed only names
    with a middle dot (transliterations), so only those are read again: a clinic of 100,000
    residents does not wait for every name to be read. The keys are derived from the name, so the
    record's revision is not raised: the name the hub holds is unchanged.
    """
    from clinic_tui.search.pinyin import NAME_KEYS_VERSION, TRANSLITERATION_MARKS

    dotted = " OR ".join("instr(name, ?) > 0" for _ in TRANSLITERATION_MARKS)
    rows = connection.execute(
        f"SELECT id, name, name_pinyin, name_initials FROM resident WHERE {dotted}", tuple(TRANSLITERATION_MARKS)
    ).fetchall()
    changed = 0
    for record_id, name, full, initials in rows:
        keys = resident_search_keys(name, None, None)
        if (keys["name_pinyin"], keys["name_initials"]) != (full, initials):
            connection.execute(
                "UPDATE resident SET name_pinyin = ?, name_initials = ? WHERE id = ?",
                (keys["name_pinyin"], keys["name_initials"], record_id),
            )
            changed += 1
    connection.execute(
        "INSERT OR REPLACE INTO app_setting (key, value) VALUES (?, ?)", (NAME_KEYS_VERSION_KEY, str(NAME_KEYS_VERSION))
    )
    return changed


def starts_with(column, prefix: str):
    """``column`` begins with ``prefix``, as a range an ordinary index answers (unlike LIKE 'x%')."""
    from sqlalchemy import and_

    return and_(column >= prefix, column < prefix + "\uffff")
