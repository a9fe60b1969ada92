"""Finding residents: instant search by name, pinyin, ID tail or phone, in plain SQLite.

Each kind of key is a prefix range scan on its own index (``key >= q AND key < q + U+FFFF``), which
SQLite answers in well under a millisecond whatever the table size; results of several keys are
merged in Python rather than by a SQL UNION, which would have to sort every match before LIMIT.

Plain ``sqlite3``, not the ORM (docs/architecture.md, "three ways to reach SQLite"): the resident
search is what a doctor does first after signing in, and it must not wait for SQLAlchemy and the
table models to load (issue 19: the first search waited 2 s for them on the 100k benchmark).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from clinic_tui.data.search_keys import reverse_digits

_COLUMNS = "id, name, sex, birth_date, id_type, id_number, phone, address"
# The indexed key columns a query can be matched on (never user input: safe to put in the SQL).
_KEY_COLUMNS = frozenset({"name", "name_initials", "name_pinyin", "id_number_rev", "phone", "phone_rev"})


@dataclass(frozen=True)
class ResidentHit:
    id: str
    name: str
    sex: str
    birth_date: date | None
    id_type: str
    id_number: str | None
    phone: str | None
    address: str | None
    matched_by: str  # name | pinyin | initials | id_tail | phone | phone_tail | duplicate


def _branches(query: str) -> list[tuple[str, str, str]]:
    """(matched_by, key column, prefix) for each key the query can be."""
    from clinic_tui.search.pinyin import classify_query, normalize_query

    kind = classify_query(query)
    text = normalize_query(query)
    if kind == "hanzi":
        return [("name", "name", text)]
    if kind == "latin":
        return [("initials", "name_initials", text), ("pinyin", "name_pinyin", text)]
    if kind == "digits":
        tail = reverse_digits(text) or ""
        return [("id_tail", "id_number_rev", tail), ("phone", "phone", text), ("phone_tail", "phone_rev", tail)]
    return []


def search_residents(
    connection: sqlite3.Connection, query: str, *, limit: int = 50, offset: int = 0
) -> list[ResidentHit]:
    """Residents matching ``query``, best key first; a page of ``limit`` rows from ``offset``."""
    hits: dict[str, ResidentHit] = {}
    for matched_by, column, prefix in _branches(query):
        assert column in _KEY_COLUMNS
        rows = connection.execute(
            f"SELECT {_COLUMNS} FROM resident WHERE {column} >= ? AND {column} < ? AND deleted = 0 "
            f"ORDER BY {column}, id LIMIT ?",
            (prefix, prefix + "\uffff", limit + offset),
        )
        for row in rows:
            if row[0] not in hits:
                hits[row[0]] = hit_of(tuple(row), matched_by)
        if len(hits) >= limit + offset:
            break
    return list(hits.values())[offset : offset + limit]


def hit_of(row: tuple, matched_by: str) -> ResidentHit:
    """A hit from the eight columns above, as SQLite returns them (the birth date as ISO text)."""
    born = row[3]
    if isinstance(born, str):
        born = date.fromisoformat(born[:10])
    return ResidentHit(row[0], row[1], row[2], born, row[4], row[5], row[6], row[7], matched_by=matched_by)
