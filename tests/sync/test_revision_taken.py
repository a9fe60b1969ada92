"""Protocol revision 4 (docs/protocol.md, "Revisions"; docs/sync.md, "Exchanges"), against a real hub:
an edit made over a backup copied back by hand, whose revision the hub already holds as another
version, is answered ``revision_taken`` instead of "duplicate", and the clinic takes back and sends
its edit above the hub's revision in the same sync, without asking the hub's numbers before the
push. A hub before revision 4 is still compared with first when an edit waits, and a client before
it (which always compares first, and reads the answer as a plain duplicate) syncs as it did."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.maintenance import backup_to
from clinic_tui.data.migrate import open_database
from clinic_tui.data.models import Resident
from clinic_tui.sync import recovery
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import edit, hub_record, register

PUSH, PULL, RECONCILE, OWN = (
    ("POST", "/sync/push"),
    ("GET", "/sync/pull"),
    ("GET", "/sync/reconcile"),
    ("GET", "/sync/own"),
)


def _resident(engine, name):
    with read_session(engine) as session:
        return session.execute(select(Resident).where(Resident.name == name)).scalar_one()


def _sync_ok(engine, settings, token):
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok" and report.exit_code == 0, report.message
    assert report.receipt is not None and report.receipt.mismatched == []
    return report


def _copy_back(engine, path: Path, backup: Path):
    """The bad day: a backup copied over the database file by hand (no ``db restore`` mark)."""
    engine.dispose()
    for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        side.unlink(missing_ok=True)
    shutil.copyfile(backup, path)
    return open_database(path).engine


def _edit_over_a_copied_backup(hub, engine, clinic_settings, tmp_path):
    """Sync, back up, edit 王小1 (revision 2) and sync, copy the backup back, edit 王小1 otherwise:
    revision 2 again, another version than the hub's. Returns (engine, settings, token, record id)."""
    path = database_path(engine)
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, path)
    _sync_ok(engine, settings, token)
    backup = backup_to(path, tmp_path / "backups" / "clinic-20261202.db")
    assert edit(engine, "王小1", phone="13800000001") == 2
    _sync_ok(engine, settings, token)
    record_id = _resident(engine, "王小1").id
    assert hub_record(hub, record_id)[0] == 2

    engine = _copy_back(engine, path, backup)
    assert _resident(engine, "王小1").revision == 1
    assert edit(engine, "王小1", address="新地址 2 号") == 2  # the revision the hub holds, other contents
    return engine, settings, token, record_id


def test_an_edit_over_a_copied_backup_reaches_the_hub_without_comparing_first(
    hub, small_clinic, clinic_settings, tmp_path, exchanges
):
    engine, settings, token, record_id = _edit_over_a_copied_backup(hub, small_clinic, clinic_settings, tmp_path)
    assert recovery.stored_hub_numbers(engine)["protocol_revision"] == 4  # the copied file knows its hub
    exchanges()

    report = _sync_ok(engine, settings, token)
    taken = exchanges()
    # No reconcile before the push: the push's answer names the taken revision, the clinic takes the
    # hub's copies back, lifts its edit above the hub's revision and sends it, then pulls.
    assert taken[0] == PUSH and RECONCILE not in taken, taken
    assert OWN in taken and taken.count(PUSH) == 2 and taken[-1] == PULL
    assert report.behind == 1 and report.lifted == 1
    revision, data = hub_record(hub, record_id)
    assert revision == 3 and data["address"] == "新地址 2 号"  # the edit is on the hub, not lost
    local = _resident(engine, "王小1")
    assert (local.revision, local.address) == (3, "新地址 2 号")

    again = _sync_ok(engine, settings, token)  # quiet: nothing resent, nothing taken back
    assert again.pushed == 0 and again.taken_back == 0 and exchanges() == [PULL]
    engine.dispose()


