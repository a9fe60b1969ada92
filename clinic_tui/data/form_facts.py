"""What a form shows and checks about the resident it records for, read in plain SQLite.

The new visit form is opened right after the first search (issue 19): its title names the resident
and its checks use their age, so it reads these facts as it opens, on the UI thread. Plain
``sqlite3`` here, like the search, so it shows at once while the ORM loads in the background
(docs/architecture.md, "three ways to reach SQLite"); the ORM's services use the same records
(``lookups.resident_facts`` inside their transactions).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from clinic_tui.data.sqlite_file import read_datetime
from clinic_tui.domain.age import completed_years
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_


@dataclass(frozen=True)
class LatestVisit:
    id: str
    visit_at: datetime
    sbp: int | None
    dbp: int | None
    heart_rate: int | None
    weight_kg: float | None
    height_cm: float | None


@dataclass(frozen=True)
class ResidentFacts:
    """What a form shows and checks about the resident it records for."""

    id: str
    name: str
    sex: str
    birth_date: date | None
    chronic_conditions: tuple[str, ...]
    latest_visit: LatestVisit | None

    def age_on(self, day: date) -> int | None:
        return None if self.birth_date is None else completed_years(self.birth_date, day)


def resident_missing() -> DomainError:
    return DomainError(Problem("resident.missing", N_("This resident is no longer on file.")))


def read_form_facts(connection: sqlite3.Connection, resident_id: str | None) -> ResidentFacts:
    """The facts of ``resident_id`` as ``lookups.resident_facts`` reads them through the ORM;
    DomainError when the resident is not on file (or deleted)."""
    row = connection.execute(
        "SELECT id, name, sex, birth_date, chronic_conditions FROM resident WHERE id = ? AND NOT deleted",
        (resident_id,),
    ).fetchone()
    if row is None:
        raise resident_missing()
    latest = connection.execute(
        "SELECT id, visit_at, sbp, dbp, heart_rate, weight_kg, height_cm FROM visit "
        "WHERE resident_id = ? AND deleted = 0 ORDER BY visit_at DESC LIMIT 1",
        (resident_id,),
    ).fetchone()
    born = row[3]
    return ResidentFacts(
        row[0],
        row[1],
        row[2],
        date.fromisoformat(born[:10]) if born else None,
        tuple(json.loads(row[4]) if row[4] else ()),
        None
        if latest is None
        else LatestVisit(latest[0], read_datetime(latest[1]), latest[2], latest[3], latest[4], latest[5], latest[6]),
    )
