"""The client's own push bookkeeping, fast: batches read by keyset, wire records read with Core
(the same as the ORM snapshot), answers applied by exact revision, interrupted runs closed."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.migrate import open_database
from clinic_tui.data.models import SYNCED_KINDS, OutboxEntry, Referral, Resident, SyncRun
from clinic_tui.sync import outbox, wire_json
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register


def _outbox(engine) -> dict[str, tuple[int, str, int]]:
    with read_session(engine) as session:
        return {
            row.record_id: (row.revision, row.state, row.attempts)
            for row in session.execute(select(OutboxEntry)).scalars()
        }


def _refusal(item: outbox.OutboxItem) -> SimpleNamespace:
    """The hub's answer refusing ``item`` (an ID number it finds invalid)."""
    return SimpleNamespace(
        id=item.record_id,
        kind=item.kind,
        revision=item.revision,
        status="rejected",
        code="invalid_value",
        message="字段取值无效：id_number",
        params={"field": "id_number"},
    )


def test_wire_records_read_with_core_equal_the_orm_snapshot(demo_db):
    engine = open_database(demo_db).engine
    items = outbox.pending_items(engine)
    if len(items) < 50:  # the demo has synced: queue everything it owns again
        sync_state.requeue_kinds(engine, sync_state.owned_kinds())
        items = outbox.pending_items(engine)
    sent, texts = outbox.build_batch(engine, items)
    assert len(sent) > 50 and {item.kind for item in sent} >= {"resident", "visit", "referral", "followup"}
    with read_session(engine) as session:
        for item, text in zip(sent, texts, strict=False):
            payload = json.loads(text)
            assert payload["kind"] == item.kind
            row = session.get(SYNCED_KINDS[item.kind], item.record_id)
            expected = records.sync_payload(row)
            if isinstance(row, Referral):
                expected["status"] = payload["data"]["status"]  # the clinic's own status (checked elsewhere)
            assert payload["data"] == expected
            assert (payload["id"], payload["revision"], payload["deleted"]) == (row.id, row.revision, row.deleted)
            assert payload["updated_at"] == row.updated_at.isoformat()
            assert "pin_hash" not in payload["data"]


def test_keyset_walk_meets_every_row_once_and_an_edited_row_again_at_the_end(small_clinic):
    engine = small_clinic
    everything = outbox.pending_items(engine)
    first, after = outbox.next_pending(engine, 2, None)
    assert first == everything[:2]
    resident = next(item for item in first if item.kind == "resident")
    with unit_of_work(engine) as session:
        records.update(session, session.get(Resident, resident.record_id), {"name": "王大明"}, None)
    walked = list(first)
    while True:
        batch, after = outbox.next_pending(engine, 2, after)
        if not batch:
            break
        walked.extend(batch)
    assert walked[: len(everything)] == everything
    assert walked[len(everything) :] == [outbox.OutboxItem("resident", resident.record_id, 2)]


def test_answers_remove_only_the_exact_revision_answered(small_clinic):
    engine = small_clinic
    sent, _ = outbox.build_batch(engine, outbox.pending_items(engine))
    edited, refused = [item for item in sent if item.kind == "resident"][:2]
    with unit_of_work(engine) as session:  # edited while its batch was in flight
        records.update(session, session.get(Resident, edited.record_id), {"name": "王大明"}, None)
    answers = [
        SimpleNamespace(id=i.record_id, kind=i.kind, revision=i.revision, code=None, message=None, status="accepted")
        for i in sent
        if i != refused
    ]
    answers.append(_refusal(refused))
    counts, _ = outbox.apply_push_answers(engine, sent, answers)
    assert (counts.accepted, counts.rejected, counts.still_pending) == (len(sent) - 1, 1, 1)
    left = _outbox(engine)
    assert left == {edited.record_id: (2, "pending", 1), refused.record_id: (1, "rejected", 1)}
    with read_session(engine) as session:
        row = session.get(OutboxEntry, ("resident", refused.record_id))
        assert (row.reject_code, row.reject_message) == ("invalid_value", "字段取值无效：id_number")
        assert row.reject_params == {"field": "id_number"}  # to say it again in another language
        assert row.last_attempt_at is not None and row.last_attempt_at.tzinfo is not None


