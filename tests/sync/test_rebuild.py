"""Rebuilding a clinic from the hub (issue 15; sync invariant 11), against a real hub on loopback:
a new PC with only the clinic's token ends with the same records as the hub, kind by kind."""

from __future__ import annotations

import io
import shutil
import sqlite3

from clinic_tui.cli import main
from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.migrate import open_database
from clinic_tui.data.staff import verify_pin
from clinic_tui.sync import state
from clinic_tui.sync.engine import EXIT_CONFIG, run_sync

from .conftest import database_path


def _numbers(path):
    engine = open_database(path).engine
    try:
        return state.local_reconcile(engine)
    finally:
        engine.dispose()


def test_a_clinic_is_rebuilt_from_its_token_with_every_record_the_hub_holds(
    own_hub, clinic_settings, tmp_path, capsys, monkeypatch
):
    hub = own_hub()
    old = tmp_path / "old-pc.db"
    shutil.copyfile(EXAMPLE_DATABASE, old)
    with sqlite3.connect(old) as db:
        (code,) = db.execute("SELECT code FROM clinic").fetchone()
        # The demo's downward referrals were made up as if sent by the hospital: no hub holds them,
        # so this hub could give back neither them nor the clinic's events on them. Left out here;
        # a real clinic receives them from its hub, and a rebuild pulls them back.
        down = "SELECT id FROM referral WHERE direction = 'down'"
        db.execute(
            f"DELETE FROM outbox WHERE record_id IN (SELECT id FROM referral_event WHERE referral_id IN ({down}))"
        )
        db.execute(f"DELETE FROM referral_event WHERE referral_id IN ({down})")
        db.execute(f"DELETE FROM outbox WHERE record_id IN ({down})")
        db.execute("DELETE FROM referral WHERE direction = 'down'")
    _, token = hub.new_clinic(code)
    engine = open_database(old).engine
    assert run_sync(engine, clinic_settings(hub, old), token=token).outcome == "ok"
    engine.dispose()
    before = _numbers(old)
    assert before["visit"][0] > 1000 and before["user"][0] >= 4
    assert before["remote_request"][0] == 5  # the demo's remote requests come back like the rest

    new = tmp_path / "new-pc" / "clinic.db"
    command = ["--db", str(new), "sync", "rebuild", "--hub", hub.base_url, "--token", token]
    assert main(command) == 0
    said = capsys.readouterr().out
    assert code in said and "测试村卫生室" in said  # as registered on the hub (tests/sync/conftest.py)
    assert _numbers(new) == before  # count and hash of every kind, as the hub holds them
    with sqlite3.connect(new) as db:
        assert db.execute("SELECT code, name FROM clinic").fetchall() == [(code, "测试村卫生室")]
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0  # nothing owed to the hub
        assert db.execute("SELECT count(*) FROM app_setting WHERE key = 'restored_from'").fetchone()[0] == 0
        staff = [row[0] for row in db.execute("SELECT name FROM staff WHERE deleted = 0")]
        assert db.execute("SELECT count(*) FROM staff WHERE pin_hash IS NOT NULL").fetchone()[0] == 0
    assert all(person in said for person in staff)  # listed: they have no PIN until one is set
    # The next end-of-day sync finds nothing to do, and the hub agrees.
    assert main(["--db", str(new), "sync", "--hub", hub.base_url, "--token", token, "--quiet"]) == 0

    # A PIN set again, read from a pipe as a script would give it.
    monkeypatch.setattr("sys.stdin", io.StringIO("4321\n"))
    assert main(["--db", str(new), "staff", "set-pin", staff[0]]) == 0
    with sqlite3.connect(new) as db:
        (stored,) = db.execute("SELECT pin_hash FROM staff WHERE name = ?", (staff[0],)).fetchone()
    assert verify_pin("4321", stored) and not verify_pin("1234", stored)


