"""What every page of the web desk shares: the templates, the security headers, who is asking
(``viewer_of``: a signed-in role; ``poster_for``: a role and the session's CSRF token), the posted
form, and the desk's answers to "not signed in", "not allowed" and "too large".

The routers (``pages``: sign-in, queue, referrals, indicators; ``admin``: the administrator's
pages; ``password``: everyone's own password) import from here and never from each other; so does
``refused``, the answer to a form that cannot be saved (its page again with the reason, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from clinic_hub import audit
from clinic_hub.body import read_limited
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.web import auth, views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Translator

HERE = Path(__file__).parent
PREFIX = "/desk"
SESSION_COOKIE = "desk_session"
LOGIN_COOKIE = "desk_login"  # the sign-in form's CSRF token (double submit: cookie and field)
LANG_COOKIE = "desk_lang"
MAX_FORM_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 1024 * 1024  # a form with a file (the directory import): the whole body
ADMIN_ROLES = ("admin",)  # the administrator's pages
ROLE_LABELS = {
    "desk": N_("Referral office"),
    "doctor": N_("Department doctor"),
    "admin": N_("Administrator"),
    "viewer": N_("Indicators reader"),
}
NOT_YOUR_ROLE = N_("Your role may not open this page.")
STALE_FORM = N_("This form has expired or did not come from the desk. Open the page again and retry.")
# What the account services refuse (AccountError.code), in words for the page.
ACCOUNT_MESSAGES = {
    "clinic_code_required": N_("Give the clinic's code."),
    "clinic_code_format": N_("The clinic code is 1 to 30 letters or digits, without spaces or dashes (e.g. QS0102)."),
    "clinic_name_required": N_("Give the clinic's name."),
    "clinic_exists": N_("A clinic with the code {clinic} already exists."),
    "name_too_long": N_("A name has at most 200 characters."),
    "unknown_role": N_("Choose a role."),
    "staff_name_required": N_("Give the staff member's name."),
    "login_length": N_("The login name needs 1 to 100 characters."),
    "login_taken": N_("This login name is already used by another staff member."),
    "password_too_short": N_("The password needs at least {length} characters."),
    "password_too_long": N_("The password may have at most {length} characters."),
    "password_nul": N_("The password contains a character that cannot be used."),
    "department_required": N_("A department doctor needs a department."),
    "staff_not_found": N_("No such staff member."),
    "staff_disabled": N_("This account is disabled."),
    "self_disable": N_("You cannot disable your own account: another administrator can."),
    "self_demote": N_("You cannot take the administrator role from yourself: another administrator can."),
    "self_password": N_("Change your own password on the Password page (it asks for the current one)."),
    "no_login": N_("This staff member has no desk login yet: set a password first."),
    "passwords_differ": N_("The two new passwords differ."),
}
TOO_LARGE = N_("What was sent is larger than {size} KB: nothing was changed.")

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["path"] = lambda value: quote(str(value), safe="")
templates.globals.update(china_time=views.china_time, prefix=PREFIX)
CSS = (HERE / "static" / "desk.css").read_bytes()
SECURITY_HEADERS = {
    "Cache-Control": "no-store",  # pages carry patient data and one-time tokens: no copy in the browser's cache
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


# --- errors the pages raise -------------------------------------------------------------------------


class NotSignedIn(Exception):
    """No live session: GET goes to the sign-in page, anything else gets 401."""


class Forbidden(Exception):
    """Signed in, but this role may not, or the CSRF token is missing or wrong: 403."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TooLarge(Exception):
    """A posted form (or its file) past its limit: 413, read no further, nothing changed."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


def install(app: FastAPI) -> None:
    """The desk's own answers to its errors: HTML pages, not the JSON API's error shape."""

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn):
        if request.method in ("GET", "HEAD"):
            query = {"next": request.url.path}
            if request.cookies.get(SESSION_COOKIE):  # had a session: it ended (idle, too old, signed out elsewhere)
                query["ended"] = "idle"
            return redirect(f"{PREFIX}/login?" + urlencode(query))
        return render(
            request,
            "message.html",
            401,
            title=N_("Please sign in"),
            text=N_("Your session has ended. Sign in again."),
            link=f"{PREFIX}/login",
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return render(request, "message.html", 403, title=N_("Not allowed"), text=exc.reason, link=f"{PREFIX}/")

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, exc: TooLarge):
        text = Translator(language(request))(TOO_LARGE, size=exc.limit // 1024)
        back = urlsplit(request.headers.get("referer", "")).path
        return render(request, "message.html", 413, title=N_("Too large"), text=text, link=local_path(back))


# --- rendering --------------------------------------------------------------------------------------


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


_R = TypeVar("_R", bound=Response)


def secure(response: _R) -> _R:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    t = Translator(lang)
    user = getattr(request.state, "web_user", None)
    html = templates.get_template(template).render(
        _=t,
        lang=lang,
        user=user,
        role_label=t(ROLE_LABELS.get(user.role, user.role)) if user else "",
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    )
    return secure(HTMLResponse(html, status_code=status))


def redirect(location: str) -> RedirectResponse:
    return secure(RedirectResponse(location, status_code=303))


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def local_path(next_path: str | None) -> str:
    """Only a path of the desk itself: never another site (open redirect)."""
    if next_path and next_path.startswith(PREFIX + "/") and "\\" not in next_path and not urlsplit(next_path).netloc:
        return next_path
    return f"{PREFIX}/queue"


# --- who is asking ----------------------------------------------------------------------------------


def signed_in(request: Request, engine: EngineDep) -> WebUser:
    with engine.begin() as conn:
        user = auth.load_session(conn, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise NotSignedIn()
    request.state.web_user = user
    request.state.principal_label = user.principal.label  # for the request log
    return user


def viewer_of(*roles: str) -> Callable[..., WebUser]:
    """A signed-in staff member whose role is one of ``roles``."""

    def dependency(request: Request, user: WebUser = Depends(signed_in)) -> WebUser:
        if user.role not in roles:
            raise Forbidden(NOT_YOUR_ROLE)
        return user

    return dependency


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its name as the browser gave it, and its bytes."""

    filename: str
    data: bytes


