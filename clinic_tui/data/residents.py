"""Finding residents: instant search by name, pinyin, ID tail or phone, and likely duplicates.

Each kind of key is a prefix range scan on its own index (``key >= q AND key < q + U+FFFF``), which
SQLite answers in well under a millisecond whatever the table size; results of several keys are
merged in Python rather than by a SQL UNION, which would have to sort every match before LIMIT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from clinic_tui.data.models import Resident
from clinic_tui.data.search_keys import reverse_digits, starts_with

_COLUMNS = (
    col(Resident.id),
    col(Resident.name),
    col(Resident.sex),
    col(Resident.birth_date),
    col(Resident.id_type),
    col(Resident.id_number),
    col(Resident.phone),
    col(Resident.address),
)


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
    matched_by: str  # name | pinyin | initials | id_tail | phone | phone_tail


def _branches(query: str) -> list[tuple[str, Mapped[str | None], str]]:
    """(matched_by, column, prefix) for each key the query can be."""
    from clinic_tui.search.pinyin import classify_query, normalize_query

    kind = classify_query(query)
    text = normalize_query(query)
    if kind == "hanzi":
        return [("name", col(Resident.name), text)]
    if kind == "latin":
        return [("initials", col(Resident.name_initials), text), ("pinyin", col(Resident.name_pinyin), text)]
    if kind == "digits":
        tail = reverse_digits(text) or ""
        return [
            ("id_tail", col(Resident.id_number_rev), tail),
            ("phone", col(Resident.phone), text),
            ("phone_tail", col(Resident.phone_rev), tail),
        ]
    return []


def search_residents(session: Session, query: str, *, limit: int = 50, offset: int = 0) -> list[ResidentHit]:
    """Residents matching ``query``, best key first; a page of ``limit`` rows from ``offset``."""
    hits: dict[str, ResidentHit] = {}
    for matched_by, column, prefix in _branches(query):
        statement = (
            select(*_COLUMNS)
            .where(starts_with(column, prefix), col(Resident.deleted) == False)  # noqa: E712
            .order_by(column, col(Resident.id))
            .limit(limit + offset)
        )
        for row in session.execute(statement):
            hits.setdefault(row.id, ResidentHit(*row, matched_by=matched_by))  # type: ignore[misc]  # row: the 8 _COLUMNS
        if len(hits) >= limit + offset:
            break
    return list(hits.values())[offset : offset + limit]


def likely_duplicates(
    session: Session,
    *,
    name: str,
    birth_date: date | None,
    id_type: str | None,
    id_number: str | None,
    exclude_id: str | None = None,
) -> list[ResidentHit]:
    """Residents who are probably the same person: same document number, or same name and birth date."""
    conditions = []
    if id_number:
        conditions.append(and_(col(Resident.id_type) == (id_type or "01"), col(Resident.id_number) == id_number))
    if name and birth_date:
        conditions.append(and_(col(Resident.name) == name, col(Resident.birth_date) == birth_date))
    if not conditions:
        return []
    statement = select(*_COLUMNS).where(or_(*conditions), col(Resident.deleted) == False)  # noqa: E712
    if exclude_id:
        statement = statement.where(col(Resident.id) != exclude_id)
    rows = session.execute(statement)
    return [ResidentHit(*row, matched_by="duplicate") for row in rows]  # type: ignore[misc]  # the 8 _COLUMNS
