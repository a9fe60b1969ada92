"""bench/county_load.py at a smoke's size: every clinic's sync exits 0 and the hub holds each
clinic's records exactly once (per clinic and per kind), on SQLite and on PostgreSQL. Timings are
not asserted: they mean something only on a quiet machine."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import county_clinics  # noqa: E402

CLINICS, RECORDS = 6, 40


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("county") / f"county-{RECORDS}.db"
    county_clinics.template(path, RECORDS)
    return path


def test_each_clinic_copy_has_ids_of_its_own(template, tmp_path):
    sent = []
    for number in (0, 1):
        path = tmp_path / f"clinic-{number}.db"
        county_clinics.make_clinic(template, path, number, f"CL{number:04d}")
        with sqlite3.connect(path) as db:
            outbox = set(db.execute("SELECT kind, record_id, revision FROM outbox WHERE state = 'pending'"))
            resident_ids = {row[0] for row in db.execute("SELECT id FROM resident")}
            visit_owners = {row[0] for row in db.execute("SELECT resident_id FROM visit")}
            code = db.execute("SELECT code FROM clinic").fetchone()[0]
        assert outbox == county_clinics.expected(template, number)  # what the bench checks against
        assert visit_owners <= resident_ids  # the same mapping in every table: references still hold
        assert code == f"CL{number:04d}"
        sent.append({rid for _kind, rid, _rev in outbox})
    assert len(sent[0]) == len(county_clinics.pending(template))
    assert not sent[0] & sent[1]
    assert not sent[0] & {rid for _kind, rid, _rev in county_clinics.pending(template)}


@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_county_smoke_arrives_exactly_once(db, template):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "county_load.py"), "--clinics", str(CLINICS), "--concurrent", "3"]
        + ["--records", str(RECORDS), "--db", db, "--template", str(template), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    result = json.loads(done.stdout)
    assert result["exit_codes"] == {"0": CLINICS}
    assert result["exactly_once"] and result["problems"] == []
    per_clinic = result["records_per_kind"]
    assert sum(per_clinic.values()) == RECORDS
    assert result["held_per_kind"] == {kind: CLINICS * n for kind, n in per_clinic.items()}
    assert result["held"] == CLINICS * RECORDS
    assert result["not_2xx"] == {}
    push = result["endpoints"]["/api/v1/sync/push"]
    assert push["count"] == CLINICS  # one push each: 40 records fit a batch
    assert result["hub_cpu_seconds"] > 0
    assert (result["db_cpu_seconds"] is not None) == (db == "postgres")
