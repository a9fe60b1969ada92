"""The fault proxy itself, against the real hub process: each fault does what the fault tests rely on."""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from .faultproxy import Fault

PUSH = "/api/v1/sync/push"


def push_body(records: int = 30, batch_id: str | None = None) -> tuple[str, bytes]:
    stamp = datetime.now(UTC).isoformat()
    batch_id = batch_id or uuid.uuid4().hex
    body = {
        "batch_id": batch_id,
        "records": [
            {
                "kind": "visit",
                "id": str(uuid.uuid4()),
                "revision": 1,
                "updated_at": stamp,
                "deleted": False,
                "data": {
                    "clinic_id": "c",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "revision": 1,
                    "deleted": False,
                    "resident_id": str(uuid.uuid4()),
                    "chief_complaint": "头晕三天，伴乏力",
                },
            }
            for _ in range(records)
        ],
    }
    return batch_id, gzip.compress(json.dumps(body, ensure_ascii=False).encode())


def post(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post(
        PUSH,
        content=body,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json", "Accept-Encoding": "gzip"},
    )


@pytest.fixture
def client(proxy, hub_process):
    with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {hub_process.token}"}, timeout=30) as http:
        yield http


def stored_visits(hub_process) -> int:
    with sqlite3.connect(hub_process.db_path) as conn:
        return conn.execute("SELECT count(*) FROM sync_record WHERE kind = 'visit'").fetchone()[0]


def test_pass_through_records_the_traffic(client, proxy, hub_process):
    _, body = push_body()
    assert post(client, body).json()["replayed"] is False
    exchange = proxy.exchanges[-1]
    assert (exchange.method, exchange.path, exchange.status) == ("POST", PUSH, 200)
    assert exchange.content_encoding == "gzip" and exchange.request_body_bytes == len(body)
    assert stored_visits(hub_process) == 30


def test_drop_resets_after_the_hub_committed(client, proxy, hub_process):
    batch_id, body = push_body()
    proxy.arm(Fault("drop"))
    with pytest.raises(httpx.TransportError):
        post(client, body)
    assert stored_visits(hub_process) == 30
    assert post(client, body).json()["replayed"] is True  # the resend gets the stored answers


@pytest.mark.parametrize("cut", [0, 15, 200])
def test_truncated_answer_is_a_transport_error(client, proxy, cut):
    proxy.arm(Fault("truncate", at=cut))
    with pytest.raises(httpx.TransportError):
        post(client, push_body()[1])


def test_garbled_body_cannot_be_read(client, proxy):
    proxy.arm(Fault("garble", at=40, count=8))
    with pytest.raises((httpx.DecodingError, ValueError)):
        post(client, push_body()[1]).json()


def test_fault_fires_on_the_nth_matching_request_only(client, proxy):
    proxy.arm(Fault("drop", nth=2))
    client.get("/api/v1/health")  # another path: not counted
    assert post(client, push_body()[1]).status_code == 200
    with pytest.raises(httpx.TransportError):
        post(client, push_body()[1])
    assert post(client, push_body()[1]).status_code == 200
    assert [f.action for f in proxy.fired()] == ["drop"]


def test_hook_runs_while_the_hub_holds_the_request(client, proxy, hub_process):
    proxy.arm(Fault("hook", when="forwarded", hook=hub_process.kill))
    with pytest.raises(httpx.TransportError):
        post(client, push_body()[1])
    hub_process.start()
    assert post(client, push_body()[1]).status_code == 200


def test_offline_refuses_then_online_serves_again(client, proxy):
    proxy.go_offline()
    with pytest.raises(httpx.ConnectError):
        client.get("/api/v1/health")
    proxy.go_online()
    assert client.get("/api/v1/health").status_code == 200


def test_throttle_slows_both_ways(client, proxy):
    proxy.throttle(20_000, latency=0.3)
    started = time.monotonic()
    _, body = push_body(records=200)  # about 8 KB gzip each way: about 0.4 s per direction at 20 KB/s
    assert post(client, body).status_code == 200
    elapsed = time.monotonic() - started
    assert elapsed >= 0.6 + len(body) / 20_000
