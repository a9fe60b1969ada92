"""Sync under faults: the client (``clinic-tui sync``) and the hub (``clinic-hub serve``) are real
processes; the fault proxy or a SIGKILL cuts them at chosen moments of the push. Whatever happens,
a final clean sync must leave the hub with exactly one copy of every record, the outbox empty, a
consistent receipt and whole SQLite files (``assert_converged``).

The clinic has 600 pending records pushed in batches of 50 (12 batches); a cut point is a batch
number and a moment of that batch's exchange. One cut point of each fault runs in every test run;
the sweeps over the others are marked slow.
"""

from __future__ import annotations

import gzip
import json
import signal
import time

import pytest

from .conftest import (
    BATCH_SIZE,
    TEMPLATE_RECORDS,
    assert_converged,
    clinic_records,
    hub_records,
    last_run,
    outbox_rows,
    run_sync,
    start_sync,
)
from .faultproxy import Fault

PUSH = "/api/v1/sync/push"
BATCHES = TEMPLATE_RECORDS // BATCH_SIZE


def sweep(fast: list, slow: list) -> list:
    return fast + [pytest.param(*p if isinstance(p, tuple) else (p,), marks=pytest.mark.slow) for p in slow]


def push_bodies(proxy) -> list[dict]:
    """The push batches the proxy saw, decoded (the proxy must keep bodies)."""
    bodies = []
    for exchange in proxy.exchanges:
        if exchange.path.startswith(PUSH) and exchange.request_body is not None:
            raw = exchange.request_body
            bodies.append(json.loads(gzip.decompress(raw) if exchange.content_encoding == "gzip" else raw))
    return bodies


def assert_confirmed_only_what_the_hub_holds(clinic_db, hub_process) -> None:
    """Sync invariant 2 (docs/architecture-sync.md), checked between a fault and the next sync:
    every record that left the outbox is on the hub at exactly that revision."""
    queued = {row[1] for row in outbox_rows(clinic_db)}
    _, held = hub_records(hub_process.db_path)
    unconfirmed = {
        record_id: (kind, revision)
        for record_id, (kind, revision, _) in clinic_records(clinic_db).items()
        if record_id not in queued and held.get(record_id, (None, None))[:2] != (kind, revision)
    }
    assert not unconfirmed, f"{len(unconfirmed)} records left the outbox unconfirmed, e.g. {list(unconfirmed)[:3]}"


def final_clean_sync(clinic_db, hub_process, proxy) -> None:
    proxy.clear()
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_converged(clinic_db, hub_process)


def test_clean_sync_sends_everything_once_in_gzip_batches(clinic_db, hub_process, proxy):
    proxy.keep_bodies = True
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_converged(clinic_db, hub_process)
    pushes = [e for e in proxy.exchanges if e.path.startswith(PUSH)]
    assert pushes and all(e.content_encoding == "gzip" and e.status == 200 for e in pushes)
    batches = push_bodies(proxy)
    assert max(len(b["records"]) for b in batches) <= BATCH_SIZE
    assert sum(len(b["records"]) for b in batches) == TEMPLATE_RECORDS  # each record sent once
    assert last_run(clinic_db)["accepted"] == TEMPLATE_RECORDS


def test_offline_changes_nothing_and_says_so(clinic_db, hub_process, proxy):
    before = outbox_rows(clinic_db)
    proxy.go_offline()
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert done.returncode == 3, done.stdout + done.stderr  # EXIT_OFFLINE: a scheduled task retries later
    assert last_run(clinic_db)["outcome"] == "offline"
    assert outbox_rows(clinic_db) == before
    assert hub_records(hub_process.db_path)[0] == []
    proxy.go_online()
    final_clean_sync(clinic_db, hub_process, proxy)


