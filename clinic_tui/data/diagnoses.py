"""The diagnosis catalogue in the local database: built-in ICD-10 lists and imported county lists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import case, delete, func, insert, or_, select
from sqlmodel import Session

from clinic_tui.data.models import DiagnosisCode
from clinic_tui.data.search_keys import starts_with



@dataclass(frozen=True)
class DiagnosisHit:
    code: str
    name: str
    system: str
    version: str
    curated: bool


def _rows(diagnoses, curated_systems: set[str]) -> list[dict]:
    return [
        {
            "system": d.system, "version": d.version, "code": d.code, "name": d.name,
            "pinyin": d.pinyin_full, "initials": d.pinyin_initials, "level": d.level,
            "curated": d.system in curated_systems, "active": True,
        }
        for d in diagnoses
    ]


def ensure_builtin_catalog(session: Session) -> int:
    """Load the shipped lists once per catalogue version; returns how many rows were written."""
    from clinic_tui.search.icd_catalog import PRIMARY_CARE_SYSTEM, builtin_catalog

    catalog = builtin_catalog()
    wanted = {(d.system, d.version) for d in catalog}
    present = set(session.execute(select(DiagnosisCode.system, DiagnosisCode.version).distinct()).all())
    if wanted <= present:
        return 0
    builtin_systems = {system for system, _ in wanted}
    # A newer shipped version replaces the older one of the same system; imported lists stay.
    session.execute(delete(DiagnosisCode).where(DiagnosisCode.system.in_(builtin_systems)))
    rows = _rows(catalog, {PRIMARY_CARE_SYSTEM})
    session.execute(insert(DiagnosisCode), rows)
    return len(rows)


def import_county_list(session: Session, path: Path, system: str, version: str):
    """Import a county's official list; rows already there for (system, version) are replaced."""
    from clinic_tui.search.icd_catalog import read_county_list

    result = read_county_list(path, system, version)
    if result.diagnoses:
        session.execute(
            delete(DiagnosisCode).where(DiagnosisCode.system == system, DiagnosisCode.version == version)
        )
        session.execute(insert(DiagnosisCode), _rows(result.diagnoses, set()))
    return result


def search_diagnoses(session: Session, query: str, *, limit: int = 20) -> list[DiagnosisHit]:
    """Diagnoses by code prefix, pinyin or initials prefix, or a part of the name; curated first."""
    text = query.strip()
    if not text:
        return []
    lowered = text.lower().replace(" ", "")
    # Codes are stored with an upper-case chapter letter and a lower-case "x" placeholder (I10.x00).
    code = text[:1].upper() + text[1:].replace("X", "x")
    condition = or_(
        starts_with(DiagnosisCode.code, code),
        starts_with(DiagnosisCode.initials, lowered),
        starts_with(DiagnosisCode.pinyin, lowered),
        DiagnosisCode.name.contains(text),
    )
    exact = case((DiagnosisCode.code == code, 0), else_=1)
    statement = (
        select(DiagnosisCode.code, DiagnosisCode.name, DiagnosisCode.system, DiagnosisCode.version,
               DiagnosisCode.curated)
        .where(condition, DiagnosisCode.active == True)  # noqa: E712
        .order_by(exact, DiagnosisCode.curated.desc(), func.length(DiagnosisCode.code), DiagnosisCode.code)
        .limit(limit)
    )
    return [DiagnosisHit(*row) for row in session.execute(statement)]
