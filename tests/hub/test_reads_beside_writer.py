"""On SQLite, what only reads (the token check, /health, /reconcile, an empty pull) answers while
another connection holds the write lock; what writes waits for it (issue 19: every transaction took
the write lock up front, so a long push held up the county's health checks and reconciles, and a
write held past the 30 s busy timeout would have turned them into 500s)."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import HubServer, make_record, push

# Far below the 30 s the hub would wait for the lock: an answer within it did not wait.
DID_NOT_WAIT_S = 10


@pytest.fixture
def sqlite_hub(tmp_path):
    server = HubServer("sqlite", f"sqlite:///{tmp_path / 'hub.db'}")
    yield server
    server.stop()


def _holding_the_write_lock(path):
    """Another process's writer, mid-transaction: BEGIN IMMEDIATE and nothing committed."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE hub_meta SET value = value WHERE key = 'epoch'")
    return holder


def test_reads_answer_while_a_writer_holds_the_lock_and_a_write_waits_for_it(sqlite_hub, tmp_path):
    code, token = sqlite_hub.new_clinic()
    with sqlite_hub.client(token) as client:
        assert push(client, [make_record("resident", code)]).status_code == 200
        cursor = client.get("/api/v1/sync/pull").json()["next_cursor"]  # after everything so far

    holder = _holding_the_write_lock(tmp_path / "hub.db")
    released = threading.Event()
    try:
        with sqlite_hub.client(token) as client, ThreadPoolExecutor(1) as pool:
            for path, params in [
                ("/api/v1/health", {}),
                ("/api/v1/sync/reconcile", {}),
                ("/api/v1/sync/pull", {"cursor": cursor}),  # nothing new: nothing to audit
            ]:
                answer = pool.submit(client.get, path, params=params).result(timeout=DID_NOT_WAIT_S)
                assert answer.status_code == 200, (path, answer.text)
            assert client.get("/api/v1/sync/reconcile").json()["kinds"]["resident"]["count"] == 1

            # A push writes: it waits for the lock and is stored once the writer commits.
            waiting = pool.submit(push, client, [make_record("resident", code)])
            assert not waiting.done()
            threading.Timer(0.5, released.set).start()
            released.wait()
            assert not waiting.done()  # still behind the writer, not failed
            holder.execute("COMMIT")
            assert waiting.result(timeout=DID_NOT_WAIT_S).status_code == 200
            assert client.get("/api/v1/sync/reconcile").json()["kinds"]["resident"]["count"] == 2
    finally:
        holder.close()