# --- the client killed mid-push ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "batch, moment, delay",
    sweep(
        [(3, "answered", 0.0)],
        [
            (1, "received", 0.0),
            (5, "received", 0.0),
            (1, "answered", 0.0),
            (BATCHES, "answered", 0.0),
            (2, "relayed", 0.0),
            (4, "relayed", 0.01),
            (6, "relayed", 0.05),
            (BATCHES, "relayed", 0.02),
        ],
    ),
)
def test_client_killed_mid_push_then_restarted(clinic_db, hub_process, proxy, batch, moment, delay):
    """SIGKILL the client when batch ``batch`` is at ``moment``: still in the proxy (received), stored
    by the hub but unread (answered), or read and being written to the outbox (relayed + delay)."""
    client = {}

    def kill_client() -> None:
        time.sleep(delay)
        client["process"].send_signal(signal.SIGKILL)

    proxy.arm(Fault("hook", nth=batch, when=moment, hook=kill_client, withhold=moment == "received"))
    client["process"] = start_sync(clinic_db, proxy.url, hub_process.token)
    client["process"].communicate(timeout=300)
    assert client["process"].returncode == -signal.SIGKILL, "the client finished before the cut point"
    assert proxy.fired()
    stored = len(hub_records(hub_process.db_path)[0])
    if moment == "received":
        assert stored == (batch - 1) * BATCH_SIZE
    elif moment == "answered":
        assert stored == batch * BATCH_SIZE  # the hub committed the batch the client never confirmed
    else:  # the client may have sent the next batch before the kill landed
        assert batch * BATCH_SIZE <= stored <= (batch + 1) * BATCH_SIZE
    assert len(outbox_rows(clinic_db)) >= TEMPLATE_RECORDS - batch * BATCH_SIZE
    assert_confirmed_only_what_the_hub_holds(clinic_db, hub_process)
    final_clean_sync(clinic_db, hub_process, proxy)
    if moment == "answered":
        assert last_run(clinic_db)["duplicate"] >= BATCH_SIZE  # resent under a new batch id: no copy made


# --- the hub killed mid-batch -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "batch, delay", sweep([(2, 0.0)], [(1, 0.0), (3, 0.01), (4, 0.03), (5, 0.06), (6, 0.2), (BATCHES, 0.05)])
)
def test_hub_killed_mid_batch_then_restarted(clinic_db, hub_process, proxy, batch, delay):
    """SIGKILL the hub ``delay`` s after batch ``batch`` reached it: before, during or after its
    commit. The batch must be stored whole or not at all, and the client must not confirm it."""
    proxy.keep_bodies = True

    def kill_hub() -> None:
        time.sleep(delay)
        hub_process.kill()

    proxy.arm(Fault("hook", nth=batch, when="forwarded", hook=kill_hub))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert done.returncode != 0, "the sync cannot have finished with the hub dead"
    assert last_run(clinic_db)["outcome"] == "offline"
    cut = push_bodies(proxy)[batch - 1]
    hub_process.start()
    _, held = hub_records(hub_process.db_path)
    stored = [r["id"] for r in cut["records"] if held.get(r["id"], (None, None))[1] == r["revision"]]
    assert len(stored) in (0, len(cut["records"])), "the hub kept half a batch"
    answered = [e for e in proxy.exchanges if e.fault.startswith("hook")][0].status == 200
    if not answered:  # killed before its answer was out (a late kill lets a whole answer through)
        queued = {row[1] for row in outbox_rows(clinic_db)}
        assert {r["id"] for r in cut["records"]} <= queued, "the client confirmed a batch it got no answer for"
    assert_confirmed_only_what_the_hub_holds(clinic_db, hub_process)
    final_clean_sync(clinic_db, hub_process, proxy)


# --- the answer lost, cut or garbled on the way back --------------------------------------------------


@pytest.mark.parametrize("batch", sweep([2], [1, 5, BATCHES]))
def test_connection_dropped_after_the_hub_committed(clinic_db, hub_process, proxy, batch):
    """The hub stored the batch, the client never reads the answer: it resends the same batch id and
    gets the stored answers (replayed), in the same run."""
    proxy.keep_bodies = True
    proxy.arm(Fault("drop", nth=batch))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert proxy.fired()
    assert done.returncode == 0, done.stdout + done.stderr
    bodies = push_bodies(proxy)
    assert bodies[batch]["batch_id"] == bodies[batch - 1]["batch_id"]  # resent unchanged
    assert_converged(clinic_db, hub_process)
    final_clean_sync(clinic_db, hub_process, proxy)


@pytest.mark.parametrize("batch, cut", sweep([(2, 60)], [(1, 0), (3, 9), (4, 400), (5, 1000), (BATCHES, 5)]))
def test_truncated_answer(clinic_db, hub_process, proxy, batch, cut):
    """Only ``cut`` bytes of the answer arrive: inside the status line (9), the headers (60; they are
    about 200 bytes) or the gzip body (400, 1000; about 2 KB for 50 answers)."""
    proxy.arm(Fault("truncate", nth=batch, at=cut))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert proxy.fired()
    assert done.returncode == 0, done.stdout + done.stderr  # a cut answer is resent like a dropped one
    assert_converged(clinic_db, hub_process)


