"""The diagnosis catalogue in the database: built-in lists, county imports, search."""

from __future__ import annotations

from sqlalchemy import func, select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog, import_county_list, search_diagnoses
from clinic_tui.data.models import DiagnosisCode


def _count(engine, **where):
    with read_session(engine) as session:
        statement = select(func.count()).select_from(DiagnosisCode)
        for column, value in where.items():
            statement = statement.where(getattr(DiagnosisCode, column) == value)
        return session.execute(statement).scalar_one()


def _codes(engine, query, limit=20):
    with read_session(engine) as session:
        return [(h.code, h.name) for h in search_diagnoses(session, query, limit=limit)]


def test_the_builtin_catalogue_is_loaded_once(engine):
    with unit_of_work(engine) as session:
        written = ensure_builtin_catalog(session)
    with unit_of_work(engine) as session:
        again = ensure_builtin_catalog(session)
    assert written > 1700 and again == 0
    assert _count(engine) == written
    assert _count(engine, system="ICD-10-primary-care") > 150


def test_search_by_code_pinyin_initials_and_name_puts_the_curated_code_first(engine):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
    assert _codes(engine, "I10")[0][0] == "I10"
    assert _codes(engine, "i10")[0][0] == "I10"
    assert _codes(engine, "e11.9")[0][0] == "E11.9"
    by_initials = _codes(engine, "gxy")
    assert any("高血压" in name for _code, name in by_initials)
    assert _codes(engine, "上呼吸道感染")[0][0] == "J06.9"
    assert _codes(engine, "") == []


def test_a_county_list_is_imported_beside_the_builtin_one_and_replaced_on_reimport(engine, tmp_path):
    csv = tmp_path / "county.csv"
    csv.write_text("诊断编码,诊断名称\nI10.x00,原发性高血压\nE11.900,2型糖尿病\nBAD,坏行\n", encoding="utf-8-sig")
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
        result = import_county_list(session, csv, "ICD-10-GB-clinical", "2.0")
    assert len(result.diagnoses) == 2 and len(result.problems) == 1
    assert _count(engine, system="ICD-10-GB-clinical") == 2
    assert ("I10.x00", "原发性高血压") in _codes(engine, "I10.X")
    csv.write_text("诊断编码,诊断名称\nI10.x00,原发性高血压\n", encoding="utf-8-sig")
    with unit_of_work(engine) as session:
        import_county_list(session, csv, "ICD-10-GB-clinical", "2.0")
    assert _count(engine, system="ICD-10-GB-clinical") == 2 - 1
    assert _count(engine, system="ICD-10") > 1500  # the built-in lists are untouched
