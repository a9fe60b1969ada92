"""The web desk's guards, over real HTTP on SQLite and PostgreSQL: every route needs a session,
the right role and (to change anything) the session's CSRF token; sign-in rotates the session,
locks after repeated failures, ends when idle; clinic tokens and desk sessions stay in their lanes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from clinic_hub.db import utcnow
from clinic_hub.web import auth, routers

from .conftest import make_referral, push
from .lab_support import make_order
from .remote_support import make_remote
from .web_support import (
    PASSWORD,
    REAL_HASHER,
    DeskClient,
    add_staff,
    audit_actions,
    csrf_of,
    referral_status,
)

pytestmark = pytest.mark.usefixtures("cheap_passwords")

PUBLIC = {
    ("GET", "/desk/"),
    ("GET", "/desk/login"),
    ("POST", "/desk/login"),
    ("GET", "/desk/static/desk.css"),
    ("GET", "/desk/language/{lang}"),
}
EVERY_ROLE = {  # any signed-in role reads the county's indicators and changes their own password
    ("GET", "/desk/indicators"),
    ("GET", "/desk/indicators.csv"),
    ("GET", "/desk/indicators.xlsx"),
    ("GET", "/desk/password"),
}
OWN = {("POST", "/desk/password")}  # every role, for their own account only (tests/hub/test_web_admin.py)
ADMIN_ONLY = "/desk/admin/"
ANSWERS = ("accept", "reject", "arrive", "no-show", "complete")
STALE = "表单已失效"


def _routes() -> list[tuple[str, str]]:
    found = []
    for router in routers:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods - {"HEAD"}:
                found.append((method, route.path))
    return sorted(found)


REMOTE_ANSWERS = ("accept", "return", "schedule", "report")
LAB_ANSWERS = ("receive", "reject", "results")


def _url(
    path: str,
    referral_no: str,
    clinic_code: str = "NOPE",
    staff_id: str = "nobody",
    request_no: str = "",
    order_no: str = "",
) -> str:
    return (
        path.replace("{referral_no}", referral_no)
        .replace("{request_no}", request_no or "C1-20250101-R0001")
        .replace("{order_no}", order_no or "C1-20250101-L0001")
        .replace("{lang}", "en")
        .replace("{code}", clinic_code)
        .replace("{staff_id}", staff_id)
        .replace("{sha256}", "ab" * 32)
    )


def _fingerprint(engine) -> tuple:
    """What a refused request must leave as it was: clinics, staff, logins, tokens, departments,
    sessions, the hospital, the change log."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(sa.text(query)).all()
            for query in (
                "SELECT code, name FROM clinic ORDER BY code",
                "SELECT id, name, role, disabled_at IS NULL FROM staff ORDER BY id",
                "SELECT staff_id, login, password_hash, failed_count, department_code FROM staff_login "
                "ORDER BY staff_id",
                "SELECT token_hash, revoked_at IS NULL FROM api_token ORDER BY token_hash",
                "SELECT code, name, daily_outpatient_slots, active FROM department ORDER BY code",
                "SELECT id_hash FROM web_session ORDER BY id_hash",
                "SELECT key, value FROM hub_meta WHERE key LIKE 'hospital%' ORDER BY key",
                "SELECT max(seq) FROM sync_record",
            )
        )


@pytest.fixture(scope="module")
def world(hub):
    """A clinic with sent referrals, and signed-in staff of each role (one set per backend)."""
    code, token = hub.new_clinic()
    clinic = hub.client(token)
    referrals = [make_referral(code, urgency="emergency" if i == 0 else "normal") for i in range(4)]
    remote = make_remote(code)
    lab_order = make_order(code)
    assert push(clinic, [*referrals, remote, lab_order]).status_code == 200
    people = {}
    for role in ("desk", "doctor", "viewer", "admin"):
        staff_id, login = add_staff(hub.engine, role)
        client = DeskClient(hub.base_url)
        client.sign_in(login)
        client.staff_id = staff_id
        people[role] = client
    numbers = [r["data"]["referral_no"] for r in referrals]
    yield {
        "clinic": clinic,
        "code": code,
        "numbers": numbers,
        "remote": remote["data"]["request_no"],
        "lab": lab_order["data"]["order_no"],
        **people,
    }
    clinic.close()
    for client in people.values():
        client.close()


