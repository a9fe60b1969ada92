"""Keeping ``followup_due`` true: the next follow-up date of each managed patient and disease.

A resident with hypertension (CV02.10.006 code 02) or type 2 diabetes (03) is managed; the next date
is the one set at their latest follow-up, or the day they were put on file when there is none yet.
The same SQL serves a full rebuild (migration, generator) and the refresh of one resident.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

MANAGED = (("hypertension", "02"), ("diabetes", "03"))

_ONE_DISEASE = """
SELECT r.id AS resident_id, :disease AS disease,
       COALESCE(f.next_date, f.followup_date, date(r.created_at)) AS next_date,
       f.id AS last_followup_id
FROM resident r
LEFT JOIN followup f ON f.id = (
    SELECT g.id FROM followup g
    WHERE g.resident_id = r.id AND g.disease = :disease AND g.deleted = 0
    ORDER BY g.followup_date DESC, g.created_at DESC LIMIT 1)
WHERE r.deleted = 0
  AND EXISTS (SELECT 1 FROM json_each(r.chronic_conditions) WHERE json_each.value = :code)
  {only_one}
"""


def _statements(only_one: bool):
    where = "AND r.id = :resident_id" if only_one else ""
    return text(
        f"INSERT INTO followup_due (resident_id, disease, next_date, last_followup_id) "
        f"{_ONE_DISEASE.format(only_one=where)}"
    )


def refresh_for(session: Session, resident_id: str) -> None:
    """Recompute the rows of one resident (after a follow-up or the resident changed)."""
    session.execute(text("DELETE FROM followup_due WHERE resident_id = :id"), {"id": resident_id})
    insert = _statements(only_one=True)
    for disease, code in MANAGED:
        session.execute(insert, {"disease": disease, "code": code, "resident_id": resident_id})


def rebuild(connection) -> None:
    """Recompute every row (a migration, the demo generator, or a repair)."""
    connection.execute(text("DELETE FROM followup_due"))
    insert = _statements(only_one=False)
    for disease, code in MANAGED:
        connection.execute(insert, {"disease": disease, "code": code})
