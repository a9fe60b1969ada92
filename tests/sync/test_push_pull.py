"""Push, pull and reconcile against a real clinic-hub over HTTP (sync invariants 2-6,
docs/architecture-sync.md)."""

from __future__ import annotations

import sqlite3
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from clinic_tui.data.db import read_session
from clinic_tui.data.migrate import open_database
from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry
from clinic_tui.sync import outbox
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.wire import CLINIC_KINDS

from .conftest import database_path
from .sync_helpers import register


def _owned_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    counts = {}
    for kind, model in SYNCED_KINDS.items():
        if kind not in CLINIC_KINDS:
            continue
        table = model.__tablename__
        has_origin = any(c[1] == "origin" for c in connection.execute(f"PRAGMA table_info({table})"))
        where = " WHERE origin != 'hub'" if has_origin else ""
        count = connection.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0]
        if count:
            counts[kind] = count
    connection.close()
    return counts


def test_first_full_sync_of_the_demo_database_is_confirmed_record_by_record(hub, demo_db, clinic_settings):
    code, token = hub.new_clinic("QS0101")
    engine = open_database(demo_db).engine
    started = time.monotonic()
    report = run_sync(engine, clinic_settings(hub, demo_db), token=token)
    elapsed = time.monotonic() - started
    assert report.outcome == "ok", report.message
    assert report.exit_code == 0
    expected = _owned_counts(demo_db)
    with read_session(engine) as session:
        assert session.execute(select(OutboxEntry)).all() == []
    held = hub.clinic_records(code)
    assert len(held) == len({record_id for _, record_id, _ in held}) == sum(expected.values())
    assert report.receipt.confirmed == expected
    assert report.receipt.mismatched == []
    assert report.pushed == report.accepted == sum(expected.values())
    run = sync_state.latest_receipt(engine)
    assert run.outcome == "ok" and run.confirmed_counts == expected and run.finished_at is not None
    print(f"first sync of {sum(expected.values())} records: {elapsed:.1f} s")


# --- a small clinic ---------------------------------------------------------------------------------


def _outbox(engine) -> list[tuple[str, str, int, str]]:
    with read_session(engine) as session:
        return [
            tuple(r)
            for r in session.execute(
                select(OutboxEntry.kind, OutboxEntry.record_id, OutboxEntry.revision, OutboxEntry.state)
            )
        ]


def test_an_edit_made_while_its_batch_is_in_flight_stays_pending_and_goes_next(hub, small_clinic, clinic_settings):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Resident

    engine = small_clinic
    code, token = register(hub, engine)
    seen: dict[str, object] = {}

    def edit_mid_push(step):
        if step.phase != "push":
            return
        if "edited" not in seen:  # the first batch is chosen, not yet answered: edit one of its records
            batch = outbox.pending_items(engine)[:2]
            target = next(item for item in batch if item.kind == "resident")
            with unit_of_work(engine) as session:
                records.update(session, session.get(Resident, target.record_id), {"name": "王大明"}, None)
            seen["edited"] = target.record_id
        elif "after_answer" not in seen and step.done >= 2:  # the first answer (for revision 1) is applied
            seen["after_answer"] = [row for row in _outbox(engine) if row[1] == seen["edited"]]

    report = run_sync(
        engine, clinic_settings(hub, database_path(engine), batch_size=2), token=token, progress=edit_mid_push
    )
    assert report.outcome == "ok", report.message
    assert seen["after_answer"] == [("resident", seen["edited"], 2, "pending")]
    assert _outbox(engine) == []
    held = {record_id: revision for _, record_id, revision in hub.clinic_records(code)}
    assert held[seen["edited"]] == 2
    assert report.pushed == 8  # 7 records, and the edited one a second time


def _refused_referral(engine, code: str):
    """A referral the hub refuses (a clinic may not send one downward), queued after the rest."""
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Clinic, Referral

    with unit_of_work(engine) as session:
        clinic = session.execute(select(Clinic)).scalar_one()
        return records.create(
            session,
            Referral(
                clinic_id=clinic.id,
                referral_no=f"{code}-20261120-0001",
                direction="down",
                status="sent",
                referral_date=date(2026, 11, 20),
                patient_name="王小明",
            ),
            None,
        )


