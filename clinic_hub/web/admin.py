"""The administrator's pages (/desk/admin/, role ``admin`` only): clinics and their tokens, staff
accounts and roles, departments, the directory, the audit log.

Every change goes through the same services as the command line (``accounts``, ``web.auth``,
``directory``), in one transaction with its audit row (``web.admin.*``); a refused change shows the
page again with the reason (422), changes nothing and is audited too (``common.refused``). Every
page that shows clinics or staff is audited too. A token is shown once, on the page that answers
the POST that made it; neither tokens nor passwords are ever written to the audit log or the logs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic_hub import accounts, audit
from clinic_hub.accounts import AccountError
from clinic_hub.dependencies import EngineDep
from clinic_hub.messages import message
from clinic_hub.web import admin_views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    ACCOUNT_MESSAGES,
    ADMIN_ROLES,
    PREFIX,
    Posted,
    language,
    poster_for,
    redirect,
    refused,
    render,
    viewer_of,
)
from clinic_hub.web.i18n import N_, Translator

QUIET_DAYS = 3  # a clinic not heard from for this many days is shown in red
AUDIT_PAGE_SIZE = 100

router = APIRouter(prefix=f"{PREFIX}/admin", include_in_schema=False)
Admin = Depends(viewer_of(*ADMIN_ROLES))
AdminPost = Depends(poster_for(*ADMIN_ROLES))

NO_DEPARTMENT = N_("There is no department with the code {department}.")
CLINIC_DONE = {
    "revoked": N_("Token revoked: the clinic's sync is refused (401) until you issue a new token."),
}


def translator(request: Request) -> Translator:
    return Translator(language(request))


def account_error(t: Translator, exc: AccountError) -> str:
    msgid = ACCOUNT_MESSAGES.get(exc.code or "")
    return t(msgid, **exc.params) if msgid else str(exc)


def not_found(request: Request, engine: Engine, user: WebUser, action: str, what: str, back: str) -> HTMLResponse:
    with engine.begin() as conn:
        audit.record(conn, user.principal, action, [], status_code=404)
    return render(request, "message.html", 404, title=N_("Not found"), text=what, link=f"{PREFIX}/admin/{back}")


# --- clinics ----------------------------------------------------------------------------------------


def _clinics_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    with engine.begin() as conn:
        clinics = admin_views.clinics_overview(conn)
        audit.record(conn, user.principal, "web.admin.clinics", [c.code for c in clinics])
    return render(
        request,
        "admin_clinics.html",
        status,
        clinics=clinics,
        quiet_days=QUIET_DAYS,
        error=error,
        values=values or {},
    )


@router.get("/clinics")
def admin_clinics(request: Request, engine: EngineDep, user: WebUser = Admin) -> Response:
    """Each clinic's token, last push and last contact, records held; those silent for days stand
    out. A form adds a clinic."""
    return _clinics_page(request, engine, user)


def _token_page(request: Request, code: str, name: str, token: str, new_clinic: bool) -> HTMLResponse:
    hub_url = str(request.base_url).rstrip("/")
    return render(
        request, "admin_token.html", code=code, name=name, token=token, new_clinic=new_clinic, hub_url=hub_url
    )


@router.post("/clinics")
def clinic_add(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    """A new clinic and its token, shown once on the page that answers (never stored in clear)."""
    code, name = posted.get("code", 100).upper(), posted.get("name", 400)
    values = {"code": code, "name": name}
    try:
        with engine.begin() as conn:
            _clinic_id, token = accounts.add_clinic(conn, code, name)
            audit.record(conn, posted.user.principal, "web.admin.clinic_add", [code])
    except AccountError as exc:
        ids = [code[:40]] if code else []
        error = account_error(translator(request), exc)
        return refused(request, engine, posted, "web.admin.clinic_add", ids, _clinics_page, error, values=values)
    except IntegrityError:  # the same code added by a concurrent request
        error = translator(request)(ACCOUNT_MESSAGES["clinic_exists"], clinic=code)
        return refused(
            request, engine, posted, "web.admin.clinic_add", [code], _clinics_page, error, 409, values=values
        )
    return _token_page(request, code, name, token, new_clinic=True)


@router.get("/clinics/{code}")
def clinic_page(
    request: Request, engine: EngineDep, code: str, user: WebUser = Admin, done: str | None = Query(None, max_length=20)
) -> Response:
    """One clinic: its token, last contact, last pushes and their answers, the records the hub holds
    by kind, the records refused in its last pushes and the conflicts recorded."""
    t = translator(request)
    with engine.begin() as conn:
        detail = admin_views.clinic_detail(conn, code[:40])
        if detail is not None:
            audit.record(conn, user.principal, "web.admin.clinic", [detail.code])
    if detail is None:
        return not_found(
            request, engine, user, "web.admin.clinic", t("No clinic with the code {code}.", code=code), "clinics"
        )
    refused_rows = [
        {
            "at": r.at,
            "record_id": r.record_id,
            "kind": r.kind,
            "revision": "" if r.revision is None else r.revision,
            "status": t("Refused") if r.status == "rejected" else t("Conflict"),
            "reason": _answer_text(request, r.code, r.params),
            "now": (
                t("stored since (revision {revision})", revision=r.held_revision)
                if r.resolved and r.held_revision is not None
                else t("not at the hub")
            ),
            "resolved": r.resolved,
        }
        for r in detail.refused
    ]
    notice = t(CLINIC_DONE[done]) if done in CLINIC_DONE else None
    return render(
        request,
        "admin_clinic.html",
        c=detail,
        refused=refused_rows,
        quiet_days=QUIET_DAYS,
        notice=notice,
        answer_names=_answer_names(t),
    )


def _answer_names(t: Translator) -> dict[str, str]:
    return {
        "accepted": t("accepted"),
        "duplicate": t("already held"),
        "rejected": t("refused"),
        "conflict": t("conflict"),
    }


def _answer_text(request: Request, code: str, params: dict[str, Any]) -> str:
    try:
        return message(code, language(request), **params) if code else ""
    except (KeyError, IndexError, ValueError):  # an answer stored by an older hub with other params
        return code


@router.post("/clinics/{code}/token")
def token_rotate(request: Request, engine: EngineDep, code: str, posted: Posted = AdminPost) -> Response:
    """A new token for the clinic; the old one stops working in the same transaction."""
    code = code[:40]
    try:
        with engine.begin() as conn:
            token = accounts.rotate_token(conn, clinic_code=code)
            clinic = accounts.clinic_by_code(conn, code)
            audit.record(conn, posted.user.principal, "web.admin.token_rotate", [code])
    except AccountError:
        t = translator(request)
        return not_found(
            request,
            engine,
            posted.user,
            "web.admin.token_rotate",
            t("No clinic with the code {code}.", code=code),
            "clinics",
        )
    return _token_page(request, code, clinic.name, token, new_clinic=False)


@router.get("/clinics/{code}/revoke")
def token_revoke_confirm(request: Request, engine: EngineDep, code: str, user: WebUser = Admin) -> Response:
    """Are you sure? Revoking stops the clinic's sync until a new token is issued."""
    t = translator(request)
    with engine.begin() as conn:
        clinic = accounts.clinic_by_code(conn, code[:40])
        if clinic is not None:
            audit.record(conn, user.principal, "web.admin.clinic", [clinic.code])
    if clinic is None:
        return not_found(
            request, engine, user, "web.admin.clinic", t("No clinic with the code {code}.", code=code), "clinics"
        )
    return render(
        request,
        "admin_confirm.html",
        title=t("Revoke the token of {name} ({code})?", name=clinic.name, code=clinic.code),
        text=t(
            "The clinic's sync is refused at once (401) and stays refused until you issue a new token on this "
            "page and it is put in the clinic's settings. Nothing the hub holds is deleted."
        ),
        action=f"{PREFIX}/admin/clinics/{quote(clinic.code, safe='')}/revoke",
        button=t("Revoke the token"),
        cancel=f"{PREFIX}/admin/clinics/{quote(clinic.code, safe='')}",
    )