@pytest.mark.parametrize("batch, offset", sweep([(2, 30)], [(1, 0), (3, 10), (4, 200), (BATCHES, 500)]))
def test_garbled_answer(clinic_db, hub_process, proxy, batch, offset):
    """Bytes of the (gzip) answer flipped: the client must not take it for confirmations."""
    proxy.keep_bodies = True
    proxy.arm(Fault("garble", nth=batch, at=offset, count=8))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert proxy.fired()
    cut = push_bodies(proxy)[batch - 1]
    if done.returncode != 0:  # gave up: what the unreadable answer was about is still queued
        queued = {row[1] for row in outbox_rows(clinic_db)}
        assert {r["id"] for r in cut["records"]} <= queued
    assert_confirmed_only_what_the_hub_holds(clinic_db, hub_process)
    final_clean_sync(clinic_db, hub_process, proxy)


def test_garbled_answer_is_retried_in_the_same_run(clinic_db, hub_process, proxy):
    """A garbled answer is a damaged transfer, like a cut one: resend the same batch, not give up."""
    proxy.keep_bodies = True
    proxy.arm(Fault("garble", nth=2, at=30, count=8))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert proxy.fired()
    assert done.returncode == 0, done.stdout + done.stderr
    bodies = push_bodies(proxy)
    assert bodies[2]["batch_id"] == bodies[1]["batch_id"]  # the damaged one, resent unchanged
    assert_converged(clinic_db, hub_process)


def test_garbled_small_plain_answer_is_retried_not_taken_for_an_old_hub(clinic_db, hub_process, proxy):
    """A short answer goes uncompressed (the pull page here, under the hub's gzip threshold): garbled,
    it is not JSON. That is a damaged transfer, asked again, not "hub too old" (exit 10)."""
    pull = "/api/v1/sync/pull"
    proxy.arm(Fault("garble", nth=1, path=pull, at=0, count=8))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert proxy.fired()
    garbled = [e for e in proxy.exchanges if e.fault.startswith("garble")]
    assert garbled and garbled[0].path.startswith(pull)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len([e for e in proxy.exchanges if e.path.startswith(pull)]) == 2  # asked again once
    assert_converged(clinic_db, hub_process)


# --- a local edit while its batch is in flight ---------------------------------------------------------


def test_edit_made_while_its_batch_is_in_flight_is_not_marked_sent(clinic_db, hub_process, proxy):
    """Sync invariant 2 (docs/architecture-sync.md): the doctor edits a record while the hub is
    storing the batch that carries its previous revision; the hub's "accepted" for that revision
    must not clear the new one."""
    from clinic_tui.data import records
    from clinic_tui.data.db import open_engine, unit_of_work
    from clinic_tui.data.models import Visit

    proxy.keep_bodies = True
    edited = {}

    def edit_a_visit_of_the_batch() -> None:
        batch = push_bodies(proxy)[-1]
        visit_id = next(r["id"] for r in batch["records"] if r["kind"] == "visit" and not r["deleted"])
        engine = open_engine(clinic_db)
        try:
            with unit_of_work(engine) as session:
                visit = session.get(Visit, visit_id)
                records.update(session, visit, {"notes": "在途修改"}, None)
                edited[visit_id] = visit.revision
        finally:
            engine.dispose()

    proxy.arm(Fault("hook", nth=3, when="forwarded", hook=edit_a_visit_of_the_batch))
    done = run_sync(clinic_db, proxy.url, hub_process.token)
    assert done.returncode == 0, done.stdout + done.stderr
    ((visit_id, revision),) = edited.items()
    hub_revision = hub_records(hub_process.db_path)[1][visit_id][1]
    # Either the same run sent the new revision too, or it is still queued for the next one.
    assert hub_revision == revision or ("visit", visit_id, revision, "pending", None) in outbox_rows(clinic_db)
    final_clean_sync(clinic_db, hub_process, proxy)
    assert hub_records(hub_process.db_path)[1][visit_id][1] == revision


# --- a slow link --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_link_with_small_batches(clinic_db, hub_process, proxy):
    """A 2G link: 20 KB/s each way and 300 ms each way, batches of 25."""
    proxy.keep_bodies = True
    proxy.throttle(20_000, latency=0.3)
    done = run_sync(clinic_db, proxy.url, hub_process.token, batch_size=25, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert max(len(b["records"]) for b in push_bodies(proxy)) <= 25
    assert_converged(clinic_db, hub_process)


def test_slow_link_with_a_cut_mid_way(clinic_db, hub_process, proxy):
    """Slow and lossy: latency on every exchange and one answer lost after the hub committed."""
    proxy.throttle(200_000, latency=0.1)
    proxy.arm(Fault("drop", nth=4))
    done = run_sync(clinic_db, proxy.url, hub_process.token, batch_size=100, timeout=600)
    assert proxy.fired()
    assert done.returncode == 0, done.stdout + done.stderr
    assert_converged(clinic_db, hub_process)
