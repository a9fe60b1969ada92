"""Pull, reconcile and epochs over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from clinic_hub import changes
from clinic_tui.sync.wire import record_set_hash
from tests.hub.conftest import make_record, make_referral, pull_all, push


def test_pull_pages_by_cursor_and_never_repeats(hub):
    code, token = hub.new_clinic()
    departments = {hub.new_department() for _ in range(5)}
    with hub.client(token) as client:
        first, cursor = pull_all(client, limit=2)
        seqs = [c["seq"] for c in first]
        assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
        assert departments <= {c["data"]["code"] for c in first if c["kind"] == "department"}
        nothing, same = pull_all(client, cursor)
        assert nothing == []
        newer = hub.new_department()
        after, _ = pull_all(client, same)
        assert [c["data"]["code"] for c in after] == [newer]


def test_pull_has_more_and_limit(hub):
    _, token = hub.new_clinic()
    for _ in range(3):
        hub.new_department()
    with hub.client(token) as client:
        page = client.get("/api/v1/sync/pull", params={"limit": 1}).json()
        assert len(page["changes"]) == 1 and page["has_more"] is True
        assert client.get("/api/v1/sync/pull", params={"limit": 0}).status_code == 422
        bad = client.get("/api/v1/sync/pull", params={"cursor": "%%%not-base64"})
        assert bad.status_code == 400 and bad.json()["code"] == "bad_cursor"


def test_answers_reach_only_the_clinic_that_sent_the_referral(hub):
    code_a, token_a = hub.new_clinic()
    _, token_b = hub.new_clinic()
    department = hub.new_department()
    referral = make_referral(code_a, urgency="urgent")
    desk = hub.new_staff("desk")
    with hub.client(token_a) as a, hub.client(token_b) as b, hub.client(desk) as staff:
        cursor_a = cursor_b = hub.cursor_now()
        push(a, [referral])
        no = referral["data"]["referral_no"]
        accepted = staff.post(
            f"/api/v1/desk/referrals/{no}/accept",
            json={"department_code": department, "appointment_at": "2025-07-03T09:30:00+08:00", "doctor": "张医生"},
        )
        assert accepted.status_code == 200, accepted.text
        for_a, _ = pull_all(a, cursor_a)
        for_b, _ = pull_all(b, cursor_b)
    events_a = [c for c in for_a if c["kind"] == "referral_event"]
    assert len(events_a) == 1
    event = events_a[0]["data"]
    assert (event["referral_id"], event["to_status"], event["actor"]) == (referral["id"], "accepted", "hospital")
    assert event["appointment_department_code"] == department and event["appointment_doctor"] == "张医生"
    assert event["appointment_at"].startswith("2025-07-03T01:30")  # 09:30 China time, sent as UTC
    assert event["appointment_slot_id"] and event["origin"] == "hub" and event["actor_name"] == "desk user"
    assert event["clinic_id"] == code_a and event["revision"] == 1
    assert not [c for c in for_b if c["kind"] == "referral_event"]
    # Both see the slot pool change: the directory goes to everyone.
    pools = [c["data"] for c in for_b if c["kind"] == "slot_pool" and c["data"]["department_code"] == department]
    assert pools[-1]["remaining"] == pools[-1]["reserved_for_primary"] - 1 == 2  # 9 a day -> 3 for primary care
    assert pools[-1]["department_id"] == changes.directory_record_id("department", department)


def test_reconcile_counts_and_hashes_what_the_clinic_sent(hub):
    code, token = hub.new_clinic()
    records = [make_record("visit", code) for _ in range(4)] + [make_record("resident", code, deleted=True)]
    with hub.client(token) as client:
        empty = client.get("/api/v1/sync/reconcile").json()
        assert empty["kinds"] == {}
        push(client, records)
        push(client, [make_record("visit", code, records[0]["id"], revision=3)])
        body = client.get("/api/v1/sync/reconcile").json()
    visits = [(r["id"], 3 if r is records[0] else 1) for r in records[:4]]
    assert body["kinds"]["visit"] == {"count": 4, "hash": record_set_hash(reversed(visits))}
    assert body["kinds"]["resident"] == {"count": 1, "hash": record_set_hash([(records[4]["id"], 1)])}
    assert body["epoch"] == empty["epoch"]


def test_the_last_page_of_a_pull_carries_the_reconcile_numbers_when_asked(hub):
    """Protocol revision 2: GET /sync/pull?with_reconcile=true. The numbers ride on the last page
    only (has_more false), equal to what GET /sync/reconcile answers; unasked, none are sent."""
    code, token = hub.new_clinic()
    for _ in range(2):
        hub.new_department()
    with hub.client(token) as client:
        push(client, [make_record("visit", code) for _ in range(3)])
        first = client.get("/api/v1/sync/pull", params={"limit": 1, "with_reconcile": "true"}).json()
        assert first["has_more"] is True and first["reconcile"] is None  # not the last page
        last = client.get("/api/v1/sync/pull", params={"limit": 100, "with_reconcile": "true"}).json()
        asked = client.get("/api/v1/sync/reconcile").json()
        unasked = client.get("/api/v1/sync/pull", params={"limit": 100}).json()
        health = client.get("/api/v1/health").json()
    assert last["has_more"] is False and last["reconcile"] == asked
    assert asked["kinds"]["visit"]["count"] == 3 and asked["api_version"] == "1"
    assert unasked["reconcile"] is None
    assert health["protocol_revision"] >= 2  # revision 2 added it (3: compact push answers)


def test_a_new_epoch_restarts_cursors_and_is_announced(hub):
    _, token = hub.new_clinic()
    hub.new_department()
    with hub.client(token) as client:
        everything, cursor = pull_all(client)
        old_epoch = client.get("/api/v1/sync/reconcile").json()["epoch"]
        with hub.engine.begin() as conn:
            new = changes.new_epoch(conn)
        try:
            again = client.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": 1000}).json()
            assert again["epoch"] == new != old_epoch
            # The old epoch's cursor starts from the beginning: the clinic gets everything again.
            assert {c["id"] for c in everything} <= {c["id"] for c in again["changes"]}
            assert client.get("/api/v1/health").json()["epoch"] == new
        finally:
            with hub.engine.begin() as conn:
                changes.set_meta(conn, "epoch", old_epoch)


def test_health_needs_no_token(hub):
    with hub.client() as client:
        body = client.get("/api/v1/health").json()
    assert body["status"] == "ok" and body["api_version"] == "1" and uuid.UUID(body["epoch"])
