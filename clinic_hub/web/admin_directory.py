"""The administrator's departments and directory pages (/desk/admin/departments, /desk/admin/directory):
the hospital's departments, the hospital itself and a directory file's import; see clinic_hub/web/admin.py
for the rules every admin page keeps."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine

from clinic_hub import audit, directory
from clinic_hub.dependencies import EngineDep
from clinic_hub.web import admin_views
from clinic_hub.web.admin import (
    NO_DEPARTMENT,
    Admin,
    AdminPost,
    translator,
)
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    ACCOUNT_MESSAGES,
    MAX_UPLOAD_BYTES,
    PREFIX,
    Posted,
    redirect,
    refused,
    render,
)
from clinic_hub.web.i18n import N_, Translator

MAX_DAILY_SLOTS = 10_000
DIRECTORY_DAYS = 14  # an import opens the reserved pools of the next two weeks, as the CLI does
DEPARTMENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,40}")
HOSPITAL_CODE = re.compile(r"[A-Za-z0-9]{1,30}")
DEPARTMENT_DONE = {
    "added": N_("Department {code} added. The clinics receive it at their next sync."),
    "saved": N_("Department {code} saved. The clinics receive the change at their next sync."),
}
DIRECTORY_DONE = {
    "hospital": N_("Hospital saved. The clinics receive it at their next sync."),
}

router = APIRouter(prefix=f"{PREFIX}/admin", include_in_schema=False)


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
    t = translator(request)
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
    t = translator(request)
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
        ids = [code[:40]] if code else []
        return refused(
            request,
            engine,
            posted,
            "web.admin.department_add",
            ids,
            _departments_page,
            str(exc),
            values=values,
            failed="new",
        )
    return redirect(f"{PREFIX}/admin/departments?" + urlencode({"done": "added", "code": code}))


@router.post("/departments/{code}")
def department_edit(request: Request, engine: EngineDep, code: str, posted: Posted = AdminPost) -> Response:
    """A department's name, daily slots and active flag. Days already opened keep their pools."""
    t = translator(request)
    code = code[:40]
    try:
        name, slots, active = _department_fields(t, posted)
        with engine.begin() as conn:
            if directory.department(conn, code) is None:
                raise _Invalid(t(NO_DEPARTMENT, department=code))
            directory.upsert_department(conn, code, name, slots, active)
            audit.record(conn, posted.user.principal, "web.admin.department_edit", [code])
    except (_Invalid, directory.DirectoryError) as exc:
        return refused(
            request, engine, posted, "web.admin.department_edit", [code], _departments_page, str(exc), failed=code
        )
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
    notice = translator(request)(DIRECTORY_DONE[done]) if done in DIRECTORY_DONE else None
    return _directory_page(request, engine, user, notice=notice)


@router.post("/directory/hospital")
def hospital_set(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    t = translator(request)
    code, name = posted.get("code", 100).upper(), posted.get("name", 400)
    error = None
    if not HOSPITAL_CODE.fullmatch(code):
        error = t("The hospital code is 1 to 30 letters or digits (it starts each downward referral number).")
    elif not name:
        error = t("Give the hospital's name.")
    elif len(name) > 200:
        error = t(ACCOUNT_MESSAGES["name_too_long"])
    if error:
        values = {"code": code, "name": name}
        return refused(request, engine, posted, "web.admin.hospital", [], _directory_page, error, values=values)
    with engine.begin() as conn:
        directory.set_hospital(conn, code, name)
        audit.record(conn, posted.user.principal, "web.admin.hospital", [code])
    return redirect(f"{PREFIX}/admin/directory?done=hospital")


@router.post("/directory/import")
def directory_import(request: Request, engine: EngineDep, posted: Posted = AdminPost) -> Response:
    """A directory file, as `clinic-hub directory import` takes it, in one transaction: its counts,
    or what is wrong in it (and nothing imported)."""
    t = translator(request)
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
    except (_Invalid, directory.DirectoryError) as exc:
        error = (
            str(exc)
            if isinstance(exc, _Invalid)
            else t("The file was not imported (nothing changed): {reason}", reason=str(exc))
        )
        return refused(request, engine, posted, "web.admin.directory_import", [], _directory_page, error)
    return _directory_page(request, engine, posted.user, summary=summary)