def test_a_rejected_record_keeps_the_hubs_reason_and_goes_again_once_fixed(hub, small_clinic, clinic_settings):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Referral

    engine = small_clinic
    code, token = register(hub, engine)
    slip = _refused_referral(engine, code)
    settings = clinic_settings(hub, database_path(engine))
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "rejected" and report.exit_code == 5
    assert report.rejected == 1
    (rejected,) = sync_state.rejected_records(engine)
    assert (rejected.kind, rejected.record_id, rejected.code) == ("referral", slip.id, "direction_not_allowed")
    assert rejected.message and rejected.message in report.message
    assert sync_state.latest_receipt(engine).rejected == 1

    with unit_of_work(engine) as session:  # the doctor fixes it: a new revision, pending again
        records.update(session, session.get(Referral, slip.id), {"direction": "up"}, None)
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    assert (report.pushed, report.accepted) == (1, 1)
    assert _outbox(engine) == []
    assert ("referral", slip.id, 2) in hub.clinic_records(code)


def test_a_batch_the_hub_finds_too_large_is_sent_in_halves(own_hub, small_clinic, clinic_settings):
    hub = own_hub(max_push_records=4)
    engine = small_clinic
    code, token = register(hub, engine)
    report = run_sync(engine, clinic_settings(hub, database_path(engine), batch_size=10), token=token)
    assert report.outcome == "ok", report.message
    assert report.pushed == report.accepted == 7
    assert _outbox(engine) == []
    assert len(hub.clinic_records(code)) == 7
    with hub.engine.connect() as conn:
        from sqlalchemy import text

        sizes = [
            len(results)
            for (results,) in conn.execute(text("SELECT results FROM push_batch")).all()
            for results in [results if isinstance(results, list) else __import__("json").loads(results)]
        ]
    assert sizes and max(sizes) <= 4 and sum(sizes) == 7


def test_reconcile_finds_a_record_the_hub_lost_and_sends_it_again(hub, small_clinic, clinic_settings):
    engine = small_clinic
    code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"
    lost = next(record_id for kind, record_id, _ in hub.clinic_records(code) if kind == "visit")
    hub.delete_record(lost)

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    assert report.resent == 1
    assert report.receipt.mismatched == []
    assert report.receipt.confirmed["visit"] == 3
    assert any(record_id == lost for _, record_id, _ in hub.clinic_records(code))
    assert _outbox(engine) == []


def test_a_new_hub_epoch_makes_the_clinic_resend_and_end_consistent(own_hub, small_clinic, clinic_settings):
    hub = own_hub()
    engine = small_clinic
    code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"
    for _, record_id, _ in hub.clinic_records(code)[:3]:  # the backup the hub was restored from lacked these
        hub.delete_record(record_id)
    epoch = hub.new_epoch()

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    assert report.epoch_changed
    assert report.pushed == 7 and report.accepted == 3 and report.duplicate == 4
    assert len(hub.clinic_records(code)) == 7
    assert sync_state.pull_cursor(engine).epoch == epoch
    assert report.receipt.mismatched == [] and _outbox(engine) == []


def _counting(monkeypatch, module, name, then=None):
    """Keep what each call of ``module.name`` returns (and run ``then`` after each)."""
    calls: list[object] = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result)
        if then is not None:
            then()
        return result

    monkeypatch.setattr(module, name, counted)
    return calls


def test_the_numbers_worked_out_while_the_last_batch_is_stored_serve_when_all_is_confirmed(
    own_hub, small_clinic, clinic_settings, monkeypatch
):
    from clinic_tui import clock

    hub = own_hub()  # nothing of its own to pull: the numbers can serve
    engine = small_clinic
    _, token = register(hub, engine)
    guessed = _counting(monkeypatch, sync_state, "numbers_once_confirmed")
    hashed_after = _counting(monkeypatch, sync_state, "local_reconcile")
    report = run_sync(engine, clinic_settings(hub, database_path(engine), batch_size=2), token=token)
    assert report.outcome == "ok", report.message
    assert (report.pushed, report.resent) == (7, 0)
    assert len(guessed) == 1 and hashed_after == []  # worked out once, during the last batch
    numbers, today = guessed[0]
    monkeypatch.undo()
    assert numbers == sync_state.local_reconcile(engine)  # what the clinic holds confirmed now
    assert report.receipt.today == today == sync_state.confirmed_today(engine, clock.today())
    assert sum(today.values()) == 7