def test_the_route_list_is_what_these_tests_cover():
    routes = _routes()
    assert ("GET", "/desk/queue") in routes and ("GET", "/desk/referrals/{referral_no}") in routes
    assert {("POST", f"/desk/referrals/{{referral_no}}/{a}") for a in (*ANSWERS, "send-down")} <= set(routes)
    assert PUBLIC <= set(routes) and EVERY_ROLE <= set(routes) and OWN <= set(routes)
    admin = {route for route in routes if route[1].startswith(ADMIN_ONLY)}
    for page in ("clinics", "staff", "departments", "directory", "audit"):
        assert ("GET", f"{ADMIN_ONLY}{page}") in admin
    assert {
        ("POST", "/desk/admin/clinics"),
        ("POST", "/desk/admin/clinics/{code}/token"),
        ("POST", "/desk/admin/clinics/{code}/revoke"),
        ("POST", "/desk/admin/staff"),
        ("POST", "/desk/admin/staff/{staff_id}/password"),
        ("POST", "/desk/admin/staff/{staff_id}/unlock"),
        ("POST", "/desk/admin/staff/{staff_id}/role"),
        ("POST", "/desk/admin/staff/{staff_id}/disable"),
        ("POST", "/desk/admin/staff/{staff_id}/enable"),
        ("POST", "/desk/admin/departments"),
        ("POST", "/desk/admin/departments/{code}"),
        ("POST", "/desk/admin/directory/hospital"),
        ("POST", "/desk/admin/directory/import"),
    } <= admin
    assert {("GET", "/desk/pools"), ("POST", "/desk/pools")} <= set(routes)
    assert ("GET", "/desk/remote") in routes and ("GET", "/desk/remote/{request_no}") in routes
    assert {("POST", f"/desk/remote/{{request_no}}/{a}") for a in REMOTE_ANSWERS} <= set(routes)
    assert ("GET", "/desk/remote/{request_no}/attachments/{sha256}") in routes  # a request's file, inline
    assert ("GET", "/desk/lab") in routes and ("GET", "/desk/lab/{order_no}") in routes
    assert {("POST", f"/desk/lab/{{order_no}}/{a}") for a in LAB_ANSWERS} <= set(routes)


def test_every_route_without_a_session_goes_to_sign_in_or_gets_401(hub, world):
    anonymous = DeskClient(hub.base_url)
    number = world["numbers"][1]
    before = _fingerprint(hub.engine)
    for method, path in _routes():
        if (method, path) in PUBLIC:
            continue
        url = _url(path, number, world["code"], world["desk"].staff_id, world["remote"], world["lab"])
        answer = anonymous.http.request(method, url, data={"csrf_token": "x", "code": "X1", "name": "x"})
        if method == "GET":
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/desk/login?next=")
        else:
            assert answer.status_code == 401, path
    anonymous.http.cookies.set("desk_session", "forged-session-id", domain="127.0.0.1", path="/desk")
    assert anonymous.get("/desk/queue").status_code == 303  # a made-up session id is no session
    assert anonymous.post(f"/desk/referrals/{number}/accept", csrf="x").status_code == 401
    assert _fingerprint(hub.engine) == before
    anonymous.close()


def test_another_roles_session_gets_403_and_changes_nothing(hub, world):
    number = world["numbers"][1]
    viewer = world["viewer"]
    before = _fingerprint(hub.engine)
    for method, path in _routes():
        if (method, path) in PUBLIC | OWN or path == "/desk/logout":
            continue
        url = _url(path, number, world["code"], world["desk"].staff_id, world["remote"], world["lab"])
        answer = viewer.http.request(method, url, data={"csrf_token": viewer.csrf, "code": "X1", "name": "x"})
        assert answer.status_code == (200 if (method, path) in EVERY_ROLE else 403), (method, path)
    for role in ("desk", "doctor"):  # the administrator's pages are the administrator's only
        client = world[role]
        for method, path in _routes():
            if path.startswith(ADMIN_ONLY):
                url = _url(path, number, world["code"], world["viewer"].staff_id)
                answer = client.http.request(method, url, data={"csrf_token": client.csrf, "role": "admin"})
                assert answer.status_code == 403 and "无权" in answer.text, (role, method, path)
    assert _fingerprint(hub.engine) == before
    doctor = world["doctor"]
    assert doctor.get("/desk/queue").status_code == 200
    assert doctor.get(f"/desk/referrals/{number}").status_code == 200
    for action in ANSWERS:  # a department doctor reads and sends down; the referral office answers
        answer = doctor.post(
            f"/desk/referrals/{number}/{action}",
            {"reason": "x", "department": "NEI", "date": "2030-01-01", "time": "09:00"},
        )
        assert answer.status_code == 403, action
    assert referral_status(hub.engine, number) == "sent"


def test_every_role_reads_the_indicators_and_a_get_needs_no_csrf_token(world):
    for role in ("desk", "doctor", "viewer", "admin"):
        for _method, path in sorted(EVERY_ROLE):
            answer = world[role].get(path)  # no token anywhere: a read changes nothing
            assert answer.status_code == 200, (role, path)


