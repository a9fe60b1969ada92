"""The web desk's guards, over real HTTP on SQLite and PostgreSQL: every route needs a session,
the right role and (to change anything) the session's CSRF token; sign-in rotates the session,
locks after repeated failures, ends when idle; clinic tokens and desk sessions stay in their lanes."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from clinic_hub.db import utcnow
from clinic_hub.web import auth, pages
from clinic_hub.web import remote as remote_pages

from .conftest import make_referral, push
from .remote_support import make_remote
from .web_support import (
    PASSWORD,
    REAL_HASHER,
    DeskClient,
    add_staff,
    audit_actions,  # noqa: F401
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
EVERY_ROLE = {  # any signed-in role reads the county's indicators
    ("GET", "/desk/indicators"),
    ("GET", "/desk/indicators.csv"),
    ("GET", "/desk/indicators.xlsx"),
}
ANSWERS = ("accept", "reject", "arrive", "no-show", "complete")
STALE = "表单已失效"


def _routes() -> list[tuple[str, str]]:
    found = []
    for route in [*pages.router.routes, *remote_pages.router.routes]:  # the referral desk, the reading rooms
        assert isinstance(route, APIRoute)
        for method in route.methods - {"HEAD"}:
            found.append((method, route.path))
    return sorted(found)


REMOTE_ANSWERS = ("accept", "return", "schedule", "report")


def _url(path: str, referral_no: str, request_no: str = "C1-20250101-R0001") -> str:
    return path.replace("{referral_no}", referral_no).replace("{request_no}", request_no).replace("{lang}", "en")


@pytest.fixture(scope="module")
def world(hub):
    """A clinic with sent referrals, and signed-in staff of each role (one set per backend)."""
    code, token = hub.new_clinic()
    clinic = hub.client(token)
    referrals = [make_referral(code, urgency="emergency" if i == 0 else "normal") for i in range(4)]
    remote = make_remote(code)
    assert push(clinic, [*referrals, remote]).status_code == 200
    people = {}
    for role in ("desk", "doctor", "viewer", "admin"):
        staff_id, login = add_staff(hub.engine, role)
        client = DeskClient(hub.base_url)
        client.sign_in(login)
        people[role] = client
    numbers = [r["data"]["referral_no"] for r in referrals]
    yield {"clinic": clinic, "code": code, "numbers": numbers, "remote": remote["data"]["request_no"], **people}
    clinic.close()
    for client in people.values():
        client.close()


def test_the_route_list_is_what_these_tests_cover():
    routes = _routes()
    assert ("GET", "/desk/queue") in routes and ("GET", "/desk/referrals/{referral_no}") in routes
    assert {("POST", f"/desk/referrals/{{referral_no}}/{a}") for a in (*ANSWERS, "send-down")} <= set(routes)
    assert PUBLIC <= set(routes) and EVERY_ROLE <= set(routes)
    assert ("GET", "/desk/remote") in routes and ("GET", "/desk/remote/{request_no}") in routes
    assert {("POST", f"/desk/remote/{{request_no}}/{a}") for a in REMOTE_ANSWERS} <= set(routes)


def test_every_route_without_a_session_goes_to_sign_in_or_gets_401(hub, world):
    anonymous = DeskClient(hub.base_url)
    number = world["numbers"][1]
    for method, path in _routes():
        if (method, path) in PUBLIC:
            continue
        answer = anonymous.http.request(method, _url(path, number, world["remote"]), data={"csrf_token": "x"})
        if method == "GET":
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/desk/login?next=")
        else:
            assert answer.status_code == 401, path
    anonymous.http.cookies.set("desk_session", "forged-session-id", domain="127.0.0.1", path="/desk")
    assert anonymous.get("/desk/queue").status_code == 303  # a made-up session id is no session
    assert anonymous.post(f"/desk/referrals/{number}/accept", csrf="x").status_code == 401
    anonymous.close()


def test_another_roles_session_gets_403_and_changes_nothing(hub, world):
    number = world["numbers"][1]
    viewer = world["viewer"]
    for method, path in _routes():
        if (method, path) in PUBLIC or path == "/desk/logout":
            continue
        answer = viewer.http.request(method, _url(path, number, world["remote"]), data={"csrf_token": viewer.csrf})
        assert answer.status_code == (200 if (method, path) in EVERY_ROLE else 403), (method, path)
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
    assert desk.get("/desk/queue").status_code == 200  # still signed in


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
