"""The diagnosis catalogue in the local database: built-in ICD-10 lists and imported county lists."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, case, delete, func, insert, or_, select
from sqlmodel import Session, col

from clinic_tui.data.db import read_session
from clinic_tui.data.models import DiagnosisCode
from clinic_tui.data.search_keys import starts_with
from clinic_tui.domain.diagnosis_fit import Patient, fits


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
            "system": d.system,
            "version": d.version,
            "code": d.code,
            "name": d.name,
            "pinyin": d.pinyin_full,
            "initials": d.pinyin_initials,
            "level": d.level,
            "curated": d.system in curated_systems,
            "active": True,
            "note": d.note,
            "note_keys": d.note_keys,
        }
        for d in diagnoses
    ]


def ensure_builtin_catalog(session: Session) -> int:
    """Load the shipped lists when they (or the way their keys are made) changed; rows written.

    Whether they changed is decided from a fingerprint of the shipped files, stored beside the
    data, so an ordinary start reads no list and never loads pypinyin.
    """
    from clinic_tui.data.models import AppSetting
    from clinic_tui.search.icd_catalog import (
        BUILTIN_FINGERPRINT_KEY,
        PRIMARY_CARE_SYSTEM,
        builtin_catalog,
        builtin_fingerprint,
    )

    fingerprint = builtin_fingerprint()
    stored = session.get(AppSetting, BUILTIN_FINGERPRINT_KEY)
    if stored is not None and stored.value == fingerprint:
        return 0
    catalog = builtin_catalog()
    wanted = {(d.system, d.version) for d in catalog}
    builtin_systems = {system for system, _ in wanted}
    # A newer shipped version replaces the older one of the same system; imported lists stay.
    session.execute(delete(DiagnosisCode).where(col(DiagnosisCode.system).in_(builtin_systems)))
    rows = _rows(catalog, {PRIMARY_CARE_SYSTEM})
    session.execute(insert(DiagnosisCode), rows)
    session.merge(AppSetting(key=BUILTIN_FINGERPRINT_KEY, value=fingerprint))
    return len(rows)


def import_county_list(session: Session, path: Path, system: str, version: str):
    """Import a county's official list; rows already there for (system, version) are replaced."""
    from clinic_tui.search.icd_catalog import read_county_list

    result = read_county_list(path, system, version)
    if result.diagnoses:
        session.execute(
            delete(DiagnosisCode).where(col(DiagnosisCode.system) == system, col(DiagnosisCode.version) == version)
        )
        session.execute(insert(DiagnosisCode), _rows(result.diagnoses, set()))
    return result


# Enough candidates to rank: every curated match comes first in SQL, before this cut.
_CANDIDATES = 200


def search_diagnoses(
    session: Session,
    query: str,
    *,
    limit: int = 20,
    patient: Patient | None = None,
    use: Mapping[str, int] | None = None,
) -> list[DiagnosisHit]:
    """Diagnoses by code prefix, pinyin or initials (of the name or of the curated clinical name),
    or a part of either name. An exact code comes first; then every code that can apply to the
    ``patient`` before any that cannot (no pregnancy code first for a man or a woman of 76:
    domain.diagnosis_fit); then the codes this clinic uses most (``use``: code -> times used);
    then the curated primary-care codes; each ordered by how closely the query covers the name it
    matched: "gxy" puts I10 (原发性高血压, 3 characters untyped) before I11.0."""
    text = query.strip()
    if not text:
        return []
    lowered = text.lower().replace(" ", "")
    # Codes are stored with an upper-case chapter letter and a lower-case "x" placeholder (I10.x00).
    code = text[:1].upper() + text[1:].replace("X", "x")
    conditions = [
        starts_with(DiagnosisCode.code, code),
        starts_with(DiagnosisCode.initials, lowered),
        starts_with(DiagnosisCode.pinyin, lowered),
        col(DiagnosisCode.name).contains(text),
        col(DiagnosisCode.note).contains(text),
    ]
    if len(lowered) >= 2 and lowered.isascii() and lowered.isalnum():
        # Within a name: 原发性高血压 is "yfxgxy", so the head word 高血压 "gxy" finds it.
        conditions += [col(DiagnosisCode.initials).contains(lowered), col(DiagnosisCode.note_keys).contains(lowered)]
    exact = case((col(DiagnosisCode.code) == code, 0), else_=1)
    statement = (
        select(
            col(DiagnosisCode.code),
            col(DiagnosisCode.name),
            col(DiagnosisCode.system),
            col(DiagnosisCode.version),
            col(DiagnosisCode.curated),
            col(DiagnosisCode.initials),
            col(DiagnosisCode.pinyin),
            col(DiagnosisCode.note),
            col(DiagnosisCode.note_keys),
        )
        .where(or_(*conditions), col(DiagnosisCode.active) == True)
        .order_by(exact, col(DiagnosisCode.curated).desc(), func.length(DiagnosisCode.code), col(DiagnosisCode.code))
        .limit(_CANDIDATES)
    )
    used = use or {}
    rows = sorted(
        session.execute(statement).all(),
        key=lambda row: (
            row.code != code,
            not fits(row.code, patient),
            -used.get(row.code, 0),
            not row.curated,
            _untyped(row, text, lowered),
            len(row.code),
            row.code,
        ),
    )
    return [DiagnosisHit(row.code, row.name, row.system, row.version, row.curated) for row in rows[:limit]]


