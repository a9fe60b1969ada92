"""The web desk's pages (/desk/): sign-in and the referral queue. One referral and its answers are in
``referrals``, the county's indicators of a month in ``indicators``, the administrator's pages in
``admin*``, everyone's own password in ``password``; what all of them share (rendering, sessions,
CSRF) in ``common``.

Every route states who may use it through a dependency (``viewer_of``/``poster_for``), checked on
the server: no session -> the sign-in page (GET) or 401; another role -> 403; a POST without the
session's CSRF token -> 403. The answers go through the desk's own functions (clinic_hub.desk),
the same ones the JSON API and the CLI use: the referral state machine applies, slots are taken
atomically, and each move is published to the clinic's next pull. Every page that shows patient
data and every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from clinic_hub import audit, desk
from clinic_hub.accounts import STAFF_ROLES, Principal
from clinic_hub.dependencies import EngineDep
from clinic_hub.web import auth, queue_views, views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    CSS,
    LANG_COOKIE,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    STALE_FORM,
    Forbidden,
    Posted,
    language,
    local_path,
    poster_for,
    read_form,
    redirect,
    render,
    same_origin,
    set_cookie,
    viewer_of,
)
from clinic_hub.web.i18n import LANGUAGES, N_, Translator
from clinic_tui.domain.referral import STATUS_LABELS, URGENCY_LABELS

PAGE_SIZE = 50

VIEW_ROLES = ("desk", "doctor", "admin")  # the queue and a referral's page
TABS = (
    ("sent", N_("Awaiting answer")),
    ("accepted", N_("Awaiting arrival")),
    ("arrived", N_("Arrived")),
    ("all", N_("All")),
)

NOT_YOUR_DEPARTMENT = N_("This referral is booked into another department.")

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Viewer = Depends(viewer_of(*VIEW_ROLES))


# --- sign-in, sign-out, language, style -------------------------------------------------------------


@router.get("/")
def home(request: Request, engine: EngineDep) -> Response:
    with engine.begin() as conn:
        user = auth.load_session(conn, request.cookies.get(SESSION_COOKIE))
    return redirect(_start_page(user.role) if user else f"{PREFIX}/login")


def _start_page(role: str, wanted: str | None = None) -> str:
    """Where a signed-in user lands: the page asked for, else the queue (a viewer: the indicators)."""
    target = local_path(wanted)
    if role not in VIEW_ROLES and target == f"{PREFIX}/queue":
        return f"{PREFIX}/indicators"
    return target


@router.get("/static/desk.css")
def stylesheet() -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


@router.get("/language/{lang}")
def choose_language(request: Request, lang: str, next: str | None = Query(None, max_length=500)) -> Response:
    response = redirect(local_path(next))
    if lang in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response


def _login_page(
    request: Request,
    status: int = 200,
    error: str | None = None,
    login: str = "",
    next_path: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status,
        csrf_token=token,
        error=error,
        login=login,
        next_path=local_path(next_path),
        notice=notice,
    )
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


@router.get("/login")
def login_form(
    request: Request, next: str | None = Query(None, max_length=500), ended: str | None = Query(None, max_length=10)
) -> Response:
    notice = {"1": N_("You have signed out."), "idle": N_("Your session has ended. Sign in again.")}.get(ended or "")
    return _login_page(request, next_path=next, notice=notice)


@router.post("/login")
async def login(request: Request, engine: EngineDep) -> Response:
    form = await read_form(request)
    cookie_token = request.cookies.get(LOGIN_COOKIE, "")
    if (
        not cookie_token
        or not hmac.compare_digest(cookie_token.encode(), form.get("csrf_token", "").encode())
        or not same_origin(request)
    ):
        raise Forbidden(STALE_FORM)
    name, password = form.get("login", "").strip()[: auth.MAX_LOGIN_LENGTH], form.get("password", "")
    next_path = form.get("next")
    old_session = request.cookies.get(SESSION_COOKIE)
    # argon2 takes a second of CPU: in a worker thread, so the event loop keeps serving clinics.
    result = await run_in_threadpool(auth.sign_in, engine, name, password)
    with engine.begin() as conn:
        who = Principal("staff", result.staff_id) if result.staff_id else Principal("web", "unknown-login")
        if result.outcome == "ok":
            auth.purge_expired(conn)
            assert result.staff_id is not None  # signed in: whose session it is
            session_id = auth.start_session(conn, result.staff_id, old_session_id=old_session)
            started = auth.load_session(conn, session_id)
        status = {"ok": 200, "wrong": 401, "locked": 429, "disabled": 403}[result.outcome]
        audit.record(conn, who, "web.sign_in", [], status_code=status)
    t = Translator(language(request))
    if result.outcome == "disabled":
        return _login_page(request, 403, t("This account is disabled. Ask the administrator."), name, next_path)
    if result.outcome == "locked":
        until = views.china_time(result.locked_until)[-5:]
        return _login_page(
            request, 429, t("Too many wrong passwords: this login is locked until {time}.", time=until), name, next_path
        )
    if result.outcome == "wrong":
        return _login_page(request, 401, t("Wrong login name or password."), name, next_path)
    response = redirect(_start_page(started.role if started else "", next_path))
    set_cookie(request, response, SESSION_COOKIE, session_id)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
def logout(request: Request, engine: EngineDep, posted: Posted = Depends(poster_for(*STAFF_ROLES))) -> Response:
    with engine.begin() as conn:
        auth.end_session(conn, request.cookies.get(SESSION_COOKIE, ""))
        audit.record(conn, posted.user.principal, "web.sign_out", [])
    response = redirect(f"{PREFIX}/login?ended=1")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# --- the queue --------------------------------------------------------------------------------------


@router.get("/queue")
def queue(
    request: Request,
    engine: EngineDep,
    user: WebUser = Viewer,
    tab: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """Incoming upward referrals: green channel first, then urgent, then by waiting time; paged."""
    tab = tab if tab in dict(TABS) else ("accepted" if user.role == "doctor" else "sent")
    status = None if tab == "all" else tab
    department = doctors_department(user)
    with engine.begin() as conn:
        rows = queue_views.queue_page(
            conn, status, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE, department=department
        )
        has_more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        counts = queue_views.status_counts(conn, department=department)
        departments = queue_views.department_names(conn)
        audit.record(conn, user.principal, "web.queue", [r.id for r in rows])
    t = Translator(language(request))
    counts["all"] = sum(n for s, n in counts.items() if s not in desk.NOT_YET_SENT)
    items = [
        {
            "no": r.referral_no,
            "urgency": r.urgency,
            "urgency_label": views.label(t, URGENCY_LABELS, r.urgency),
            "patient": views.joined(r.patient_name, views.code_label(t, views.SEX, r.patient_sex)),
            "clinic": r.clinic_code,
            "status_label": views.label(t, STATUS_LABELS, r.status),
            "department": departments.get(r.to_department_code or "", r.to_department_code or ""),
            "referral_date": r.referral_date or "",
            "sent_at": views.china_time(r.sent_at),
            "waited": views.waited(t, r.sent_at) if r.status == "sent" else "",
            "appointment": views.china_time(r.appointment_at),
            "appointment_department": departments.get(
                r.appointment_department_code or "", r.appointment_department_code or ""
            ),
        }
        for r in rows
    ]
    tabs = [(key, t(name), counts.get(key, 0)) for key, name in TABS]
    return render(
        request,
        "queue.html",
        tab=tab,
        tabs=tabs,
        items=items,
        page=page,
        has_more=has_more,
        first=(page - 1) * PAGE_SIZE + 1,
        department=departments.get(department or "", department),
    )


def doctors_department(user: WebUser) -> str | None:
    """A doctor tied to a department sees only the referrals booked into it (None: everything)."""
    return user.department_code if user.role == "doctor" else None


def check_department(user: WebUser, referral) -> None:
    department = doctors_department(user)
    if department and referral.appointment_department_code != department:
        raise Forbidden(NOT_YOUR_DEPARTMENT)
