"""The monthly indicators on the demo database, each number checked against an independent SQL count."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import pytest

from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.indicators import month_report
from clinic_tui.data.migrate import open_database
from clinic_tui.domain.indicators import to_csv_rows

TODAY = date(2026, 11, 20)  # the demo data's today


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    import time

    time.tzset()
    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    opened = open_database(path)
    yield opened.engine, sqlite3.connect(path)
    opened.engine.dispose()
    monkeypatch.undo()
    time.tzset()


def _one(db, sql, *args):
    return db.execute(sql, args).fetchone()[0]


@pytest.mark.parametrize("month", [date(2026, 10, 1), date(2026, 11, 1)])
def test_counts_match_independent_sql(demo, month):
    engine, db = demo
    report = month_report(engine, month, TODAY)
    following = f"{month.year}-{month.month + 1:02d}-01"
    # visit_at is stored in UTC: the month starts at 16:00 UTC the day before in China.
    start_utc = _one(db, "select datetime(?, '-8 hours')", month.isoformat())
    end_utc = _one(db, "select datetime(?, '-8 hours')", following)
    assert (
        report.visits
        == _one(db, "select count(*) from visit where deleted=0 and visit_at >= ? and visit_at < ?", start_utc, end_utc)
        > 0
    )
    assert report.followups_done == _one(
        db,
        "select count(*) from followup where deleted=0 and followup_date between ? and date(?, '-1 day')",
        month.isoformat(),
        following,
    )
    assert report.followups_due == _one(
        db,
        "select count(*) from followup where deleted=0 and next_date between ? and date(?, '-1 day')",
        month.isoformat(),
        following,
    )
    for direction, counts in (("up", report.up_by_status), ("down", report.down_by_status)):
        expected = dict(
            db.execute(
                "select status, count(*) from referral where deleted=0 and direction=? and referral_date >= ?"
                " and referral_date < ? group by status",
                (direction, month.isoformat(), following),
            ).fetchall()
        )
        assert counts == expected
    as_of = report.as_of.isoformat()
    signed = _one(
        db,
        "select count(distinct resident_id) from contract where deleted=0 and status != 'pending'"
        " and start_date <= ?1 and end_date >= ?1 and (terminated_on is null or terminated_on > ?1)",
        as_of,
    )
    assert (report.overall.signed, report.overall.population) == (
        signed,
        _one(db, "select count(*) from resident where deleted=0"),
    )
    hypertension = "(select id from resident where deleted=0 and chronic_conditions like '%\"02\"%')"
    assert report.by_population["hypertension"].population == _one(db, f"select count(*) from {hypertension}")
    assert report.by_population["hypertension"].signed == _one(
        db,
        "select count(distinct resident_id) from contract where deleted=0 and status != 'pending'"
        f" and start_date <= ?1 and end_date >= ?1 and (terminated_on is null or terminated_on > ?1)"
        f" and resident_id in {hypertension}",
        as_of,
    )


def test_csv_rows_carry_every_number(demo):
    engine, _db = demo
    report = month_report(engine, date(2026, 11, 1), TODAY)
    rows = to_csv_rows(report, lambda kind, code: f"{kind}:{code}")
    assert rows[0] == ["header:section", "header:item", "header:count", "header:of", "header:rate"]
    assert ["2026-11", "item:visits", str(report.visits), "", ""] in rows
    overall = report.overall
    assert [
        "section:coverage",
        "item:overall",
        str(overall.signed),
        str(overall.population),
        f"{100 * overall.signed / overall.population:.1f}",
    ] in rows
    assert sum(int(r[2]) for r in rows if r[0] == "section:up") == sum(report.up_by_status.values())
