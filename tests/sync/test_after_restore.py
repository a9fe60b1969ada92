"""After a restore (by ``db restore`` or by copying a backup over the file by hand), against a real
hub: what the hub holds newer than the backup comes back, edits made after the restore reach the
hub, reconcile ends clean; and a sync whose resends cannot fix a difference is never "ok"."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select, text

from clinic_tui import i18n
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.maintenance import backup_to, restore_backup
from clinic_tui.data.migrate import open_database
from clinic_tui.data.models import OutboxEntry, Resident
from clinic_tui.sync.engine import EXIT_MISMATCH, run_sync

from .conftest import database_path
from .sync_helpers import edit, hub_record, register


def _resident(engine, name):
    with read_session(engine) as session:
        return session.execute(select(Resident).where(Resident.name == name)).scalar_one_or_none()


def _outbox(engine):
    with read_session(engine) as session:
        return session.execute(select(OutboxEntry.kind, OutboxEntry.record_id)).all()


@pytest.mark.parametrize("how", ["db restore", "copied by hand"])
def test_after_a_restore_the_hub_gives_back_what_is_newer_and_new_edits_arrive(
    hub, small_clinic, clinic, clinic_settings, tmp_path, how
):
    engine = small_clinic
    path = database_path(engine)
    code, token = register(hub, engine)
    settings = clinic_settings(hub, path)
    assert run_sync(engine, settings, token=token).outcome == "ok"
    backup = backup_to(path, tmp_path / "backups" / "clinic-20261201.db")

    # After the backup: 王小0 edited twice, a new resident, all confirmed by the hub.
    edit(engine, "王小0", phone="13800000001")
    edit(engine, "王小0", phone="13800000002")
    with unit_of_work(engine) as session:
        records.create(session, Resident(clinic_id=clinic.id, name="赵新来", sex="2"), None)
    assert run_sync(engine, settings, token=token).outcome == "ok"
    lost_id = _resident(engine, "赵新来").id
    edited = _resident(engine, "王小0")
    assert hub_record(hub, edited.id)[0] == 3
    engine.dispose()

    # The bad day: the database is replaced by the backup.
    if how == "db restore":
        restore_backup(path, backup, tmp_path / "backups")
    else:
        for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            side.unlink(missing_ok=True)
        shutil.copyfile(backup, path)
    engine = open_database(path).engine
    assert _resident(engine, "赵新来") is None and _resident(engine, "王小0").revision == 1

    # Edits after the restore: one on a record the hub holds newer (local revision 2, hub 3),
    # one on a record the hub holds as the backup does.
    assert edit(engine, "王小0", address="新地址 1 号") == 2
    assert edit(engine, "王小1", phone="13900000001") == 2

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok" and report.exit_code == 0, report.message
    assert report.receipt.mismatched == [] and _outbox(engine) == []
    # What the hub held newer than the backup came back ...
    assert _resident(engine, "赵新来") is not None and _resident(engine, lost_id and "赵新来").id == lost_id
    # ... and the edits made after the restore reached the hub, above the hub's revisions.
    revision, data = hub_record(hub, edited.id)
    assert revision == 4 and data["address"] == "新地址 1 号"
    local = _resident(engine, "王小0")
    assert local.revision == 4 and local.address == "新地址 1 号"
    assert hub_record(hub, _resident(engine, "王小1").id)[1]["phone"] == "13900000001"
    assert report.taken_back >= 1 and report.lifted == 1

    again = run_sync(engine, settings, token=token)  # quiet: nothing resent, nothing taken back
    assert again.outcome == "ok" and again.pushed == 0 and again.resent == 0 and again.taken_back == 0
    engine.dispose()


def test_a_difference_that_resending_cannot_fix_fails_the_sync_and_says_why(
    hub, small_clinic, clinic_settings, monkeypatch
):
    engine = small_clinic
    code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"
    # The hub holds a revision of 王小2 this database cannot take back (its take-back is broken
    # here on purpose), so resending it only earns "duplicate": a difference no resend can fix.
    record_id = _resident(engine, "王小2").id
    with hub.engine.begin() as conn:
        conn.execute(text("UPDATE sync_record SET revision = 5 WHERE id = :id"), {"id": record_id})
    monkeypatch.setattr("clinic_tui.sync.recovery.apply_own_page", lambda *args: None)
    i18n.set_language("en")

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "error" and report.exit_code == EXIT_MISMATCH
    assert "resident" in report.message and "still differs" in report.message
    assert report.receipt.mismatched == ["resident"]
    assert ("resident", record_id) in _outbox(engine)  # kept, not dropped as "duplicate"


def test_only_a_difference_from_the_last_clean_sync_counts_as_a_restore():
    from clinic_tui.sync.recovery import kinds_changed_on_the_hub
    from clinic_tui.sync.wire import KindSummary

    hub = {"resident": KindSummary(count=3, hash="a" * 32), "visit": KindSummary(count=5, hash="b" * 32)}
    same = {"epoch": "e1", "kinds": {"resident": [3, "a" * 32], "visit": [5, "b" * 32]}}
    assert kinds_changed_on_the_hub(same, "e1", hub) == []
    older = {"epoch": "e1", "kinds": {"resident": [3, "a" * 32], "visit": [4, "c" * 32]}}
    assert kinds_changed_on_the_hub(older, "e1", hub) == ["visit"]
    assert kinds_changed_on_the_hub(older, "e2", hub) == []  # the hub was restored: the epoch rule acts
    assert kinds_changed_on_the_hub(None, "e1", hub) == []  # never synced cleanly: nothing to compare