def test_an_edit_clears_a_rejection_to_null_and_a_new_epoch_rewrites_nothing_already_waiting(small_clinic):
    engine = small_clinic
    sent, _ = outbox.build_batch(engine, outbox.pending_items(engine))
    refused = next(item for item in sent if item.kind == "resident")
    outbox.apply_push_answers(engine, [refused], [_refusal(refused)])
    with unit_of_work(engine) as session:  # the doctor mends it: queued again, the rejection cleared
        records.update(session, session.get(Resident, refused.record_id), {"name": "王大明"}, None)
    path = database_path(engine)
    with sqlite3.connect(path) as conn:
        stored = conn.execute(
            "SELECT state, reject_code, reject_params FROM outbox WHERE record_id = ?", (refused.record_id,)
        ).fetchone()
        # SQL NULL, not the JSON text 'null', which read as a rejection still to clear.
        assert stored == ("pending", None, None)
        before = conn.execute("SELECT * FROM outbox ORDER BY rowid").fetchall()
    assert sync_state.adopt_epoch(engine, "a-new-hub") is True
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT * FROM outbox ORDER BY rowid").fetchall() == before


def test_a_first_epoch_queues_what_has_no_row_and_a_new_epoch_queues_everything_again(small_clinic):
    engine = small_clinic
    path = database_path(engine)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM sync_cursor").fetchone() == (0,)  # never synced
        never_queued = conn.execute("SELECT kind, record_id, revision FROM outbox ORDER BY rowid LIMIT 1").fetchone()
        conn.execute("DELETE FROM outbox WHERE kind = ? AND record_id = ?", never_queued[:2])
        waiting = conn.execute("SELECT * FROM outbox ORDER BY rowid").fetchall()
    assert sync_state.adopt_epoch(engine, "first-hub") is True
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM outbox ORDER BY rowid").fetchall()
        assert rows[: len(waiting)] == waiting  # untouched
        added = conn.execute(
            "SELECT kind, record_id, revision, state FROM outbox WHERE kind = ? AND record_id = ?", never_queued[:2]
        ).fetchone()
    assert added == (*never_queued, "pending") and len(rows) == len(waiting) + 1
    # Confirmed by that hub (rows gone) and one refused: another epoch voids those answers.
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox ORDER BY rowid LIMIT 3)")
        conn.execute(
            "UPDATE outbox SET state = 'rejected', reject_code = 'invalid_value' "
            "WHERE rowid = (SELECT max(rowid) FROM outbox)"
        )
    assert sync_state.adopt_epoch(engine, "first-hub") is False
    assert sync_state.adopt_epoch(engine, "restored-hub") is True
    with sqlite3.connect(path) as conn:
        again = conn.execute("SELECT count(*), count(DISTINCT state), max(reject_code) FROM outbox").fetchone()
    assert again == (len(rows), 1, None)


def test_the_walk_reads_the_send_order_index_from_its_key(small_clinic):
    """Each read of the walk starts at its key in the (state, queued_at) index, without sorting
    every pending row (3-5 ms a read for 10,000)."""
    with sqlite3.connect(database_path(small_clinic)) as conn:
        plan = " ".join(
            row[-1]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN " + outbox._PENDING + outbox._AFTER_KEY + outbox._SEND_ORDER + "LIMIT 5",
                ("2026-01-01", 0),
            )
        )
    assert "ix_outbox_send_order (state=? AND queued_at>?)" in plan and "TEMP B-TREE" not in plan


def test_a_sync_stopped_mid_run_is_closed_as_interrupted_by_the_next_one(hub, small_clinic, clinic_settings):
    engine = small_clinic
    _, token = register(hub, engine)
    stopped = sync_state.start_run(engine, "cli")  # a process killed mid-sync leaves this behind
    report = run_sync(engine, clinic_settings(hub, database_path(engine)), token=token)
    assert report.outcome == "ok", report.message
    with read_session(engine) as session:
        old = session.get(SyncRun, stopped)
        new = session.get(SyncRun, report.run_id)
    assert old.outcome == "error" and old.error_message == "中断：同步尚未完成，程序就被停止了。"
    assert new.outcome == "ok" and new.id > old.id
    assert [run.outcome for run in sync_state.recent_runs(engine)] == ["ok", "error"]