@pytest.mark.parametrize("token", [None, "", "wrong-token", "other-session"])
def test_a_post_without_the_sessions_csrf_token_gets_403(hub, world, token):
    desk = world["desk"]
    number = world["numbers"][2]
    if token == "other-session":
        token = world["admin"].csrf  # a real token, of another session
    answer = desk.post(f"/desk/referrals/{number}/reject", {"reason": "本院无此专科"}, csrf=token)
    assert answer.status_code == 403
    assert STALE in answer.text
    assert desk.post("/desk/logout", csrf=token).status_code == 403
    assert referral_status(hub.engine, number) == "sent"
    admin_token = desk.csrf if token == world["admin"].csrf else token  # for the admin: another session's
    for action in REMOTE_ANSWERS:
        refused = world["admin"].post(f"/desk/remote/{world['remote']}/{action}", {"reason": "x"}, csrf=admin_token)
        assert refused.status_code == 403 and STALE in refused.text, action
    for action in LAB_ANSWERS:
        refused = world["admin"].post(f"/desk/lab/{world['lab']}/{action}", {"reason": "x"}, csrf=admin_token)
        assert refused.status_code == 403 and STALE in refused.text, action
    assert desk.get("/desk/queue").status_code == 200  # still signed in


@pytest.mark.parametrize("token", [None, "wrong-token", "other-session"])
def test_every_change_of_the_desk_needs_the_sessions_csrf_token(hub, world, token):
    """Every POST route (the administrator's pages, the own password, the answers), by an admin
    (who may use them all): without the token, or with a wrong one, 403 and nothing changes."""
    admin = world["admin"]
    if token == "other-session":
        token = world["desk"].csrf
    before = _fingerprint(hub.engine)
    form = {
        "code": "CSRF1",
        "name": "跨站",
        "login": "csrf-login",
        "role": "viewer",
        "password": "a long enough one",
        "password_again": "a long enough one",
        "current_password": PASSWORD,
        "daily_outpatient_slots": "9",
        "reason": "x",
    }
    posts = [path for method, path in _routes() if method == "POST" and ("POST", path) not in PUBLIC]
    assert len(posts) >= 20
    for path in posts:
        url = _url(path, world["numbers"][3], world["code"], world["viewer"].staff_id, world["remote"], world["lab"])
        answer = admin.post(url, form, csrf=token)
        assert answer.status_code == 403 and STALE in answer.text, path
    upload = admin.http.post(  # the one form with a file: multipart, its token inside
        "/desk/admin/directory/import",
        data={"csrf_token": token or ""},
        files={"file": ("directory.toml", b'[hospital]\ncode = "EVIL"\nname = "x"\n', "text/plain")},
    )
    assert upload.status_code == 403
    assert _fingerprint(hub.engine) == before
    assert admin.get("/desk/admin/clinics").status_code == 200  # still signed in


def test_the_csrf_token_may_come_as_a_header_and_a_foreign_origin_is_refused(hub, world):
    desk = world["desk"]
    unknown = "NOPE-20250101-0001"
    by_header = desk.post(f"/desk/referrals/{unknown}/arrive", csrf=None, headers={"X-CSRF-Token": desk.csrf})
    assert by_header.status_code == 404  # past the guards: the referral does not exist
    foreign = desk.post(f"/desk/referrals/{unknown}/arrive", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403


def test_the_sign_in_form_has_its_own_csrf_token(hub):
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    client.get("/desk/login")
    answer = client.http.post("/desk/login", data={"csrf_token": "guessed", "login": login, "password": PASSWORD})
    assert answer.status_code == 403 and client.session_cookie is None
    client.close()


def test_signing_in_makes_a_new_session_id_and_ends_the_old_one(hub):
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    planted = "attacker-chose-this-id"
    client.http.cookies.set("desk_session", planted, domain="127.0.0.1", path="/desk")
    client.sign_in(login)
    first = client.session_cookie
    assert first and first != planted and len(first) >= 40
    client.sign_in(login)  # signing in again, e.g. on a shared PC
    second = client.session_cookie
    assert second != first
    stale = DeskClient(hub.base_url)
    stale.http.cookies.set("desk_session", first, domain="127.0.0.1", path="/desk")
    assert stale.get("/desk/queue").status_code == 303  # the old id is gone from the database
    with hub.engine.connect() as conn:  # only hashes of session ids are stored
        stored = (
            conn.execute(sa.text("SELECT id_hash FROM web_session WHERE staff_id = :id"), {"id": staff_id})
            .scalars()
            .all()
        )
    assert len(stored) == 1 and second not in stored[0]
    assert client.post("/desk/logout").status_code == 303
    assert client.get("/desk/queue").status_code == 303
    stale.close()
    client.close()


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(hub):
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    for _attempt in range(auth.MAX_FAILURES - 1):
        answer = client.sign_in(login, "wrong password", expect=401)
        assert "登录名或密码错误" in answer.text
    locked = client.sign_in(login, "wrong password", expect=429)
    assert "锁定" in locked.text
    client.sign_in(login, PASSWORD, expect=429)  # locked: the right password does not open it
    assert client.session_cookie is None
    actions = audit_actions(hub.engine, staff_id)
    assert [a for a, _s, _i in actions].count("web.sign_in") == auth.MAX_FAILURES + 1
    assert [s for _a, s, _i in actions][-2:] == [429, 429]
    with hub.engine.begin() as conn:  # 15 minutes later
        conn.execute(
            sa.text("UPDATE staff_login SET locked_until = :t WHERE staff_id = :id"),
            {"t": utcnow() - timedelta(seconds=1), "id": staff_id},
        )
    client.sign_in(login, PASSWORD)
    client.close()


def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(hub):
    client = DeskClient(hub.base_url)
    answer = client.sign_in("nobody-by-this-name", "whatever", expect=401)
    assert "登录名或密码错误" in answer.text
    client.close()


def test_an_idle_session_ends(hub):
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    with hub.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE web_session SET last_seen_at = :t WHERE staff_id = :id"),
            {"t": utcnow() - auth.IDLE_TIMEOUT - timedelta(minutes=1), "id": staff_id},
        )
    location = client.get("/desk/queue").headers["location"]
    assert location == "/desk/login?next=%2Fdesk%2Fqueue&ended=idle"
    assert "登录已失效" in client.get(location).text
    client.close()


