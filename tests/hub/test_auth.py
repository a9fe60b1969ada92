"""Authorization suite: every endpoint, every kind of token, over real HTTP on both backends."""

from __future__ import annotations

import pytest

from clinic_hub import accounts
from clinic_tui.sync.wire import record_set_hash
from tests.hub.conftest import make_record, make_referral, pull_all, push

# Every endpoint with a request that would succeed for the right token: (method, path, json).
SYNC = [
    ("POST", "/api/v1/sync/push", {"batch_id": "auth-probe", "records": []}),
    ("GET", "/api/v1/sync/pull", None),
    ("GET", "/api/v1/sync/reconcile", None),
    ("GET", "/api/v1/sync/own?kind=resident", None),
    ("GET", "/api/v1/sync/own/clinic", None),
]
DESK = [
    ("GET", "/api/v1/desk/referrals", None),
    ("GET", "/api/v1/desk/referrals/{no}", None),
    (
        "POST",
        "/api/v1/desk/referrals/{no}/accept",
        {"department_code": "X", "appointment_at": "2025-07-01T09:00+08:00"},
    ),
    ("POST", "/api/v1/desk/referrals/{no}/reject", {"reason": "r"}),
    ("POST", "/api/v1/desk/referrals/{no}/arrive", None),
    ("POST", "/api/v1/desk/referrals/{no}/no-show", None),
    ("POST", "/api/v1/desk/referrals/{no}/complete", None),
    ("POST", "/api/v1/desk/downward-referrals", {"clinic_code": "X"}),
]
REMOTE = [  # {rno}: a remote request number
    ("GET", "/api/v1/remote/requests", None),
    ("GET", "/api/v1/remote/requests/{rno}", None),
    ("POST", "/api/v1/remote/requests/{rno}/accept", None),
    ("POST", "/api/v1/remote/requests/{rno}/return", {"reason": "r"}),
    ("POST", "/api/v1/remote/requests/{rno}/schedule", {"scheduled_at": "2025-07-01T09:00+08:00", "expert": "X"}),
    ("POST", "/api/v1/remote/requests/{rno}/report", {"findings": "f", "conclusion": "c"}),
    ("GET", "/api/v1/remote/requests/{rno}/attachments/{sha256}", None),
]
LAB = [  # {ono}: a lab order number
    ("GET", "/api/v1/lab/orders", None),
    ("GET", "/api/v1/lab/exceptions", None),
    ("GET", "/api/v1/lab/orders/{ono}", None),
    ("POST", "/api/v1/lab/orders/{ono}/receive", None),
    ("POST", "/api/v1/lab/orders/{ono}/reject", {"reason": "标本溶血"}),
    ("POST", "/api/v1/lab/orders/{ono}/results", {"results": [{"code": "K", "value": "4.1"}]}),
    ("POST", "/api/v1/lab/orders/{ono}/corrections", {"code": "K", "value": "4.1", "reason": "复测"}),
]
ATTACHMENTS = [  # a clinic's uploads of attachment files; {sha256}: a file's hash
    ("GET", "/api/v1/attachments/{sha256}", None),
    ("GET", "/api/v1/attachments/{sha256}/content", None),
    ("PUT", "/api/v1/attachments/{sha256}", {"size": 10, "media_type": "application/pdf"}),
    ("PUT", "/api/v1/attachments/{sha256}/chunks/{index}", None),
]
INDICATORS = [("GET", "/api/v1/indicators?month=2025-07", None)]
PROTECTED = SYNC + ATTACHMENTS + DESK + REMOTE + LAB + INDICATORS


def test_the_matrix_covers_every_endpoint(hub):
    documented = {(method.upper(), path) for path, item in hub.app.openapi()["paths"].items() for method in item}
    covered = {
        (
            m,
            p.split("?")[0]
            .replace("{no}", "{referral_no}")
            .replace("{rno}", "{request_no}")
            .replace("{ono}", "{order_no}"),
        )
        for m, p, _ in PROTECTED
    }
    assert documented == covered | {("GET", "/api/v1/health")}


def _call(client, method, path, body, no="NO-SUCH", rno="C1-20250101-R0001"):
    path = path.replace("{no}", no).replace("{rno}", rno).replace("{ono}", "C1-20250101-L0001")
    path = path.replace("{sha256}", "ab" * 32).replace("{index}", "0")
    return client.request(method, path, json=body)


