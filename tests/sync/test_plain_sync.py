"""Issue 19: a ``clinic-tui sync`` process costs little CPU because it loads little.

An ordinary sync (nothing to send, or a day of new records) runs on plain sqlite3: SQLAlchemy,
SQLModel, the table models, Alembic and the UI libraries stay unloaded (docs/sync.md, "Cost of a
sync"). These tests guard the structure, not a time: the CLI's modules after real syncs, the plain
copy of the models' tables, and the ORM still used when a pull brings the hospital's records.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from clinic_hub import changes
from clinic_tui.data.db import read_session
from clinic_tui.data.models import Broadcast
from clinic_tui.sync import tables
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.local import ClinicFile

from .conftest import database_path
from .sync_helpers import register

ROOT = Path(__file__).resolve().parents[2]
# What an ordinary sync does not need: the ORM and migrations, the UI and its libraries, pinyin,
# and pydantic (its answers are read by sync/answers.py; the wire models are for pages with changes).
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "textual", "rich", "pygments", "click", "pypinyin", "pydantic")

_PROBE = """
import json, sys
from clinic_tui.cli import main
argv = ["sync", "--db", sys.argv[1], "--hub", sys.argv[2], "--token", sys.argv[3], "--quiet"]
codes = [main(argv), main(argv)]  # a day's records, then nothing to send
print(json.dumps({"codes": codes, "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
""".replace("HEAVY", repr(HEAVY))


def test_the_plain_tables_are_the_models():
    assert tables.from_models() == tables.SYNCED_TABLES, (
        "a synced model changed: run `python -m clinic_tui.sync.tables` to write clinic_tui/sync/tables.py again"
    )


def test_a_cli_sync_loads_neither_the_orm_nor_the_ui(own_hub, small_clinic, tmp_path):
    hub = own_hub()  # its own: nothing published by other tests comes down with the pull
    path = database_path(small_clinic)
    _, token = register(hub, small_clinic)
    small_clinic.dispose()
    env = {
        **os.environ,
        "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
        "CLINIC_TUI_LANG": "en",
    }
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(path), hub.base_url, token],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"codes": [0, 0], "loaded": []}, result.stderr


def test_a_clinic_file_writes_what_the_pull_brings_through_the_orm(own_hub, small_clinic, clinic_settings):
    hub = own_hub()
    path = database_path(small_clinic)
    _, token = register(hub, small_clinic)
    with hub.engine.begin() as conn:
        changes.publish(
            conn,
            kind="broadcast",
            record_id="7d0c3c1e-7f55-4b8e-9d1a-0b7e1d0f0002",
            addressee_clinic_id=None,
            clinic_code=None,
            fields={"title": "停诊通知", "body": "周日心内科停诊"},
        )
    database = ClinicFile(path)
    try:
        report = run_sync(database, clinic_settings(hub, path), token=token)
        assert report.outcome == "ok", report.message
        assert (report.accepted, report.pulled) == (7, 1)  # the doctor, 3 residents, 3 visits; the notice
        again = run_sync(database, clinic_settings(hub, path), token=token)
        assert (again.outcome, again.pushed, again.pulled) == ("ok", 0, 0)
    finally:
        database.dispose()
    with read_session(small_clinic) as session:
        notices = list(session.exec(select(Broadcast)))
    assert [(n.title, n.body) for n in notices] == [("停诊通知", "周日心内科停诊")]


def test_a_clinic_file_gives_another_thread_its_own_connection(small_clinic):
    """The sync works out its own reconcile numbers on a second thread while the hub answers the
    pull; sqlite3 refuses a connection another thread opened, so that thread gets its own."""
    from concurrent.futures import ThreadPoolExecutor

    from clinic_tui.sync import state
    from clinic_tui.sync.local import reading

    database = ClinicFile(database_path(small_clinic))
    try:
        with reading(database) as cursor:  # the kept connection, opened on this thread
            assert cursor.execute("SELECT count(*) FROM outbox").fetchone()[0] == 7
        here = state.local_reconcile(database)
        with ThreadPoolExecutor(1) as other:
            there = other.submit(state.local_reconcile, database).result()
        with reading(database) as cursor:
            assert cursor.execute("SELECT count(*) FROM outbox").fetchone()[0] == 7  # still its own, still open
    finally:
        database.dispose()
    assert there == here


_NOTHING_TO_SEND = """
import json, sys
from clinic_tui.cli import main
code = main(["sync", "--db", sys.argv[1], "--hub", sys.argv[2], "--token", sys.argv[3], "--quiet"])
print(json.dumps({"code": code, "loaded": sorted(m for m in HEAVY if m in sys.modules)}))
""".replace("HEAVY", repr((*HEAVY, "pydantic_core")))


def test_a_sync_with_nothing_to_send_does_not_load_pydantic(own_hub, small_clinic, clinic_settings, tmp_path):
    """Issue 19: a sync with nothing to send is one exchange (a pull page with the reconcile
    numbers), read with the standard library (sync/answers.py): pydantic and the wire models, most
    of such a process's CPU beside Python itself, stay unloaded."""
    hub = own_hub()
    path = database_path(small_clinic)
    _, token = register(hub, small_clinic)
    database = ClinicFile(path)
    try:  # the day's records go up first: what is left is an evening with nothing new
        assert run_sync(database, clinic_settings(hub, path), token=token).outcome == "ok"
    finally:
        database.dispose()
    small_clinic.dispose()
    env = {
        **os.environ,
        "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
        "CLINIC_TUI_LANG": "en",
    }
    result = subprocess.run(
        [sys.executable, "-c", _NOTHING_TO_SEND, str(path), hub.base_url, token],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"code": 0, "loaded": []}, result.stderr