def test_a_rebuild_never_writes_over_a_file(own_hub, tmp_path, capsys):
    hub = own_hub()
    _, token = hub.new_clinic()
    there = tmp_path / "clinic.db"
    there.write_bytes(b"")  # an emptied file: still not ours to replace
    assert main(["--db", str(there), "sync", "rebuild", "--hub", hub.base_url, "--token", token]) == EXIT_CONFIG
    assert there.read_bytes() == b""
    assert "clinic-tui db restore" in capsys.readouterr().err


def test_a_pin_must_be_digits_and_the_name_must_be_on_the_staff(tmp_path, capsys, monkeypatch):
    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    monkeypatch.setattr("sys.stdin", io.StringIO("12a\n"))
    assert main(["--db", str(path), "staff", "set-pin", "李建国"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("5678\n"))
    assert main(["--db", str(path), "staff", "set-pin", "无此人"]) == 1
    assert "李建国" in capsys.readouterr().err  # the staff are named
    monkeypatch.setattr("sys.stdin", io.StringIO("5678\n"))
    assert main(["--db", str(path), "staff", "set-pin", "李建国"]) == 0
    with sqlite3.connect(path) as db:
        (stored,) = db.execute("SELECT pin_hash FROM staff WHERE name = '李建国'").fetchone()
    assert verify_pin("5678", stored)


def test_a_rebuild_takes_back_the_clinics_events_on_the_hospitals_downward_referral(
    own_hub, small_clinic, doctor, clinic_settings, tmp_path
):
    """The clinic's acknowledgement of a downward referral (and the follow-up tasks it made) point
    at a record the hospital owns, which a rebuilt clinic receives by pull: they wait for that pull
    and are taken back after it (sync/recovery.py WAITING_KINDS), so nothing the clinic did is lost."""
    from sqlalchemy import select, update

    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.downward_service import acknowledge
    from clinic_tui.data.models import Clinic, Referral, Resident

    hub = own_hub()
    engine = small_clinic
    code, token = hub.new_clinic()
    with unit_of_work(engine) as session:
        session.execute(update(Clinic).values(code=code))
        resident = session.execute(select(Resident).where(Resident.name == "王小1")).scalar_one()
    old = database_path(engine)
    settings = clinic_settings(hub, old)
    assert run_sync(engine, settings, token=token).outcome == "ok"
    with hub.desk() as desk:  # the hospital discharges the patient back to this clinic
        sent = desk.post(
            "/downward-referrals",
            json={
                "clinic_code": code,
                "resident_id": resident.id,
                "patient_name": resident.name,
                "discharge_diagnoses": [{"code": "I10", "name": "原发性高血压"}],
                "outcome": "2",
                "followup_schedule": [{"after_days": 7, "what": "复查血压"}],
                "reason": "病情稳定，回社区随访",
            },
        )
        assert sent.status_code in (200, 201), sent.text
    assert run_sync(engine, settings, token=token).outcome == "ok"  # the slip arrives
    with unit_of_work(engine) as session:
        down = session.execute(select(Referral).where(Referral.direction == "down")).scalar_one()
    tasks = acknowledge(engine, down.id, user_id=doctor.id)
    assert tasks  # the follow-up asked for
    assert run_sync(engine, settings, token=token).outcome == "ok"  # the acknowledgement reaches the hub
    before = state.local_reconcile(engine)
    assert before["referral_event"][0] == 1 and before["task"][0] == len(tasks)
    engine.dispose()

    new = tmp_path / "new-pc" / "clinic.db"
    assert main(["--db", str(new), "sync", "rebuild", "--hub", hub.base_url, "--token", token]) == 0
    assert _numbers(new) == before
    with sqlite3.connect(new) as db:
        assert db.execute("SELECT status FROM referral WHERE direction = 'down'").fetchall() == [("acknowledged",)]
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM app_setting WHERE key = 'restored_from'").fetchone()[0] == 0
