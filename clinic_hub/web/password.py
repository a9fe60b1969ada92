"""Everyone's own password (/desk/password, every role): the current one, the new one twice.

The current password is checked as at sign-in (``auth.sign_in``: wrong ones count towards the
lockout; locked, every session of that person ends). On success the new hash is stored, every
other session of that person ends, and this one is renewed: a new id in the cookie.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine

from clinic_hub import audit
from clinic_hub.accounts import STAFF_ROLES, AccountError
from clinic_hub.dependencies import EngineDep
from clinic_hub.web import auth, views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    ACCOUNT_MESSAGES,
    PREFIX,
    SESSION_COOKIE,
    Posted,
    language,
    poster_for,
    redirect,
    render,
    set_cookie,
    viewer_of,
)
from clinic_hub.web.i18n import N_, Translator

router = APIRouter(prefix=PREFIX, include_in_schema=False)
DONE = N_("Your password has been changed. Your other sessions have ended.")


def _page(request: Request, status: int = 200, error: str | None = None, notice: str | None = None) -> HTMLResponse:
    return render(request, "password.html", status, error=error, notice=notice, min_length=auth.MIN_PASSWORD_LENGTH)


@router.get("/password")
def password_form(
    request: Request, user: WebUser = Depends(viewer_of(*STAFF_ROLES)), done: str | None = Query(None, max_length=5)
) -> Response:
    t = Translator(language(request))
    return _page(request, notice=t(DONE) if done == "1" else None)


def _refuse(request: Request, engine: Engine, user: WebUser, status: int, text: str) -> HTMLResponse:
    with engine.begin() as conn:
        audit.record(conn, user.principal, "web.password", [user.staff_id], status_code=status)
    return _page(request, status, text)


@router.post("/password")
def password_change(
    request: Request, engine: EngineDep, posted: Posted = Depends(poster_for(*STAFF_ROLES))
) -> Response:
    t = Translator(language(request))
    user = posted.user
    current, new, again = posted.secret("current_password"), posted.secret("password"), posted.secret("password_again")
    try:
        auth.check_password_rules(new)
    except AccountError as exc:
        return _refuse(request, engine, user, 422, t(ACCOUNT_MESSAGES[exc.code or "password_too_short"], **exc.params))
    if new != again:
        return _refuse(request, engine, user, 422, t(ACCOUNT_MESSAGES["passwords_differ"]))
    if new == current:
        return _refuse(request, engine, user, 422, t("The new password must differ from the current one."))
    with engine.connect() as conn:
        login = auth.login_of(conn, user.staff_id)
    checked = auth.sign_in(engine, login or "", current) if login else auth.SignIn("wrong")
    if checked.outcome == "locked":
        with engine.begin() as conn:  # someone at an unattended desk guessing: out, everywhere
            auth.end_sessions(conn, user.staff_id)
            audit.record(conn, user.principal, "web.password", [user.staff_id], status_code=429)
        until = views.china_time(checked.locked_until)[-5:]
        locked = render(
            request,
            "message.html",
            429,
            title=N_("Not allowed"),
            text=t("Too many wrong passwords: this login is locked until {time}.", time=until),
            link=f"{PREFIX}/login",
        )
        locked.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return locked
    if checked.outcome != "ok":
        return _refuse(request, engine, user, 422, t("The current password is wrong."))
    password_hash = auth.hash_password(new)  # before the transaction: a second of CPU
    with engine.begin() as conn:
        auth.set_password(conn, user.staff_id, None, password_hash=password_hash)  # ends every session
        session_id = auth.start_session(conn, user.staff_id)
        audit.record(conn, user.principal, "web.password", [user.staff_id])
    response = redirect(f"{PREFIX}/password?done=1")
    set_cookie(request, response, SESSION_COOKIE, session_id)
    return response
