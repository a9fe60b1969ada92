"""The administrator's staff pages (/desk/admin/staff): accounts, passwords, locks, roles and
departments, disabling and enabling; see clinic_hub/web/admin.py for the rules every admin page keeps."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic_hub import accounts, audit, directory
from clinic_hub.accounts import STAFF_ROLES, AccountError
from clinic_hub.dependencies import EngineDep
from clinic_hub.web import admin_views, auth
from clinic_hub.web.admin import (
    NO_DEPARTMENT,
    Admin,
    AdminPost,
    account_error,
    not_found,
    translator,
)
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    ACCOUNT_MESSAGES,
    PREFIX,
    ROLE_LABELS,
    Posted,
    redirect,
    refused,
    render,
)
from clinic_hub.web.i18n import N_, Translator

STAFF_DONE = {
    "added": N_("Staff member added: they can sign in with the login name and the password you gave."),
    "password": N_("Password set. Their open sessions have ended."),
    "unlocked": N_("Unlocked: they can sign in again."),
    "role": N_("Role and department saved. They apply at once."),
    "disabled": N_("Account disabled: signed out everywhere, API token revoked."),
    "enabled": N_("Account enabled: they can sign in with their password."),
}

router = APIRouter(prefix=f"{PREFIX}/admin", include_in_schema=False)


def role_choices(t: Translator) -> list[tuple[str, str]]:
    return [(role, t(ROLE_LABELS[role])) for role in STAFF_ROLES]


# --- staff ------------------------------------------------------------------------------------------


def _staff_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    t = translator(request)
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
        roles=role_choices(t),
        role_names=dict(role_choices(t)),
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
    return account_error(t, exc)


@router.post("/staff")
def staff_add(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    """A new staff member with a login and an initial password (no API token: the command line's
    rotate-token gives one when needed)."""
    t = translator(request)
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
        return refused(request, engine, posted, "web.admin.staff_add", [], _staff_page, _message(t, exc), values=values)
    except IntegrityError:  # the same login taken by a concurrent request
        error = t(ACCOUNT_MESSAGES["login_taken"])
        return refused(request, engine, posted, "web.admin.staff_add", [], _staff_page, error, 409, values=values)
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
    t = translator(request)
    with engine.begin() as conn:
        member = admin_views.staff_member(conn, staff_id[:36])
        departments = admin_views.departments(conn)
        if member is not None:
            audit.record(conn, user.principal, "web.admin.staff_member", [member.id])
    if member is None:
        return not_found(request, engine, user, "web.admin.staff_member", t("No such staff member."), "staff")
    shown = {"role": member.role, "department": member.department_code or ""}
    shown.update(values or {})
    return render(
        request,
        "admin_staff_member.html",
        status,
        m=member,
        departments=departments,
        department_names={d.code: d.name for d in departments},
        roles=role_choices(t),
        role_names=dict(role_choices(t)),
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
    t = translator(request)
    try:
        with engine.begin() as conn:
            if admin_views.staff_member(conn, staff_id) is None:
                raise AccountError("no such staff member", "staff_not_found")
            work(conn)
            audit.record(conn, posted.user.principal, f"web.admin.{action}", [staff_id])
    except AccountError as exc:
        if exc.code == "staff_not_found":
            return not_found(request, engine, posted.user, f"web.admin.{action}", t("No such staff member."), "staff")
        error = _message(t, exc)
        return refused(
            request,
            engine,
            posted,
            f"web.admin.{action}",
            [staff_id],
            _member_page,
            error,
            staff_id=staff_id,
            values=values,
        )
    return redirect(f"{PREFIX}/admin/staff/{quote(staff_id, safe='')}?done={done}")


def _not_self(posted: Posted, staff_id: str, code: str) -> None:
    if posted.user.staff_id == staff_id:
        raise AccountError("not on oneself", code)


@router.post("/staff/{staff_id}/password")
def staff_password(request: Request, engine: EngineDep, staff_id: str, posted: Posted = AdminPost) -> Response:
    """A new password set by the administrator: the lockout is cleared and that person's sessions end."""
    t = translator(request)
    try:
        _not_self(posted, staff_id, "self_password")
        password_hash = _new_password(posted, t)
    except AccountError as exc:
        ids, error = [staff_id[:36]], _message(t, exc)
        return refused(request, engine, posted, "web.admin.staff_password", ids, _member_page, error, staff_id=staff_id)
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
    t = translator(request)
    with engine.begin() as conn:
        member = admin_views.staff_member(conn, staff_id[:36])
        if member is not None:
            audit.record(conn, user.principal, "web.admin.staff_member", [member.id])
    if member is None:
        return not_found(request, engine, user, "web.admin.staff_member", t("No such staff member."), "staff")
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