def find_diagnoses(engine: Engine, query: str, *, limit: int = 5, patient: Patient | None = None) -> list[DiagnosisHit]:
    """The best catalogue matches, one per code: a code in both built-in lists shows once, curated."""
    with read_session(engine) as session:
        hits = search_diagnoses(session, query, limit=limit * 3, patient=patient, use=diagnosis_use(engine, session))
    unique: dict[str, DiagnosisHit] = {}
    for hit in hits:
        unique.setdefault(hit.code, hit)
    return list(unique.values())[:limit]


# How often the clinic uses each code, from its latest visits: the doctor's habits, read once and
# kept a few minutes (a search per keystroke must not count thousands of visits each time).
RECENT_VISITS = 2000
USE_KEPT_SECONDS = 300.0
_use_cache: dict[str, tuple[float, dict[str, int]]] = {}

_USE_SQL = """
SELECT json_extract(chosen.value, '$.code') AS code, count(*) AS times
FROM (SELECT diagnoses FROM visit WHERE deleted = 0 ORDER BY visit_at DESC LIMIT :recent) AS latest,
     json_each(latest.diagnoses) AS chosen
WHERE json_extract(chosen.value, '$.code') IS NOT NULL
GROUP BY 1
"""


def diagnosis_use(engine: Engine, session: Session) -> dict[str, int]:
    """Code -> how many of the clinic's latest visits chose it (cached per database for a while)."""
    from sqlalchemy import text

    key = str(engine.url)
    now = time.monotonic()
    cached = _use_cache.get(key)
    if cached is not None and now - cached[0] < USE_KEPT_SECONDS:
        return cached[1]
    counts = {row.code: row.times for row in session.execute(text(_USE_SQL), {"recent": RECENT_VISITS})}
    _use_cache[key] = (now, counts)
    return counts


def forget_diagnosis_use(engine: Engine) -> None:
    """A visit was saved: the next search counts again."""
    _use_cache.pop(str(engine.url), None)


def _untyped(row, text: str, lowered: str) -> tuple[int, bool]:
    """About how many characters of the closest matching name the query leaves out (fewer first),
    and whether it matched only inside a name: a match at its start, or at its end where Chinese
    puts the head word (肺炎 in 未特指的肺炎), beats one across two words (房炎 in 乳房炎性疾患).
    A match on the code alone counts as far."""
    from clinic_tui.search.icd_catalog import key_pairs, note_terms

    def inside(key: str, typed: str) -> bool:
        return not (key.startswith(typed) or key.endswith(typed))

    scores = [(len(name) - len(text), inside(name, text)) for name in (row.name, *note_terms(row.note)) if text in name]
    for initials, full in key_pairs(row.initials, row.pinyin, row.note_keys):
        if lowered in initials:
            scores.append((len(initials) - len(lowered), inside(initials, lowered)))
        elif lowered in full and initials:
            letters_per_character = len(full) / len(initials)
            scores.append((round((len(full) - len(lowered)) / letters_per_character), inside(full, lowered)))
    return min(scores, default=(1000, True))
