"""Likely duplicates of a resident being registered (same document, or same name and birth date).

The search itself is in data/resident_search.py, in plain SQLite.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from clinic_tui.data.models import Resident
from clinic_tui.data.resident_search import ResidentHit

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
    statement = select(*_COLUMNS).where(or_(*conditions), col(Resident.deleted) == False)
    if exclude_id:
        statement = statement.where(col(Resident.id) != exclude_id)
    rows = session.execute(statement)
    return [ResidentHit(*row, matched_by="duplicate") for row in rows]  # type: ignore[misc]  # the 8 _COLUMNS