def test_a_record_edited_while_the_last_batch_is_on_its_way_goes_too_and_the_numbers_are_worked_out_again(
    own_hub, small_clinic, clinic_settings, monkeypatch
):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Resident

    hub = own_hub()  # nothing of its own to pull: the numbers can serve
    engine = small_clinic
    code, token = register(hub, engine)
    with read_session(engine) as session:
        edited = session.execute(select(Resident.id).limit(1)).scalar_one()

    def edit():  # the doctor saves a change just after the numbers were worked out
        with unit_of_work(engine) as session:
            records.update(session, session.get(Resident, edited), {"name": "王大明"}, None)

    guessed = _counting(monkeypatch, sync_state, "numbers_once_confirmed", then=edit)
    hashed_after = _counting(monkeypatch, sync_state, "local_reconcile")
    report = run_sync(engine, clinic_settings(hub, database_path(engine), batch_size=2), token=token)
    monkeypatch.undo()
    assert report.outcome == "ok", report.message
    assert report.pushed == 8 and _outbox(engine) == []  # the edit went at the end of the walk
    assert ("resident", edited, 2) in hub.clinic_records(code)
    # The numbers worked out before the edit counted revision 1: not used. Its own batch was the
    # last one then, and the numbers worked out while the hub stored it served (the second edit,
    # the same name again, made no new revision).
    assert len(guessed) == 2 and guessed[0][0] != guessed[1][0]
    assert guessed[1][0] == sync_state.local_reconcile(engine) and hashed_after == []
    assert report.resent == 0


def test_a_record_refused_in_the_last_batch_is_not_counted_as_confirmed(
    own_hub, small_clinic, clinic_settings, monkeypatch
):
    from clinic_tui import clock

    hub = own_hub()
    engine = small_clinic
    code, token = register(hub, engine)
    refused = _refused_referral(engine, code)  # queued last: in the last batch, which the hub refuses
    guessed = _counting(monkeypatch, sync_state, "numbers_once_confirmed")
    hashed_after = _counting(monkeypatch, sync_state, "local_reconcile")
    from clinic_tui.sync.client import HubClient

    taken_back = _counting(monkeypatch, HubClient, "own")
    report = run_sync(engine, clinic_settings(hub, database_path(engine), batch_size=2), token=token)
    monkeypatch.undo()
    assert report.outcome == "rejected" and report.rejected == 1 and report.resent == 0
    assert taken_back == []  # the numbers matched the hub's at once: nothing taken back from it
    assert guessed[0][1]["referral"] == 1  # the guess counted it confirmed ...
    assert len(hashed_after) == 1  # ... so the numbers were worked out again
    today = sync_state.confirmed_today(engine, clock.today())
    assert report.receipt.today == today and "referral" not in today
    assert _outbox(engine) == [("referral", refused.id, 1, "rejected")]


def test_numbers_worked_out_before_a_batch_was_halved_are_not_used(own_hub, small_clinic, clinic_settings, monkeypatch):
    """The halves are built after the numbers: an edit made between goes with them, at its new
    revision, and leaves nothing queued; the numbers (of the old revision) must not serve."""
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Resident

    hub = own_hub(max_push_records=4)
    engine = small_clinic
    code, token = register(hub, engine)
    with read_session(engine) as session:
        edited = session.execute(select(Resident.id).limit(1)).scalar_one()

    def edit():
        with unit_of_work(engine) as session:
            records.update(session, session.get(Resident, edited), {"name": "王大明"}, None)

    from clinic_tui.sync.client import HubClient

    _counting(monkeypatch, sync_state, "numbers_once_confirmed", then=edit)
    taken_back = _counting(monkeypatch, HubClient, "own")
    report = run_sync(engine, clinic_settings(hub, database_path(engine), batch_size=10), token=token)
    monkeypatch.undo()
    assert report.outcome == "ok", report.message
    assert _outbox(engine) == [] and ("resident", edited, 2) in hub.clinic_records(code)
    assert report.resent == 0 and taken_back == []  # the numbers matched the hub's at once
