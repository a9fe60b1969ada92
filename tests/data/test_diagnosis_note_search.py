"""Diagnosis search by the curated clinical name (the note), and its ranking (issue 3)."""

from __future__ import annotations

import time

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.diagnoses import ensure_builtin_catalog, search_diagnoses
from clinic_tui.search.icd_catalog import note_terms


def _codes(engine, query, limit=20):
    with read_session(engine) as session:
        return [h.code for h in search_diagnoses(session, query, limit=limit)]


def test_the_clinical_names_in_a_note_are_its_terms_without_the_curators_remarks():
    assert note_terms("原发性高血压;国临版2.0编码为I10.x00") == ["原发性高血压"]
    assert note_terms("冠心病(冠状动脉粥样硬化性心脏病)") == ["冠心病", "冠状动脉粥样硬化性心脏病"]
    assert note_terms("常称急性胃肠炎;待核对") == ["急性胃肠炎"]
    assert note_terms("慢阻肺(COPD)") == ["慢阻肺", "COPD"]
    assert note_terms("待核对") == []


def test_pinyin_of_the_common_name_ranks_the_primary_care_code_first(engine):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
    assert _codes(engine, "gxy")[0] == "I10"  # 高血压 -> 原发性高血压, not 高血压心脏病
    assert _codes(engine, "gaoxueya")[0] == "I10"
    assert _codes(engine, "gxb")[0] == "I25.1"  # 冠心病, only in the note
    assert _codes(engine, "冠心病")[0] == "I25.1"
    assert _codes(engine, "copd")[0].startswith("J44")
    assert _codes(engine, "I10")[0] == "I10" and _codes(engine, "e11.9")[0] == "E11.9"  # codes still first
    assert _codes(engine, "上呼吸道感染")[0] == "J06.9"


def test_a_search_takes_milliseconds(engine):
    with unit_of_work(engine) as session:
        ensure_builtin_catalog(session)
    started = time.perf_counter()
    for query in ("gxy", "tnb", "gm", "g", "冠心病", "I1"):
        assert _codes(engine, query)
    assert (time.perf_counter() - started) / 6 < 0.05