def test_a_day_of_new_records_and_edits_is_two_exchanges(hub, small_clinic, clinic, clinic_settings, exchanges):
    engine = small_clinic
    code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    _sync_ok(engine, settings, token)
    assert exchanges() == [RECONCILE, PUSH, PULL]  # a first sync compares first
    for day in range(2):  # follow-ups and contracts edit earlier records every day
        edit(engine, "王小0", phone=f"1380000000{day}")
        edit(engine, "王小2", address=f"第 {day} 号")
        with unit_of_work(engine) as session:
            records.create(session, Resident(clinic_id=clinic.id, name=f"新来{day}", sex="2"), None)
        report = _sync_ok(engine, settings, token)
        assert exchanges() == [PUSH, PULL]
        assert report.accepted == 3 and report.behind == 0 and report.taken_back == 0
    revision, data = hub_record(hub, _resident(engine, "王小2").id)
    assert (revision, data["address"]) == (3, "第 1 号")


def _as_revision_3_hub(monkeypatch):
    """The hub as it was before revision 4: no version check, revision 3 in a push answer, none in a
    pull answer."""
    monkeypatch.setattr("clinic_hub.same_revision.taken", lambda conn, records: set())
    monkeypatch.setattr("clinic_hub.push_answer.PROTOCOL_REVISION", 3)
    monkeypatch.setattr("clinic_hub.pull.PROTOCOL_REVISION", None)


def test_a_hub_before_revision_4_is_still_compared_with_first_when_an_edit_waits(
    own_hub, small_clinic, clinic, clinic_settings, exchanges, monkeypatch
):
    _as_revision_3_hub(monkeypatch)
    hub = own_hub()
    engine = small_clinic
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    _sync_ok(engine, settings, token)
    assert exchanges() == [RECONCILE, PUSH, PULL]
    assert recovery.stored_hub_numbers(engine).get("protocol_revision") is None  # learnt from the pull

    with unit_of_work(engine) as session:  # new records only: nothing to shadow
        records.create(session, Resident(clinic_id=clinic.id, name="新来", sex="2"), None)
    _sync_ok(engine, settings, token)
    assert exchanges() == [PUSH, PULL]

    edit(engine, "王小0", phone="13800000009")  # an edit: such a hub cannot tell, so compare first
    _sync_ok(engine, settings, token)
    assert exchanges() == [RECONCILE, PUSH, PULL]
    assert hub_record(hub, _resident(engine, "王小0").id)[0] == 2


def test_a_copied_backup_with_a_hub_before_revision_4_is_caught_by_comparing_first(
    own_hub, small_clinic, clinic_settings, tmp_path, exchanges, monkeypatch
):
    _as_revision_3_hub(monkeypatch)
    hub = own_hub()
    engine, settings, token, record_id = _edit_over_a_copied_backup(hub, small_clinic, clinic_settings, tmp_path)
    exchanges()
    report = _sync_ok(engine, settings, token)
    assert exchanges()[0] == RECONCILE and report.lifted == 1
    assert hub_record(hub, record_id)[0] == 3 and hub_record(hub, record_id)[1]["address"] == "新地址 2 号"
    engine.dispose()


def test_a_client_before_revision_4_syncs_with_this_hub_as_it_did(
    hub, small_clinic, clinic_settings, tmp_path, exchanges, monkeypatch
):
    """A client of revision 3 compares first whenever an edit waits and does not know the code
    ``revision_taken`` (it reads the answer as the plain duplicate it is): the same sync as before."""
    monkeypatch.setattr("clinic_tui.sync.state.EDITS_CHECKED_FROM", 10**6)
    monkeypatch.setattr("clinic_tui.sync.outbox.REVISION_TAKEN", "a code a client of revision 3 never knew")
    engine, settings, token, record_id = _edit_over_a_copied_backup(hub, small_clinic, clinic_settings, tmp_path)
    exchanges()
    report = _sync_ok(engine, settings, token)
    taken = exchanges()
    assert taken[0] == RECONCILE and report.lifted == 1 and report.behind == 0, taken
    revision, data = hub_record(hub, record_id)
    assert revision == 3 and data["address"] == "新地址 2 号"
    engine.dispose()