def _wire_text(expression, value) -> str:
    """``{"a": <expression of x>}`` as SQLite writes it for x = ``value``."""
    with sqlite3.connect(":memory:") as conn:
        (text,) = conn.execute(
            f"WITH v(x) AS (SELECT ?) SELECT json_object('a', {expression}) FROM v", (value,)
        ).fetchone()
    return text


def _wire_value(expression, value):
    return json.loads(_wire_text(expression, value))["a"]


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31)))
def test_stored_datetimes_go_on_the_wire_as_isoformat_writes_them(moment):
    stored = moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # how SQLAlchemy stores a UTC datetime on SQLite
    assert _wire_value(wire_json._utc_iso("x"), stored) == moment.replace(tzinfo=UTC).isoformat()
    assert _wire_value(wire_json._utc_iso("x"), stored[:19]) == moment.replace(microsecond=0, tzinfo=UTC).isoformat()


MEASUREMENTS = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False) | st.floats(min_value=1e-9, max_value=1e-3)


@given(MEASUREMENTS | st.sampled_from([36.63333333333333, 0.1 + 0.2, 37.0]))
def test_floats_go_on_the_wire_as_the_same_number(number):
    assert _wire_value(wire_json._float("x"), number) == number


def test_typed_floats_go_on_the_wire_short():
    texts = [_wire_text(wire_json._float("x"), value) for value in (36.6, 24.2, 37.0, None)]
    assert texts == ['{"a":36.6}', '{"a":24.2}', '{"a":37.0}', '{"a":null}']


def test_a_referral_goes_out_with_the_status_the_clinic_set(demo_db):
    from clinic_tui.data.models import ReferralEvent

    engine = open_database(demo_db).engine
    with read_session(engine) as session:
        answered = (
            session.execute(
                select(Referral).where(  # the clinic's own (upward) referrals
                    Referral.origin != "hub", Referral.status.not_in(outbox.CLINIC_REFERRAL_STATUSES)
                )
            )
            .scalars()
            .all()
        )
        assert answered, "the demo has referrals the hospital answered"
        own = {}
        for referral in answered:
            events = (
                session.execute(
                    select(ReferralEvent)
                    .where(
                        ReferralEvent.referral_id == referral.id,
                        ReferralEvent.origin != "hub",
                        ReferralEvent.to_status.in_(outbox.CLINIC_REFERRAL_STATUSES),
                        ReferralEvent.deleted == False,
                    )
                    .order_by(ReferralEvent.at.desc(), ReferralEvent.created_at.desc())
                )
                .scalars()
                .all()
            )
            own[referral.id] = events[0].to_status if events else "sent"
    sent, texts = outbox.build_batch(
        engine, [outbox.OutboxItem("referral", referral.id, referral.revision) for referral in answered]
    )
    statuses = {json.loads(text)["id"]: json.loads(text)["data"]["status"] for text in texts}
    assert statuses == own
    assert set(statuses.values()) <= set(outbox.CLINIC_REFERRAL_STATUSES)


def test_a_push_that_goes_offline_sends_nothing_more(small_clinic, monkeypatch):
    """The batch queued behind a failed one is not sent (nor resent): the sync reports offline."""
    import time

    import pytest

    from clinic_tui.sync import pusher
    from clinic_tui.sync.client import HubClient, HubError
    from clinic_tui.sync.engine import SyncReport
    from tests.hub.conftest import free_port

    # Short waits between resends: long enough that the next batch is queued behind the failing one.
    monkeypatch.setattr(pusher, "back_off", lambda attempt: time.sleep(0.05))
    attempts = []
    real_push = HubClient.push

    def counted(self, body, **options):
        attempts.append(body)
        return real_push(self, body, **options)

    monkeypatch.setattr(HubClient, "push", counted)
    with HubClient(f"http://127.0.0.1:{free_port()}", "token") as nobody_listens:  # every request refused
        with pytest.raises(HubError) as failed:
            pusher.Pusher(
                small_clinic, nobody_listens, SyncReport(), 2, lambda done, total: None, lambda: None
            ).push_all()
    assert failed.value.problem == "refused"
    assert len(attempts) == pusher.RESENDS and len(set(attempts)) == 1  # one batch, resent; not the next
    assert len(outbox.pending_items(small_clinic)) == 7
