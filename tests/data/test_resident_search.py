"""Finding residents by name, pinyin, initials, ID tail and phone; spotting likely duplicates."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import Resident
from clinic_tui.data.resident_search import search_residents
from clinic_tui.data.residents import likely_duplicates
from clinic_tui.data.sqlite_file import reading

PEOPLE = [
    ("张三", "11010519491231002X", "13800138000", date(1949, 12, 31)),
    ("张珊珊", "510112198003150027", "13912345678", date(1980, 3, 15)),
    ("曾国强", "510112196507080015", "0288 6123456", date(1965, 7, 8)),
    ("单丽", None, "15000001234", None),
    ("欧阳明", "510112200102030037", None, date(2001, 2, 3)),
    ("买买提·艾力", "650102197001010018", "18099990000", date(1970, 1, 1)),
]


@pytest.fixture
def residents(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        made = {
            name: records.create(
                session,
                Resident(clinic_id=clinic.id, name=name, id_number=number, phone=phone, birth_date=born),
                doctor.id,
            )
            for name, number, phone, born in PEOPLE
        }
    return made


def _names(engine, query, **kwargs):
    with reading(engine.url.database) as connection:
        return [hit.name for hit in search_residents(connection, query, **kwargs)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("张", ["张三", "张珊珊"]),
        ("张珊", ["张珊珊"]),
        ("zs", ["张三", "张珊珊"]),
        ("ZS", ["张三", "张珊珊"]),
        ("zhangs", ["张三", "张珊珊"]),
        ("zhang san", ["张三"]),
        ("zgq", ["曾国强"]),  # 曾 as a surname reads zeng, not ceng
        ("zengguo", ["曾国强"]),
        ("shanli", ["单丽"]),  # 单 as a surname reads shan
        ("oym", ["欧阳明"]),
        ("mmt", ["买买提·艾力"]),
        ("002x", ["张三"]),  # ID tail, lower-case x accepted
        ("0027", ["张珊珊"]),
        ("1391234", ["张珊珊"]),  # phone prefix
        ("1234", ["单丽"]),  # phone tail
        ("王", []),
    ],
)
def test_search_by_each_key(engine, residents, query, expected):
    assert sorted(_names(engine, query)) == sorted(expected)


def test_results_say_which_key_matched(engine, residents):
    with reading(engine.url.database) as connection:
        (hit,) = search_residents(connection, "002X")
    assert (hit.name, hit.matched_by) == ("张三", "id_tail")


def test_deleted_residents_are_not_found(engine, residents, doctor):
    with unit_of_work(engine) as session:
        records.tombstone(session, session.get(Resident, residents["张三"].id), doctor.id)
    assert _names(engine, "zs") == ["张珊珊"]


def test_a_renamed_resident_is_found_by_the_new_name(engine, residents, doctor):
    with unit_of_work(engine) as session:
        records.update(session, session.get(Resident, residents["单丽"].id), {"name": "解丽"}, doctor.id)
    assert _names(engine, "xieli") == ["解丽"]  # 解 as a surname reads xie
    assert _names(engine, "shanli") == []


def test_results_are_paged_from_sql(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        for i in range(30):
            records.create(session, Resident(clinic_id=clinic.id, name=f"王{chr(0x4E00 + i)}"), doctor.id)
    first = _names(engine, "王", limit=10)
    second = _names(engine, "王", limit=10, offset=10)
    everything = _names(engine, "王", limit=100)
    assert len(first) == len(second) == 10 and len(everything) == 30
    assert not set(first) & set(second)
    assert first + second == everything[:20]


def test_empty_and_blank_queries_find_nothing(engine, residents):
    assert _names(engine, "") == [] and _names(engine, "   ") == []


def test_likely_duplicates_by_document_or_by_name_and_birth_date(engine, residents):
    with read_session(engine) as session:
        by_id = likely_duplicates(session, name="别名", birth_date=None, id_type="01", id_number="11010519491231002X")
        by_name = likely_duplicates(session, name="张珊珊", birth_date=date(1980, 3, 15), id_type="01", id_number=None)
        itself = likely_duplicates(
            session,
            name="张珊珊",
            birth_date=date(1980, 3, 15),
            id_type="01",
            id_number=None,
            exclude_id=residents["张珊珊"].id,
        )
        nobody = likely_duplicates(session, name="张珊珊", birth_date=date(1981, 3, 15), id_type="01", id_number=None)
    assert [h.name for h in by_id] == ["张三"]
    assert [h.name for h in by_name] == ["张珊珊"]
    assert itself == [] and nobody == []