@router.post("/clinics/{code}/revoke")
def token_revoke(request: Request, engine: EngineDep, code: str, posted: Posted = AdminPost) -> Response:
    code = code[:40]
    try:
        with engine.begin() as conn:
            accounts.revoke_tokens(conn, clinic_code=code)
            audit.record(conn, posted.user.principal, "web.admin.token_revoke", [code])
    except AccountError:
        t = translator(request)
        return not_found(
            request,
            engine,
            posted.user,
            "web.admin.token_revoke",
            t("No clinic with the code {code}.", code=code),
            "clinics",
        )
    return redirect(f"{PREFIX}/admin/clinics/{quote(code, safe='')}?done=revoked")


# --- the audit log ----------------------------------------------------------------------------------


@router.get("/audit")
def admin_audit(
    request: Request,
    engine: EngineDep,
    user: WebUser = Admin,
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=80),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """Who read or changed what, newest first, filtered by who and by action."""
    with engine.begin() as conn:
        rows = admin_views.audit_page(
            conn,
            (actor or "").strip() or None,
            (action or "").strip() or None,
            AUDIT_PAGE_SIZE + 1,
            (page - 1) * AUDIT_PAGE_SIZE,
        )
        names = admin_views.staff_names(conn, {row.actor_id for row in rows if row.actor_type == "staff"})
        audit.record(conn, user.principal, "web.admin.audit", [])
    has_more, rows = len(rows) > AUDIT_PAGE_SIZE, rows[:AUDIT_PAGE_SIZE]
    query = urlencode({k: v for k, v in (("actor", actor), ("action", action)) if v})
    return render(
        request,
        "admin_audit.html",
        rows=rows,
        names=names,
        actor=actor or "",
        action=action or "",
        page=page,
        has_more=has_more,
        query=query,
    )