def test_a_clinic_token_cannot_use_the_desk(hub, world):
    token = hub.new_clinic()[1]
    client = DeskClient(hub.base_url)
    client.http.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/desk/queue").status_code == 303  # bearer tokens are not desk sessions
    assert client.post(f"/desk/referrals/{world['numbers'][1]}/arrive", csrf="x").status_code == 401
    assert client.get("/api/v1/desk/referrals").status_code == 403  # nor does the JSON desk take it
    assert client.get("/api/v1/remote/requests").status_code == 403
    assert client.post(f"/desk/remote/{world['remote']}/accept", csrf="x").status_code == 401
    client.close()


def test_a_desk_session_cannot_push_or_pull(hub, world):
    desk = world["desk"]
    headers = {"X-CSRF-Token": desk.csrf}
    pushed = desk.http.post("/api/v1/sync/push", json={"batch_id": "web-desk", "records": []}, headers=headers)
    assert pushed.status_code == 401
    assert desk.get("/api/v1/sync/pull", headers=headers).status_code == 401
    assert desk.get("/api/v1/desk/referrals").status_code == 401  # the JSON API wants its bearer token


def test_staff_tokens_keep_working_for_the_json_api(hub, world):
    token = hub.new_staff("desk")
    with hub.client(token) as api:
        assert api.get("/api/v1/desk/referrals").status_code == 200


def test_cookies_and_headers(hub):
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    answer = client.sign_in(login)
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("desk_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/desk" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https: see the next test
    page = client.get("/desk/queue")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/desk/login?next=https://evil.example/").status_code == 200
    form = client.get("/desk/login")
    away = client.http.post(
        "/desk/login",
        data={"csrf_token": csrf_of(form.text), "login": login, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert away.headers["location"] == "/desk/queue"  # never redirected off the desk
    client.close()


def test_the_session_cookie_is_secure_over_https(hub):
    """Behind a TLS-terminating proxy on the same machine (uvicorn trusts its X-Forwarded-Proto)."""
    staff_id, login = add_staff(hub.engine, "desk")
    client = DeskClient(hub.base_url)
    client.http.headers["X-Forwarded-Proto"] = "https"
    form = client.get("/desk/login")
    assert "Secure" in form.headers["set-cookie"]  # so httpx keeps it to itself over http: hand it over
    token = csrf_of(form.text)
    client.http.cookies.set("desk_login", token, domain="127.0.0.1", path="/desk")
    answer = client.http.post("/desk/login", data={"csrf_token": token, "login": login, "password": PASSWORD})
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("desk_session="))
    assert answer.status_code == 303 and "Secure" in cookie
    client.close()


def test_passwords_are_argon2id_with_the_full_parameters(hub, monkeypatch):
    monkeypatch.setattr(auth, "hasher", REAL_HASHER)  # the hub's own, not the tests' cheap one
    staff_id, _login = add_staff(hub.engine, "desk", password="another long one")
    with hub.engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT password_hash FROM staff_login WHERE staff_id = :id"), {"id": staff_id}
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and "another" not in stored