async def _one_chunk(raw: bytes):
    yield raw


async def read_form(request: Request) -> dict[str, str]:
    """The posted form, read once, size-limited: application/x-www-form-urlencoded (64 KB), or
    multipart/form-data with at most one file (1 MB in all; its file in ``request.state.files``)."""
    cached = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limit = MAX_UPLOAD_BYTES if media == "multipart/form-data" else MAX_FORM_BYTES
    try:
        raw = await read_limited(request, limit)
    except ApiError as exc:
        if exc.status == 413:
            raise TooLarge(limit) from None
        raise
    form: dict[str, str] = {}
    files: dict[str, Upload] = {}
    if media == "application/x-www-form-urlencoded":
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid_request") from None
    elif media == "multipart/form-data":
        parser = MultiPartParser(
            request.headers, _one_chunk(raw), max_files=1, max_fields=20, max_part_size=MAX_FORM_BYTES
        )
        try:
            parsed = await parser.parse()
        except (MultiPartException, UnicodeDecodeError, ValueError):
            raise ApiError(400, "invalid_request") from None
        for key, value in parsed.multi_items():
            if isinstance(value, UploadFile):
                files[key] = Upload(value.filename or "", await value.read())
                await value.close()
            else:
                form[key] = value
    request.state.form = form
    request.state.files = files
    return form


def same_origin(request: Request) -> bool:
    """A browser's Origin header, when sent, must name this host (a second line behind the token)."""
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


@dataclass(frozen=True)
class Posted:
    user: WebUser
    form: dict[str, str]
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, limit: int = 4000) -> str:
        return self.form.get(name, "").strip()[:limit]

    def secret(self, name: str) -> str:
        """A password field as typed (spaces kept), bounded."""
        return self.form.get(name, "")[: auth.MAX_PASSWORD_LENGTH + 1]


def poster_for(*roles: str) -> Callable[..., Any]:
    """A state-changing request: a role among ``roles`` and the session's CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``)."""

    async def dependency(request: Request, user: WebUser = Depends(viewer_of(*roles))) -> Posted:
        form = await read_form(request)
        token = form.get("csrf_token") or request.headers.get("x-csrf-token")
        if not auth.csrf_ok(user, token) or not same_origin(request):
            raise Forbidden(STALE_FORM)
        return Posted(user, form, getattr(request.state, "files", {}))

    return dependency


def refused(
    request: Request,
    engine: Engine,
    posted: Posted,
    action: str,
    ids: list[str],
    page: Callable[..., HTMLResponse],
    error: str,
    status: int = 422,
    **context: Any,
) -> HTMLResponse:
    """A form that cannot be saved: its audit row (``action`` with ``status``, in a transaction of
    its own: nothing else was changed), then ``page`` again (the page the form is on, called as
    ``page(request, engine, user, status=, error=, **context)``) with the reason and what was typed."""
    with engine.begin() as conn:
        audit.record(conn, posted.user.principal, action, ids, status_code=status)
    return page(request, engine, posted.user, status=status, error=error, **context)
