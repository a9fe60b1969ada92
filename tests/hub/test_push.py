"""Push over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import logging
import uuid

import sqlalchemy as sa

from clinic_hub import logs
from clinic_hub.models import AuditLog, SyncConflict, SyncRecord
from tests.hub.conftest import TEST_MAX_BODY, make_record, make_referral, push


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["status"] for r in response.json()["results"]]


def test_new_records_are_accepted_and_resent_revisions_are_duplicates(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        records = [make_record("resident", code, name="李四"), make_record("visit", code, fee_fen=1500)]
        assert statuses(push(client, records)) == ["accepted", "accepted"]
        # Same revisions in a new batch: already had them, and the hub says which revision it holds.
        again = push(client, records).json()["results"]
        assert [(r["status"], r["hub_revision"]) for r in again] == [("duplicate", 1), ("duplicate", 1)]
        newer = make_record("resident", code, records[0]["id"], revision=2, name="李四")
        assert statuses(push(client, [newer])) == ["accepted"]
        older = make_record("resident", code, records[0]["id"], revision=1)
        assert push(client, [older]).json()["results"][0]["hub_revision"] == 2


def test_gzip_request_and_gzip_response(hub):
    code, token = hub.new_clinic()
    records = [make_record("visit", code, note="x" * 200) for _ in range(20)]
    body = gzip.compress(json.dumps({"batch_id": "gz-" + uuid.uuid4().hex, "records": records}).encode())
    with hub.client(token) as client:
        response = client.post(
            "/api/v1/sync/push",
            content=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json", "Accept-Encoding": "gzip"},
        )
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "gzip"
        assert {r["status"] for r in response.json()["results"]} == {"accepted"}


def test_a_resent_batch_returns_the_stored_answers_and_changes_nothing(hub):
    code, token = hub.new_clinic()
    rid = str(uuid.uuid4())
    with hub.client(token) as client:
        first = push(client, [make_record("resident", code, rid), {"kind": "resident"}], batch_id="same-batch-1")
        # Resent, even with different content: the stored answers come back, nothing is written.
        second = push(client, [make_record("resident", code, rid, revision=5)], batch_id="same-batch-1")
        assert second.json()["replayed"] is True
        assert second.json()["results"] == first.json()["results"]
        with hub.engine.connect() as conn:
            revision = conn.execute(
                sa.select(SyncRecord.__table__.c.revision).where(SyncRecord.__table__.c.id == rid)
            ).scalar_one()
        assert revision == 1


def test_one_bad_record_never_blocks_the_others(hub):
    code, token = hub.new_clinic()
    good = [make_record("visit", code) for _ in range(3)]
    bad = [
        {"kind": "visit", "id": "not-a-uuid", "revision": 1, "updated_at": "2025-01-01T00:00:00Z", "data": {}},
        make_record("spaceship", code),
        make_record("visit", ""),  # data.clinic_id is required
        make_record("visit", code, revision=0),
        make_record("visit", code, note="nul \u0000 byte"),  # PostgreSQL's JSONB refuses NUL
        "not even an object",
        {**make_record("visit", code), "data": ["a list", "not an object"]},
    ]
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        results = push(client, [good[0], *bad, good[1], good[2]]).json()["results"]
    assert [r["status"] for r in results][:1] + [r["status"] for r in results][-2:] == ["accepted"] * 3
    middle = results[1:-2]
    assert [r["code"] for r in middle[:4]] == ["invalid_record", "unknown_kind", "missing_field", "invalid_record"]
    # NUL: refused on both databases alike (limits.py), not left to PostgreSQL's JSONB
    assert middle[4]["code"] == "invalid_record" and "NUL" in middle[4]["message"]
    assert middle[5]["code"] == "invalid_record"
    assert middle[6]["code"] == "invalid_record" and "data: dict_type" in middle[6]["message"]
    assert all(r["message"] for r in middle if r["status"] == "rejected")
    assert "does not accept" in middle[1]["message"]


def test_messages_are_chinese_by_default_and_english_on_request(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        zh = push(client, [make_record("spaceship", code)]).json()["results"][0]["message"]
        en = push(client, [make_record("spaceship", code)], headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "枢纽不接收" in zh
    assert "does not accept" in en.json()["results"][0]["message"]


def test_limits_and_malformed_bodies_get_clear_4xx(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        too_many = push(client, [make_record("visit", code) for _ in range(501)])
        assert too_many.status_code == 413 and too_many.json()["code"] == "too_many_records"
        big = client.post(
            "/api/v1/sync/push", content=b"x" * (TEST_MAX_BODY + 1), headers={"Content-Type": "application/json"}
        )
        assert big.status_code == 413 and big.json()["code"] == "body_too_large"
        bomb = gzip.compress(b"[" + b" " * (40 * 1024 * 1024) + b"]")
        assert client.post("/api/v1/sync/push", content=bomb, headers={"Content-Encoding": "gzip"}).status_code == 413
        bad_gzip = client.post("/api/v1/sync/push", content=b"not gzip", headers={"Content-Encoding": "gzip"})
        assert bad_gzip.status_code == 400 and bad_gzip.json()["code"] == "bad_gzip"
        bad_json = client.post("/api/v1/sync/push", content=b"{nope", headers={"Content-Type": "application/json"})
        assert bad_json.status_code == 400 and bad_json.json()["code"] == "bad_json"
        envelope = client.post("/api/v1/sync/push", json={"records": "no"})
        assert envelope.status_code == 422 and envelope.json()["code"] == "invalid_request"
        brotli = client.post("/api/v1/sync/push", content=b"{}", headers={"Content-Encoding": "br"})
        assert brotli.status_code == 415


def test_a_record_of_another_clinic_is_rejected(hub):
    code_a, token_a = hub.new_clinic()
    code_b, token_b = hub.new_clinic()
    record = make_record("resident", code_a, name="甲")
    with hub.client(token_a) as a, hub.client(token_b) as b:
        assert statuses(push(a, [record])) == ["accepted"]
        stolen = make_record("resident", code_b, record["id"], revision=2, name="乙")
        answer = push(b, [stolen]).json()["results"][0]
        assert (answer["status"], answer["code"]) == ("rejected", "foreign_record")


def test_cancel_after_the_hospital_answered_is_a_recorded_conflict(hub):
    code, token = hub.new_clinic()
    desk = hub.new_staff("desk")
    referral = make_referral(code)
    with hub.client(token) as clinic, hub.client(desk) as staff:
        assert statuses(push(clinic, [referral])) == ["accepted"]
        no = referral["data"]["referral_no"]
        assert staff.post(f"/api/v1/desk/referrals/{no}/reject", json={"reason": "本院无此专科"}).status_code == 200
        cancel = make_referral(
            code, status="cancelled", revision=2, record_id=referral["id"], referral_no=no, cancel_reason="患者拒绝"
        )
        answer = push(clinic, [cancel]).json()["results"][0]
        assert (answer["status"], answer["code"]) == ("conflict", "hospital_decision_stands")
        assert staff.get(f"/api/v1/desk/referrals/{no}").json()["status"] == "rejected"
        # The clinic's row is stored (it owns it), so the same revision is now a duplicate.
        assert push(clinic, [cancel]).json()["results"][0]["status"] == "duplicate"
    with hub.engine.connect() as conn:
        table = SyncConflict.__table__
        assert (
            conn.execute(sa.select(table.c.code).where(table.c.record_id == referral["id"])).scalar_one()
            == "hospital_decision_stands"
        )


def test_cancel_before_an_answer_moves_the_referral(hub):
    code, token = hub.new_clinic()
    desk = hub.new_staff("desk")
    referral = make_referral(code)
    no = referral["data"]["referral_no"]
    with hub.client(token) as clinic, hub.client(desk) as staff:
        push(clinic, [referral])
        cancel = make_referral(
            code, "cancelled", revision=2, record_id=referral["id"], referral_no=no, cancel_reason="家属要求"
        )
        assert statuses(push(clinic, [cancel])) == ["accepted"]
        assert staff.get(f"/api/v1/desk/referrals/{no}").json()["status"] == "cancelled"
        late = staff.post(
            f"/api/v1/desk/referrals/{no}/accept",
            json={"department_code": "X", "appointment_at": "2025-07-02T09:00:00+08:00"},
        )
        assert late.status_code == 409 and late.json()["code"] == "illegal_transition"


def test_referral_rules_of_what_a_clinic_may_push(hub):
    code, token = hub.new_clinic()
    first = make_referral(code)
    same_number = make_referral(code, referral_no=first["data"]["referral_no"])
    accepted_by_clinic = make_referral(code, status="accepted")
    downward = make_referral(code, direction_override=True)
    downward["data"]["direction"] = "down"
    no_number = make_referral(code)
    del no_number["data"]["referral_no"]
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        results = push(client, [first, same_number, accepted_by_clinic, downward, no_number]).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [
        ("accepted", None),
        ("rejected", "duplicate_referral_no"),
        ("rejected", "status_not_clinic_owned"),
        ("rejected", "direction_not_allowed"),
        ("rejected", "missing_field"),
    ]


def test_pushes_are_audited_and_logs_carry_no_patient_data(hub):
    code, token = hub.new_clinic()
    captured: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            captured.append(logs.JsonFormatter().format(record))

    handler = Collect()
    logging.getLogger("clinic_hub").addHandler(handler)
    try:
        resident = make_record("resident", code, name="欧阳娜娜", id_number="11010519491231002X", phone="13912345678")
        with hub.client(token) as client:
            push(client, [resident, make_referral(code), make_record("visit", code, note="\u0000")])
            pulled = client.get("/api/v1/sync/pull").json()["changes"]
    finally:
        logging.getLogger("clinic_hub").removeHandler(handler)
    text = "\n".join(captured)
    assert captured and all(json.loads(line) for line in captured)
    for secret in ("欧阳娜娜", "11010519491231002X", "13912345678", "王小明", "13800138000"):
        assert secret not in text
    with hub.engine.connect() as conn:
        table = AuditLog.__table__
        rows = conn.execute(sa.select(table.c.action, table.c.record_ids).where(table.c.actor_id == code)).all()
    actions = {r.action for r in rows}
    assert "sync.push" in actions
    assert ("sync.pull" in actions) == bool(pulled)  # an empty pull reveals nothing, so writes nothing
    assert any(resident["id"] in r.record_ids for r in rows)


def test_a_cancel_without_its_reason_is_rejected_for_the_clinic_to_fix(hub):
    code, token = hub.new_clinic()
    referral = make_referral(code)
    no = referral["data"]["referral_no"]
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        push(client, [referral])
        bare = make_referral(code, "cancelled", revision=2, record_id=referral["id"], referral_no=no)
        answer = push(client, [bare]).json()["results"][0]
        assert (answer["status"], answer["code"]) == ("rejected", "reason_required")
        fixed = make_referral(
            code, "cancelled", revision=2, record_id=referral["id"], referral_no=no, cancel_reason="患者已自行就医"
        )
        assert push(client, [fixed]).json()["results"][0]["status"] == "accepted"


def test_user_records_never_carry_a_pin(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        results = push(
            client,
            [
                make_record("user", code, name="村医", role="doctor"),
                make_record("user", code, name="村医", pin_hash="x"),
            ],
        ).json()["results"]
    assert [(r["status"], r["code"]) for r in results] == [("accepted", None), ("rejected", "secret_field")]


def test_a_referral_deleted_by_its_clinic_leaves_the_desk(hub):
    code, token = hub.new_clinic()
    desk = hub.new_staff("desk")
    referral = make_referral(code)
    no = referral["data"]["referral_no"]
    with hub.client(token) as clinic, hub.client(desk) as staff:
        push(clinic, [referral])
        gone = make_referral(code, revision=2, record_id=referral["id"], referral_no=no, deleted=True)
        gone["deleted"] = True
        assert push(clinic, [gone]).json()["results"][0]["status"] == "accepted"
        listed = staff.get("/api/v1/desk/referrals", params={"clinic": code}).json()["referrals"]
        assert listed == []
        late = staff.post(f"/api/v1/desk/referrals/{no}/reject", json={"reason": "x"})
        assert late.status_code == 409 and late.json()["code"] == "referral_deleted"
