"""The administrator's pages (/desk/admin/, role ``admin`` only): clinics and their tokens, staff
accounts and roles, departments, the directory, the audit log.

Every change goes through the same services as the command line (``accounts``, ``web.auth``,
``directory``), in one transaction with its audit row (``web.admin.*``); a refused change shows the
page again with the reason (422) and changes nothing. Every page that shows clinics or staff is
audited too. A token is shown once, on the page that answers the POST that made it; neither tokens
nor passwords are ever written to the audit log or the logs.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic_hub import accounts, audit, directory
from clinic_hub.accounts import STAFF_ROLES, AccountError
from clinic_hub.dependencies import EngineDep
from clinic_hub.messages import message
from clinic_hub.web import admin_views, auth
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    ACCOUNT_MESSAGES,
    ADMIN_ROLES,
    MAX_UPLOAD_BYTES,
    PREFIX,
    ROLE_LABELS,
    Posted,
    language,
    poster_for,
    redirect,
    render,
    viewer_of,
)
from clinic_hub.web.i18n import N_, Translator

QUIET_DAYS = 3  # a clinic not heard from for this many days is shown in red
AUDIT_PAGE_SIZE = 100
MAX_DAILY_SLOTS = 10_000
DIRECTORY_DAYS = 14  # an import opens the reserved pools of the next two weeks, as the CLI does
DEPARTMENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
HOSPITAL_CODE = re.compile(r"[A-Za-z0-9]{1,30}")

router = APIRouter(prefix=f"{PREFIX}/admin", include_in_schema=False)
Admin = Depends(viewer_of(*ADMIN_ROLES))
AdminPost = Depends(poster_for(*ADMIN_ROLES))

NO_DEPARTMENT = N_("There is no department with the code {department}.")
STAFF_DONE = {
    "added": N_("Staff member added: they can sign in with the login name and the password you gave."),
    "password": N_("Password set. Their open sessions have ended."),
    "unlocked": N_("Unlocked: they can sign in again."),
    "role": N_("Role and department saved. They apply at once."),
    "disabled": N_("Account disabled: signed out everywhere, API token revoked."),
    "enabled": N_("Account enabled: they can sign in with their password."),
}
CLINIC_DONE = {
    "revoked": N_("Token revoked: the clinic's sync is refused (401) until you issue a new token."),
}
DEPARTMENT_DONE = {
    "added": N_("Department {code} added. The clinics receive it at their next sync."),
    "saved": N_("Department {code} saved. The clinics receive the change at their next sync."),
}
DIRECTORY_DONE = {
    "hospital": N_("Hospital saved. The clinics receive it at their next sync."),
}


def _t(request: Request) -> Translator:
    return Translator(language(request))


def _account_error(t: Translator, exc: AccountError) -> str:
    msgid = ACCOUNT_MESSAGES.get(exc.code or "")
    return t(msgid, **exc.params) if msgid else str(exc)


def _refused(engine: Engine, posted: Posted, action: str, ids: list[str], status: int = 422) -> None:
    with engine.begin() as conn:  # a refused change is audited too
        audit.record(conn, posted.user.principal, action, ids, status_code=status)


def _not_found(request: Request, engine: Engine, user: WebUser, action: str, what: str, back: str) -> HTMLResponse:
    with engine.begin() as conn:
        audit.record(conn, user.principal, action, [], status_code=404)
    return render(request, "message.html", 404, title=N_("Not found"), text=what, link=f"{PREFIX}/admin/{back}")


def _role_choices(t: Translator) -> list[tuple[str, str]]:
    return [(role, t(ROLE_LABELS[role])) for role in STAFF_ROLES]


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
    try:
        with engine.begin() as conn:
            _clinic_id, token = accounts.add_clinic(conn, code, name)
            audit.record(conn, posted.user.principal, "web.admin.clinic_add", [code])
    except AccountError as exc:
        _refused(engine, posted, "web.admin.clinic_add", [code[:40]] if code else [])
        error = _account_error(_t(request), exc)
        return _clinics_page(request, engine, posted.user, 422, error, {"code": code, "name": name})
    except IntegrityError:  # the same code added by a concurrent request
        _refused(engine, posted, "web.admin.clinic_add", [code], 409)
        error = _t(request)(ACCOUNT_MESSAGES["clinic_exists"], clinic=code)
        return _clinics_page(request, engine, posted.user, 409, error, {"code": code, "name": name})
    return _token_page(request, code, name, token, new_clinic=True)


@router.get("/clinics/{code}")
def clinic_page(
    request: Request, engine: EngineDep, code: str, user: WebUser = Admin, done: str | None = Query(None, max_length=20)
) -> Response:
    """One clinic: its token, last contact, last pushes and their answers, the records the hub holds
    by kind, the records refused in its last pushes and the conflicts recorded."""
    t = _t(request)
    with engine.begin() as conn:
        detail = admin_views.clinic_detail(conn, code[:40])
        if detail is not None:
            audit.record(conn, user.principal, "web.admin.clinic", [detail.code])
    if detail is None:
        return _not_found(
            request, engine, user, "web.admin.clinic", t("No clinic with the code {code}.", code=code), "clinics"
        )
    refused = [
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
        refused=refused,
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
        t = _t(request)
        return _not_found(
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
    t = _t(request)
    with engine.begin() as conn:
        clinic = accounts.clinic_by_code(conn, code[:40])
        if clinic is not None:
            audit.record(conn, user.principal, "web.admin.clinic", [clinic.code])
    if clinic is None:
        return _not_found(
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
        t = _t(request)
        return _not_found(
            request,
            engine,
            posted.user,
            "web.admin.token_revoke",
            t("No clinic with the code {code}.", code=code),
            "clinics",
        )
    return redirect(f"{PREFIX}/admin/clinics/{quote(code, safe='')}?done=revoked")


# --- staff ------------------------------------------------------------------------------------------


def _staff_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    t = _t(request)
    with engine.begin() as conn:
        staff = admin_views.staff_accounts(conn)
        departments = admin_views.departments(conn)
        audit.record(conn, user.principal, "web.admin.staff", [s.id for s in staff])
    return render(
        request,
        "admin_staff.html",
        status,
        staff=staff,
        departments=departments,
        department_names={d.code: d.name for d in departments},
        roles=_role_choices(t),
        role_names=dict(_role_choices(t)),
        error=error,
        values=values or {"role": "desk"},
    )


@router.get("/staff")
def staff_list(request: Request, engine: EngineDep, user: WebUser = Admin) -> Response:
    """Every staff member: name, login, role, department, locked or disabled, last sign-in. A form
    adds one."""
    return _staff_page(request, engine, user)


def _department_for(conn, role: str, department: str) -> str | None:
    """A doctor's department, which must exist; none for another role."""
    if role != "doctor":
        return None
    if not department:
        raise AccountError("a doctor needs a department", "department_required")
    if directory.department(conn, department) is None:
        raise AccountError(f"no department {department}", "no_department", department=department)
    return department


