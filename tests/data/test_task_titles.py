"""A task title the clinic wrote itself is shown in the reader's language (issue 14, item 13): the
demo's referral-check tasks are stored in Chinese ("跟进转诊 <number>"), as the hub received them."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

from clinic_tui import i18n
from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.migrate import open_database
from clinic_tui.data.resident_service import timeline


def test_a_referral_check_reads_in_english_in_the_english_interface(tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    with sqlite3.connect(path) as db:
        resident_id, stored, number = db.execute(
            "SELECT t.resident_id, t.title, r.referral_no FROM task t JOIN referral r ON r.id = t.source_id "
            "WHERE t.kind = 'referral_check' AND t.deleted = 0 LIMIT 1"
        ).fetchone()
    assert stored.startswith("跟进转诊")
    engine = open_database(path).engine
    try:
        i18n.set_language("en")
        lines = [
            item.summary for item in timeline(engine, resident_id, date(2026, 11, 20)).items if item.kind == "task"
        ]
        i18n.set_language("zh")
        chinese = [
            item.summary for item in timeline(engine, resident_id, date(2026, 11, 20)).items if item.kind == "task"
        ]
    finally:
        engine.dispose()
    assert any(line.startswith(f"Check on referral {number}") for line in lines), lines
    assert not any("跟进转诊" in line for line in lines)
    assert any(line.startswith(f"跟进转诊 {number}") for line in chinese)
