"""Helpers of the web desk tests: staff with passwords, a signed-in httpx client, the CSRF token
of a page. Imported by tests/hub/test_web_*.py; their fixture cheap_passwords is in conftest.py."""

from __future__ import annotations

import re
import uuid

import httpx
import sqlalchemy as sa

from clinic_hub import accounts
from clinic_hub.web import auth

PASSWORD = "correct horse battery"
REAL_HASHER = auth.hasher  # before cheap_passwords (conftest.py) swaps it
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_staff(engine, role: str, password: str = PASSWORD, name: str | None = None) -> tuple[str, str]:
    """A staff member with a desk password: (staff id, login)."""
    name = name or f"{role}-{uuid.uuid4().hex[:6]}"
    with engine.begin() as conn:
        staff_id, _token = accounts.add_staff(conn, name, role)
        login = auth.set_password(conn, staff_id, password)
    return staff_id, login


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class DeskClient:
    """An httpx client that signs in like a browser (cookies kept, redirects not followed)."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=30, verify=False, follow_redirects=False)
        self.csrf = ""

    def sign_in(self, login: str, password: str = PASSWORD, expect: int = 303) -> httpx.Response:
        form = self.http.get("/desk/login")
        answer = self.http.post(
            "/desk/login",
            data={"csrf_token": csrf_of(form.text), "login": login, "password": password, "next": "/desk/queue"},
        )
        assert answer.status_code == expect, answer.text[:500]
        if expect == 303:
            self.csrf = csrf_of(self.http.get("/desk/queue").text)
        return answer

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get("desk_session")

    def post(self, path: str, data: dict | None = None, csrf: str | None = "session", **kwargs) -> httpx.Response:
        data = dict(data or {})
        if csrf == "session":
            data["csrf_token"] = self.csrf
        elif csrf is not None:
            data["csrf_token"] = csrf
        return self.http.post(path, data=data, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def close(self) -> None:
        self.http.close()


def referral_status(engine, referral_no: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT status FROM referral WHERE referral_no = :no"), {"no": referral_no}
        ).scalar_one()


def audit_actions(engine, actor_id: str) -> list[tuple[str, int, list]]:
    import json

    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT action, status_code, record_ids FROM audit_log WHERE actor_id = :id ORDER BY id"),
            {"id": actor_id},
        ).all()
    return [(action, status, ids if isinstance(ids, list) else json.loads(ids)) for action, status, ids in rows]