def _new_password(posted: Posted, t: Translator) -> str:
    """The new password typed twice, checked against the rules; its hash (a second of CPU), made
    before any transaction."""
    password, again = posted.secret("password"), posted.secret("password_again")
    auth.check_password_rules(password)
    if password != again:
        raise AccountError("the two passwords differ", "passwords_differ")
    return auth.hash_password(password)


def _message(t: Translator, exc: AccountError) -> str:
    if exc.code == "passwords_differ":
        return t(ACCOUNT_MESSAGES["passwords_differ"])
    if exc.code == "no_department":
        return t(NO_DEPARTMENT, **exc.params)
    return _account_error(t, exc)


@router.post("/staff")
def staff_add(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    """A new staff member with a login and an initial password (no API token: the command line's
    rotate-token gives one when needed)."""
    t = _t(request)
    name, login = posted.get("name", 400), posted.get("login", 200)
    role, department = posted.get("role", 20), posted.get("department", 40)
    values = {"name": name, "login": login, "role": role, "department": department}
    try:
        accounts.check_role(role)
        with engine.connect() as conn:  # the cheap checks first: no hashing for a form that fails them
            if not name:
                raise AccountError("name required", "staff_name_required")
            auth.check_login(conn, login)
            _department_for(conn, role, department)
        password_hash = _new_password(posted, t)
        with engine.begin() as conn:
            staff_id, _none = accounts.add_staff(conn, name, role, token=False)
            auth.set_password(
                conn, staff_id, None, login, _department_for(conn, role, department) or "", password_hash=password_hash
            )
            audit.record(conn, posted.user.principal, "web.admin.staff_add", [staff_id])
    except AccountError as exc:
        _refused(engine, posted, "web.admin.staff_add", [])
        return _staff_page(request, engine, posted.user, 422, _message(t, exc), values)
    except IntegrityError:  # the same login taken by a concurrent request
        _refused(engine, posted, "web.admin.staff_add", [], 409)
        return _staff_page(request, engine, posted.user, 409, t(ACCOUNT_MESSAGES["login_taken"]), values)
    return redirect(f"{PREFIX}/admin/staff/{quote(staff_id, safe='')}?done=added")


def _member_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    staff_id: str,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = _t(request)
    with engine.begin() as conn:
        member = admin_views.staff_member(conn, staff_id[:36])
        departments = admin_views.departments(conn)
        if member is not None:
            audit.record(conn, user.principal, "web.admin.staff_member", [member.id])
    if member is None:
        return _not_found(request, engine, user, "web.admin.staff_member", t("No such staff member."), "staff")
    shown = {"role": member.role, "department": member.department_code or ""}
    shown.update(values or {})
    return render(
        request,
        "admin_staff_member.html",
        status,
        m=member,
        departments=departments,
        department_names={d.code: d.name for d in departments},
        roles=_role_choices(t),
        role_names=dict(_role_choices(t)),
        error=error,
        values=shown,
        notice=t(STAFF_DONE[done]) if done in STAFF_DONE else None,
        is_self=member.id == user.staff_id,
    )


@router.get("/staff/{staff_id}")
def staff_page(
    request: Request,
    engine: EngineDep,
    staff_id: str,
    user: WebUser = Admin,
    done: str | None = Query(None, max_length=20),
) -> Response:
    """One staff member: change role and department, set a new password, unlock, disable."""
    return _member_page(request, engine, user, staff_id, done=done)


def _staff_change(
    request: Request,
    engine: Engine,
    posted: Posted,
    staff_id: str,
    action: str,
    work,
    done: str,
    values: dict[str, str] | None = None,
) -> Response:
    """One change to one account, in one transaction with its audit row; refused: the page again."""
    staff_id = staff_id[:36]
    t = _t(request)
    try:
        with engine.begin() as conn:
            if admin_views.staff_member(conn, staff_id) is None:
                raise AccountError("no such staff member", "staff_not_found")
            work(conn)
            audit.record(conn, posted.user.principal, f"web.admin.{action}", [staff_id])
    except AccountError as exc:
        if exc.code == "staff_not_found":
            return _not_found(request, engine, posted.user, f"web.admin.{action}", t("No such staff member."), "staff")
        _refused(engine, posted, f"web.admin.{action}", [staff_id])
        return _member_page(request, engine, posted.user, staff_id, 422, _message(t, exc), values)
    return redirect(f"{PREFIX}/admin/staff/{quote(staff_id, safe='')}?done={done}")


def _not_self(posted: Posted, staff_id: str, code: str) -> None:
    if posted.user.staff_id == staff_id:
        raise AccountError("not on oneself", code)


@router.post("/staff/{staff_id}/password")
def staff_password(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    """A new password set by the administrator: the lockout is cleared and that person's sessions end."""
    t = _t(request)
    try:
        _not_self(posted, staff_id, "self_password")
        password_hash = _new_password(posted, t)
    except AccountError as exc:
        _refused(engine, posted, "web.admin.staff_password", [staff_id[:36]])
        return _member_page(request, engine, posted.user, staff_id, 422, _message(t, exc))
    return _staff_change(
        request,
        engine,
        posted,
        staff_id,
        "staff_password",
        lambda conn: auth.set_password(conn, staff_id, None, password_hash=password_hash),
        "password",
    )


@router.post("/staff/{staff_id}/unlock")
def staff_unlock(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    def work(conn) -> None:
        if not auth.unlock(conn, staff_id):
            raise AccountError("no desk login", "no_login")

    return _staff_change(request, engine, posted, staff_id, "staff_unlock", work, "unlocked")


@router.post("/staff/{staff_id}/role")
def staff_role(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    """A new role and (for a doctor) department; read on every request, so it applies at once."""
    role, department = posted.get("role", 20), posted.get("department", 40)

    def work(conn) -> None:
        if role != "admin":
            _not_self(posted, staff_id, "self_demote")
        auth.set_role(conn, staff_id, role, _department_for(conn, role, department))

    values = {"role": role, "department": department}
    return _staff_change(request, engine, posted, staff_id, "staff_role", work, "role", values)


@router.get("/staff/{staff_id}/disable")
def staff_disable_confirm(request: Request, engine: EngineDep, staff_id: str, user: WebUser = Admin) -> Response:
    """Are you sure? A disabled account cannot sign in, its sessions end, its API token is revoked."""
    t = _t(request)
    with engine.begin() as conn:
        member = admin_views.staff_member(conn, staff_id[:36])
        if member is not None:
            audit.record(conn, user.principal, "web.admin.staff_member", [member.id])
    if member is None:
        return _not_found(request, engine, user, "web.admin.staff_member", t("No such staff member."), "staff")
    return render(
        request,
        "admin_confirm.html",
        title=t("Disable the account of {name}?", name=member.name),
        text=t(
            "They are signed out everywhere at once, cannot sign in, and their API token stops working. "
            "What they did stays in the audit log. You can enable the account again later."
        ),
        action=f"{PREFIX}/admin/staff/{quote(member.id, safe='')}/disable",
        button=t("Disable the account"),
        cancel=f"{PREFIX}/admin/staff/{quote(member.id, safe='')}",
    )


@router.post("/staff/{staff_id}/disable")
def staff_disable(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    def work(conn) -> None:
        _not_self(posted, staff_id, "self_disable")
        auth.disable(conn, staff_id)

    return _staff_change(request, engine, posted, staff_id, "staff_disable", work, "disabled")


@router.post("/staff/{staff_id}/enable")
def staff_enable(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    return _staff_change(
        request, engine, posted, staff_id, "staff_enable", lambda conn: auth.enable(conn, staff_id), "enabled"
    )


# --- departments ------------------------------------------------------------------------------------


def _departments_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    failed: str | None = None,
) -> HTMLResponse:
    with engine.begin() as conn:
        rows = admin_views.departments(conn)
        audit.record(conn, user.principal, "web.admin.departments", [d.code for d in rows])
    return render(
        request,
        "admin_departments.html",
        status,
        departments=rows,
        error=error,
        notice=notice,
        values=values or {"active": "1"},
        failed=failed,
        max_slots=MAX_DAILY_SLOTS,
    )


@router.get("/departments")
def departments_page(
    request: Request,
    engine: EngineDep,
    user: WebUser = Admin,
    done: str | None = Query(None, max_length=20),
    code: str | None = Query(None, max_length=40),
) -> Response:
    """The departments: name, daily outpatient slots (a third reserved for primary care), active.
    Each change is published to every clinic's next pull."""
    t = _t(request)
    notice = t(DEPARTMENT_DONE[done], code=code or "") if done in DEPARTMENT_DONE else None
    return _departments_page(request, engine, user, notice=notice)


class _Invalid(ValueError):
    pass


def _department_fields(t: Translator, posted: Posted) -> tuple[str, int, bool]:
    name, slots = posted.get("name", 400), posted.get("daily_outpatient_slots", 20)
    if not name:
        raise _Invalid(t("Give the department's name."))
    if len(name) > 200:
        raise _Invalid(t(ACCOUNT_MESSAGES["name_too_long"]))
    if not slots.isdigit() or int(slots) > MAX_DAILY_SLOTS:
        raise _Invalid(t("The daily outpatient slots are a whole number from 0 to {max}.", max=MAX_DAILY_SLOTS))
    return name, int(slots), posted.get("active", 5) == "1"


@router.post("/departments")
def department_add(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    t = _t(request)
    code = posted.get("code", 100)
    values = {k: posted.get(k, 400) for k in ("code", "name", "daily_outpatient_slots", "active")}
    try:
        if not DEPARTMENT_CODE.fullmatch(code):
            raise _Invalid(t("The department code is 1 to 40 letters, digits, '-' or '_' (e.g. NK-XXG)."))
        name, slots, active = _department_fields(t, posted)
        with engine.begin() as conn:
            if directory.department(conn, code) is not None:
                raise _Invalid(t("A department with the code {code} already exists.", code=code))
            directory.upsert_department(conn, code, name, slots, active)
            audit.record(conn, posted.user.principal, "web.admin.department_add", [code])
    except (_Invalid, directory.DirectoryError) as exc:
        _refused(engine, posted, "web.admin.department_add", [code[:40]] if code else [])
        return _departments_page(request, engine, posted.user, 422, str(exc), values, failed="new")
    return redirect(f"{PREFIX}/admin/departments?" + urlencode({"done": "added", "code": code}))


@router.post("/departments/{code}")
def department_edit(request: Request, engine: EngineDep, code: str, posted: Posted = AdminPost) -> Response:
    """A department's name, daily slots and active flag. Days already opened keep their pools."""
    t = _t(request)
    code = code[:40]
    try:
        name, slots, active = _department_fields(t, posted)
        with engine.begin() as conn:
            if directory.department(conn, code) is None:
                raise _Invalid(t(NO_DEPARTMENT, department=code))
            directory.upsert_department(conn, code, name, slots, active)
            audit.record(conn, posted.user.principal, "web.admin.department_edit", [code])
    except (_Invalid, directory.DirectoryError) as exc:
        _refused(engine, posted, "web.admin.department_edit", [code])
        return _departments_page(request, engine, posted.user, 422, str(exc), failed=code)
    return redirect(f"{PREFIX}/admin/departments?" + urlencode({"done": "saved", "code": code}))


# --- the directory: the hospital, and a directory file ---------------------------------------------


def _directory_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    values: dict[str, str] | None = None,
    summary: dict[str, int] | None = None,
) -> HTMLResponse:
    with engine.begin() as conn:
        code, name = directory.hospital(conn)
        count = len(admin_views.departments(conn))
        audit.record(conn, user.principal, "web.admin.directory", [])
    shown = {"code": code, "name": name}
    shown.update(values or {})
    return render(
        request,
        "admin_directory.html",
        status,
        values=shown,
        department_count=count,
        error=error,
        notice=notice,
        summary=summary,
        days=DIRECTORY_DAYS,
        max_kb=MAX_UPLOAD_BYTES // 1024,
    )


@router.get("/directory")
def directory_page(
    request: Request, engine: EngineDep, user: WebUser = Admin, done: str | None = Query(None, max_length=20)
) -> Response:
    """The hospital's code and name, and a directory file (TOML or CSV) to import."""
    notice = _t(request)(DIRECTORY_DONE[done]) if done in DIRECTORY_DONE else None
    return _directory_page(request, engine, user, notice=notice)


@router.post("/directory/hospital")
def hospital_set(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    t = _t(request)
    code, name = posted.get("code", 100).upper(), posted.get("name", 400)
    error = None
    if not HOSPITAL_CODE.fullmatch(code):
        error = t("The hospital code is 1 to 30 letters or digits (it starts each downward referral number).")
    elif not name:
        error = t("Give the hospital's name.")
    elif len(name) > 200:
        error = t(ACCOUNT_MESSAGES["name_too_long"])
    if error:
        _refused(engine, posted, "web.admin.hospital", [])
        return _directory_page(request, engine, posted.user, 422, error, values={"code": code, "name": name})
    with engine.begin() as conn:
        directory.set_hospital(conn, code, name)
        audit.record(conn, posted.user.principal, "web.admin.hospital", [code])
    return redirect(f"{PREFIX}/admin/directory?done=hospital")


@router.post("/directory/import")
def directory_import(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    """A directory file, as `clinic-hub directory import` takes it, in one transaction: its counts,
    or what is wrong in it (and nothing imported)."""
    t = _t(request)
    upload = posted.files.get("file")
    suffix = "." + upload.filename.rsplit(".", 1)[-1].lower() if upload and "." in upload.filename else ""
    try:
        if upload is None or not upload.filename or not upload.data:
            raise _Invalid(t("Choose a directory file (.toml or .csv)."))
        if suffix not in (".toml", ".csv"):
            raise _Invalid(t("A directory file ends in .toml or .csv."))
        try:
            text = upload.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _Invalid(t("The file is not UTF-8 text: save it as UTF-8 and retry.")) from None
        with engine.begin() as conn:
            summary = directory.import_text(conn, text, suffix, days=DIRECTORY_DAYS)
            audit.record(conn, posted.user.principal, "web.admin.directory_import", [suffix])
    except _Invalid as exc:
        _refused(engine, posted, "web.admin.directory_import", [])
        return _directory_page(request, engine, posted.user, 422, str(exc))
    except directory.DirectoryError as exc:
        _refused(engine, posted, "web.admin.directory_import", [])
        error = t("The file was not imported (nothing changed): {reason}", reason=str(exc))
        return _directory_page(request, engine, posted.user, 422, error)
    return _directory_page(request, engine, posted.user, summary=summary)


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
