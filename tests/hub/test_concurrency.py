"""Concurrent writers on PostgreSQL never make a pull skip a change (sync invariant 4,
docs/architecture-sync.md).

Each writer takes a change number and then dawdles before committing, the window in which a plain
SEQUENCE lets a later number commit first so that a reader's cursor jumps past the earlier one.
Checked by hand: with ``changes.allocate`` monkeypatched to ``nextval`` of a plain sequence this
test fails in about 5 runs out of 6 (the timing cannot make it certain); with the counter row it
has never failed.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import pytest

from clinic_hub import changes
from tests.hub.conftest import HubServer

WRITERS, PER_WRITER = 8, 20


@pytest.fixture
def pg_hub(fresh_db):
    server = HubServer("postgresql", fresh_db("postgresql"))
    yield server
    server.stop()


@pytest.mark.postgres
def test_a_pull_never_skips_a_change_committed_late(pg_hub):
    _, token = pg_hub.new_clinic()
    written: list[str] = []
    lock = threading.Lock()
    writers_done = threading.Event()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(PER_WRITER):
            record_id = str(uuid.uuid4())
            with pg_hub.engine.begin() as conn:
                changes.publish(
                    conn,
                    kind="broadcast",
                    record_id=record_id,
                    fields={"title": "通知"},
                    addressee_clinic_id=None,
                    clinic_code=None,
                )
                # Now and then commit late: others take later numbers and commit first meanwhile.
                time.sleep(rng.choice((0, 0, 0, 0.04)))
            with lock:
                written.append(record_id)

    seen: list[tuple[int, str]] = []
    reader_ready = threading.Event()

    def reader() -> None:
        cursor = None
        with pg_hub.client(token) as client:
            client.get("/api/v1/health")  # warm up: pull while the writers write, not after
            reader_ready.set()
            while True:
                finished = writers_done.is_set()  # read before pulling: one full pass after the end
                while True:
                    body = client.get(
                        "/api/v1/sync/pull", params={"limit": 7, **({"cursor": cursor} if cursor else {})}
                    ).json()
                    seen.extend((c["seq"], c["id"]) for c in body["changes"])
                    cursor = body["next_cursor"]
                    if not body["has_more"]:
                        break
                if finished:
                    return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    pulling = threading.Thread(target=reader)
    pulling.start()
    assert reader_ready.wait(10)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writers_done.set()
    pulling.join(60)
    seqs = [seq for seq, _ in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "pulled out of order or twice"
    assert {record_id for _, record_id in seen} == set(written), "a pull skipped a change"
    assert len(written) == WRITERS * PER_WRITER


def test_the_same_batch_sent_concurrently_is_stored_once(hub):
    """A clinic whose connection dropped may resend while the first copy is still being stored."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.hub.conftest import make_record, push

    code, token = hub.new_clinic()
    records = [make_record("visit", code) for _ in range(50)]

    def send(_):
        with hub.client(token) as client:
            return push(client, records, batch_id="resent-" + code)

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(send, range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    bodies = [r.json() for r in responses]
    assert sorted(b["replayed"] for b in bodies) == [False, True, True, True]
    assert all(b["results"] == bodies[0]["results"] for b in bodies)
    assert {r["status"] for r in bodies[0]["results"]} == {"accepted"}


def test_overlapping_batches_pushed_concurrently_store_each_record_once(hub):
    from concurrent.futures import ThreadPoolExecutor

    from tests.hub.conftest import make_record, push

    code, token = hub.new_clinic()
    records = [make_record("visit", code) for _ in range(60)]

    def send(n):
        with hub.client(token) as client:
            return push(client, records[n * 10 : n * 10 + 30]).json()["results"]  # each overlaps the next

    with ThreadPoolExecutor(4) as pool:
        answers = [a for batch in pool.map(send, range(4)) for a in batch]
    accepted = [a["id"] for a in answers if a["status"] == "accepted"]
    assert sorted(accepted) == sorted({r["id"] for r in records[:60]})  # each accepted exactly once
    assert {a["status"] for a in answers} <= {"accepted", "duplicate"}


def test_two_desks_booking_the_last_reserved_bed_one_gets_it(hub):
    """Seed 001: two nurses accept two inpatient referrals for the last reserved bed at the same
    moment. The guarded UPDATE in directory._take lets exactly one have it; the other gets
    no_beds_left, and her referral, the pool and the change log stay as they were."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.hub.conftest import make_referral, push

    department = hub.new_department(beds=4)  # one bed of four reserved for primary care
    code, token = hub.new_clinic()
    staff = [hub.new_staff("desk"), hub.new_staff("desk")]
    slips = [make_referral(code, purpose="inpatient") for _ in staff]
    with hub.client(token) as clinic:
        assert {r["status"] for r in push(clinic, slips).json()["results"]} == {"accepted"}
    numbers = [s["data"]["referral_no"] for s in slips]
    start = threading.Barrier(len(staff))
    body = {"department_code": department, "appointment_at": "2025-10-01T09:00:00+08:00"}

    def book(n: int):
        with hub.client(staff[n]) as desk:
            desk.get("/api/v1/health")  # connected before the start line
            start.wait(10)
            return desk.post(f"/api/v1/desk/referrals/{numbers[n]}/accept", json=body)

    with ThreadPoolExecutor(len(staff)) as pool:
        answers = list(pool.map(book, range(len(staff))))
    assert sorted(a.status_code for a in answers) == [200, 409]
    (lost,) = [n for n, a in enumerate(answers) if a.status_code == 409]
    assert answers[lost].json()["code"] == "no_beds_left"
    with hub.client(staff[0]) as desk:
        statuses = [desk.get(f"/api/v1/desk/referrals/{n}").json()["status"] for n in numbers]
    assert statuses[lost] == "sent" and statuses[1 - lost] == "accepted"
    import sqlalchemy as sa

    from clinic_hub.models import BedPool

    pools = BedPool.__table__
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(pools).where(pools.c.department_code == department)).one()
    assert (row.reserved, row.used, row.over_quota) == (1, 1, 0)