@pytest.mark.parametrize("method,path,body", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_no_token_bad_token_and_revoked_token_get_401(hub, method, path, body):
    code, clinic_token = hub.new_clinic()
    staff_token = hub.new_staff("admin")
    with hub.engine.begin() as conn:
        accounts.revoke_tokens(conn, clinic_code=code)
    staff_id = next(iter(_staff_ids(hub, staff_token)))
    with hub.engine.begin() as conn:
        accounts.revoke_tokens(conn, staff_id=staff_id)
    for headers in (
        {},
        {"Authorization": "Bearer chub_made-up"},
        {"Authorization": f"Basic {clinic_token}"},
        {"Authorization": f"Bearer {clinic_token}"},
        {"Authorization": f"Bearer {staff_token}"},
    ):
        with hub.client(**headers) as client:
            response = _call(client, method, path, body)
            assert response.status_code == 401, (headers, response.text)
            assert response.json()["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"


def _staff_ids(hub, token):
    import sqlalchemy as sa

    from clinic_hub.models import ApiToken

    table = ApiToken.__table__
    with hub.engine.connect() as conn:
        return (
            conn.execute(sa.select(table.c.principal_id).where(table.c.token_hash == accounts.hash_token(token)))
            .scalars()
            .all()
        )


@pytest.mark.parametrize(
    "method,path,body",
    DESK + REMOTE + LAB + INDICATORS,
    ids=[f"{m} {p}" for m, p, _ in DESK + REMOTE + LAB + INDICATORS],
)
def test_clinic_tokens_cannot_use_staff_endpoints(hub, method, path, body):
    code, token = hub.new_clinic()
    referral = make_referral(code)
    with hub.client(token) as client:
        push(client, [referral])
        response = _call(client, method, path, body, no=referral["data"]["referral_no"])
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


@pytest.mark.parametrize("method,path,body", SYNC + ATTACHMENTS, ids=[f"{m} {p}" for m, p, _ in SYNC + ATTACHMENTS])
@pytest.mark.parametrize("role", ["desk", "viewer", "admin", "doctor"])
def test_staff_tokens_cannot_use_the_sync_api(hub, method, path, body, role):
    with hub.client(hub.new_staff(role)) as client:
        assert _call(client, method, path, body).status_code == 403


@pytest.mark.parametrize("method,path,body", DESK + REMOTE + LAB, ids=[f"{m} {p}" for m, p, _ in DESK + REMOTE + LAB])
def test_viewers_cannot_use_the_desk(hub, method, path, body):
    with hub.client(hub.new_staff("viewer")) as client:
        assert _call(client, method, path, body).status_code == 403
    with hub.client(hub.new_staff("viewer")) as client:
        assert client.get("/api/v1/indicators", params={"month": "2025-07"}).status_code == 200


def test_clinic_a_cannot_read_or_change_clinic_b_data(hub):
    code_a, token_a = hub.new_clinic()
    code_b, token_b = hub.new_clinic()
    desk = hub.new_staff("desk")
    department = hub.new_department()
    resident = make_record("resident", code_a, name="甲")
    referral = make_referral(code_a)
    cursor = hub.cursor_now()
    with hub.client(token_a) as a, hub.client(token_b) as b, hub.client(desk) as staff:
        push(a, [resident, referral])
        no = referral["data"]["referral_no"]
        staff.post(
            f"/api/v1/desk/referrals/{no}/accept",
            json={"department_code": department, "appointment_at": "2025-09-01T09:00+08:00"},
        )
        down = staff.post("/api/v1/desk/downward-referrals", json={"clinic_code": code_a, "up_referral_no": no}).json()
        # B cannot overwrite A's records, of any kind, nor acknowledge A's downward referral.
        attacks = [
            make_record("resident", code_b, resident["id"], revision=9),
            make_referral(code_b, "cancelled", revision=9, record_id=referral["id"], referral_no=no),
            make_record("referral_event", code_b, referral_id=down["event_id"], to_status="acknowledged"),
            make_record("resident", code_a),
        ]  # claims to be A's: it is B's all the same
        results = push(b, attacks).json()["results"]
        assert [r["code"] for r in results] == ["foreign_record", "foreign_record", "foreign_record", None]
        assert a.get("/api/v1/sync/reconcile").json()["kinds"]["resident"]["count"] == 1  # ownership = token
        # B's pull carries none of A's answers or downward referrals; B's reconcile none of A's records.
        seen_by_b, _ = pull_all(b, cursor)
        assert {c["kind"] for c in seen_by_b} <= {"slot_pool", "department", "hospital", "broadcast"}
        assert b.get("/api/v1/sync/reconcile").json()["kinds"] == {
            "resident": {"count": 1, "hash": record_set_hash([(attacks[3]["id"], 1)])}
        }
        # Each clinic takes back its own records only (GET /sync/own).
        assert [r["id"] for r in a.get("/api/v1/sync/own?kind=resident").json()["records"]] == [resident["id"]]
        assert [r["id"] for r in b.get("/api/v1/sync/own?kind=resident").json()["records"]] == [attacks[3]["id"]]
        assert b.get("/api/v1/sync/own?kind=referral").json()["records"] == []
        # Each clinic's token names that clinic only (GET /sync/own/clinic, for a rebuild).
        assert [a.get("/api/v1/sync/own/clinic").json()["code"], b.get("/api/v1/sync/own/clinic").json()["code"]] == [
            code_a,
            code_b,
        ]
        seen_by_a, _ = pull_all(a, cursor)
        assert {"referral_event", "referral"} <= {c["kind"] for c in seen_by_a}
        assert staff.get(f"/api/v1/desk/referrals/{no}").json()["status"] == "accepted"


def test_rotation_retires_the_old_token(hub):
    code, old = hub.new_clinic()
    with hub.engine.begin() as conn:
        new = accounts.rotate_token(conn, clinic_code=code)
    with hub.client(old) as stale, hub.client(new) as fresh:
        assert stale.get("/api/v1/sync/reconcile").status_code == 401
        assert fresh.get("/api/v1/sync/reconcile").status_code == 200
