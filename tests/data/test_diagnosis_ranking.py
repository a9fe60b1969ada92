"""Diagnosis search ranked for the patient and by the clinic's use (issue 14, item 16), on the demo copy."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.diagnoses import forget_diagnosis_use
from clinic_tui.data.migrate import open_database
from clinic_tui.data.store import Store
from clinic_tui.domain.diagnosis_fit import Patient, fits


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    opened = open_database(path)
    store = Store(path, opened.engine)
    yield store, sqlite3.connect(path)
    forget_diagnosis_use(opened.engine)
    opened.engine.dispose()


def _resident(db, sex: str, born_before: str) -> str:
    row = db.execute(
        "SELECT id FROM resident WHERE sex = ? AND birth_date < ? AND deleted = 0 ORDER BY birth_date LIMIT 1",
        (sex, born_before),
    ).fetchone()
    assert row is not None
    return row[0]


def test_no_pregnancy_code_is_offered_to_a_woman_of_76_or_to_a_man_before_those_that_fit(demo):
    store, db = demo
    anyone = [hit.code for hit in store.diagnoses.find("gxy", limit=5)]
    assert any(code.startswith("O") for code in anyone)  # O13 妊娠期高血压 matches "gxy" (the case)
    for resident_id in (_resident(db, "2", "1951-01-01"), _resident(db, "1", "1960-01-01")):
        codes = [hit.code for hit in store.diagnoses.find("gxy", limit=5, resident_id=resident_id)]
        assert codes[0] == "I10"
        assert not any(code.startswith("O") for code in codes), codes


def test_a_code_that_cannot_apply_comes_after_every_one_that_can(demo):
    store, db = demo
    woman = _resident(db, "2", "1951-01-01")
    codes = [hit.code for hit in store.diagnoses.find("rs", limit=40, resident_id=woman)]  # 妊娠 and more
    patient = Patient("2", 76)
    verdicts = [fits(code, patient) for code in codes]
    assert False in verdicts and verdicts == sorted(verdicts, reverse=True)


def test_the_codes_the_clinic_uses_most_come_first(demo):
    store, db = demo
    (e119,) = db.execute(
        "SELECT count(*) FROM visit, json_each(visit.diagnoses) AS d WHERE json_extract(d.value, '$.code') = 'E11.9'"
    ).fetchone()
    assert e119 > 0
    assert store.diagnoses.find("tnb")[0].code == "E11.9"  # the demo clinic's diabetes code, not E11.5
    # The clinic turns to E11.5 (周围循环并发症) for most of its diabetic patients: the ranking follows.
    db.execute(
        "UPDATE visit SET diagnoses = replace(diagnoses, '\"E11.9\"', '\"E11.5\"') "
        "WHERE id IN (SELECT visit.id FROM visit, json_each(visit.diagnoses) AS d "
        "WHERE json_extract(d.value, '$.code') = 'E11.9')"
    )
    db.commit()
    assert store.diagnoses.find("tnb")[0].code == "E11.9"  # counted a few minutes ago: kept
    forget_diagnosis_use(store.engine)  # what saving a visit does
    assert store.diagnoses.find("tnb")[0].code == "E11.5"
