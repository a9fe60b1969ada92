"""The desk's pool page (/desk/pools): per department, the next 14 days of outpatient slots and
inpatient beds (seed 001: a third of the slots and a quarter of the beds reserved for primary
care): total, reserved, used and left. The referral office and the administrators read it; only an
administrator sets a department's totals for a range of days.

The totals go through the directory's own functions (clinic_hub.directory.set_range, as the CLI's
set-slots and set-beds), so every day set is published to the clinics' next pull. Reading is
audited as ``web.pools``, every change (and every refused one) as ``web.pools.set``. Routes follow
the desk's rules (clinic_hub.web.pages): the role checked on the server, CSRF on the POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection, Engine

from clinic_hub import audit, directory, exam_pools
from clinic_hub.dependencies import EngineDep
from clinic_hub.directory import BEDS, SLOTS, DirectoryError, PoolKind
from clinic_hub.web import queue_views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import PREFIX, Posted, language, poster_for, redirect, refused, render, viewer_of
from clinic_hub.web.i18n import N_, Translator
from clinic_tui.domain import exam

VIEW_ROLES = ("desk", "admin")  # the referral office books from the pools; the admin also sets them
SET_ROLES = ("admin",)
DAYS = 14
MAX_TOTAL = 10_000
KIND_LABELS = {"slots": N_("Outpatient slots"), "beds": N_("Inpatient beds"), "exams": N_("Examination slots")}
MEASURES = (("total", N_("Total number")), ("reserved", N_("Reserved")), ("used", N_("Used")), ("left", N_("Left")))
SET_NOTICE = N_("Saved {count} days of {department}. The clinics see them after their next sync.")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@dataclass(frozen=True)
class PoolRow:
    """One line of a department's table: a measure of the slots or of the beds, day by day."""

    kind: str
    measure: str
    label: str
    cells: list[str]
    full: list[bool]


@dataclass(frozen=True)
class DepartmentPools:
    code: str
    name: str
    rows: list[PoolRow]


def _rows(
    t: Translator, kind: PoolKind | str, cells: dict[date, queue_views.PoolCell], dates: list[date]
) -> list[PoolRow]:
    """Four lines per kind. A day never opened is blank: the department's daily count makes it when
    first booked, and the admin's form sets it ahead."""
    shown = [cells.get(day) for day in dates]
    full = [bool(cell and cell.remaining == 0) for cell in shown]

    def values(measure: str) -> list[str]:
        out = []
        for cell in shown:
            if cell is None:
                out.append("")
            elif measure == "used":
                out.append(f"{cell.used}" + (f" +{cell.over_quota}" if cell.over_quota else ""))
            else:
                out.append(str({"total": cell.total, "reserved": cell.reserved, "left": cell.remaining}[measure]))
        return out

    return [
        PoolRow(
            kind if isinstance(kind, str) else kind.name,
            measure,
            t(label),
            values(measure),
            full if measure == "left" else [False] * len(dates),
        )
        for measure, label in MEASURES
    ]


def pools_view(t: Translator, conn: Connection, start: date) -> tuple[list[date], list[DepartmentPools]]:
    dates, slots = queue_views.pool_matrix(conn, start, DAYS, SLOTS)
    _, beds = queue_views.pool_matrix(conn, start, DAYS, BEDS)
    return dates, [
        DepartmentPools(
            code,
            name,
            _rows(t, SLOTS, slots.get(code, {}), dates) + _rows(t, BEDS, beds.get(code, {}), dates),
        )
        for code, name in queue_views.department_names(conn).items()
    ]


def exam_view(t: Translator, conn: Connection, start: date) -> list[DepartmentPools]:
    """Per examination of the catalogue (clinic_tui.domain.exam), the same four lines day by day."""
    dates = [start + timedelta(days=n) for n in range(DAYS)]
    found = exam_pools.pools(conn, start, DAYS)
    return [
        DepartmentPools(
            code,
            item.name,
            _rows(
                t,
                "exams",
                {
                    day: queue_views.PoolCell(p.reserved, p.used, p.over_quota, p.total)
                    for (c, day), p in found.items()
                    if c == code
                },
                dates,
            ),
        )
        for code, item in exam.CATALOGUE.items()
    ]


def _page(
    request: Request,
    engine: Engine,
    user: WebUser,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    today = directory.today_in_china()
    with engine.begin() as conn:
        dates, departments = pools_view(t, conn, today)
        examinations = exam_view(t, conn, today)
        if status == 200:  # a refused change is audited by its POST, as web.pools.set
            audit.record(conn, user.principal, "web.pools", [d.code for d in departments])
    values = {"kind": "beds", "first": today.isoformat(), "last": (today + timedelta(days=DAYS - 1)).isoformat()}
    values.update(form or {})
    return render(
        request,
        "pools.html",
        status,
        dates=dates,
        departments=departments,
        examinations=examinations,
        kinds=[(name, t(label)) for name, label in KIND_LABELS.items() if name != "exams"],
        kind_names={name: t(label) for name, label in KIND_LABELS.items()},
        may_set=user.role in SET_ROLES,
        values=values,
        error=error,
        notice=notice,
    )


@router.get("/pools")
def pools_page(
    request: Request,
    engine: EngineDep,
    user: WebUser = Depends(viewer_of(*VIEW_ROLES)),
    saved: int | None = Query(None, ge=0, le=directory.MAX_RANGE_DAYS),
    department: str | None = Query(None, max_length=40),
) -> Response:
    t = Translator(language(request))
    notice = t(SET_NOTICE, count=saved, department=department or "") if saved is not None else None
    return _page(request, engine, user, notice=notice)


class Refused(ValueError):
    """The admin's form cannot be saved: the message says what to change."""


def _whole(t: Translator, text: str, what: str) -> int:
    if not text.isdigit() or int(text) > MAX_TOTAL:
        raise Refused(t("{what} must be a whole number from 0 to {limit}.", what=t(what), limit=MAX_TOTAL))
    return int(text)


def _read_form(
    t: Translator, posted: Posted, exams: bool = False
) -> tuple[PoolKind | None, str, date, date, int, int | None]:
    kind = directory.POOL_KINDS.get(posted.get("kind", 10))
    if kind is None and not exams:
        raise Refused(t("Choose outpatient slots or inpatient beds."))
    department = posted.get("item" if exams else "department", 40)
    if exams and department not in exam.CATALOGUE:
        raise Refused(t("Choose an examination."))
    if not department:
        raise Refused(t("Choose a department."))
    try:
        first, last = date.fromisoformat(posted.get("first", 10)), date.fromisoformat(posted.get("last", 10))
    except ValueError:
        raise Refused(t("Give the first and the last day.")) from None
    if last < first:
        raise Refused(t("The last day is before the first."))
    if (last - first).days >= directory.MAX_RANGE_DAYS:
        raise Refused(t("At most {days} days at once.", days=directory.MAX_RANGE_DAYS))
    total = _whole(t, posted.get("total", 10), N_("Total number"))
    reserved_text = posted.get("reserved", 10)
    reserved = _whole(t, reserved_text, N_("Reserved")) if reserved_text else None
    if reserved is not None and reserved > total:
        raise Refused(t("The reserved part cannot be more than the total."))
    return kind, department, first, last, total, reserved


def _refused(
    request: Request, engine: Engine, posted: Posted, t: Translator, exc: Refused | DirectoryError
) -> HTMLResponse:
    """The page again with the form as typed and what to change, audited as a refused
    ``web.pools.set``. The form's checks come first, so the directory's own refusal (in English)
    should not reach a person; if it does, it is shown behind a translated sentence."""
    text = str(exc) if isinstance(exc, Refused) else t("The pools were not saved: {detail}", detail=exc)
    return refused(request, engine, posted, "web.pools.set", [], _page, text, form=posted.form)


@router.post("/pools")
def set_pools(request: Request, engine: EngineDep, posted: Posted = Depends(poster_for(*SET_ROLES))) -> Response:
    """Set a department's total (and reserved part; blank: a third of the slots, a quarter of the
    beds) for every day of a range, published to the clinics."""
    t = Translator(language(request))
    try:
        kind, department, first, last, total, reserved = _read_form(t, posted)
        assert kind is not None  # _read_form refused it otherwise
        with engine.begin() as conn:
            if directory.department(conn, department) is None:
                raise Refused(t("No department {code}.", code=department))
            ids = directory.set_range(conn, kind, department, first, last, total, reserved)
            audit.record(conn, posted.user.principal, "web.pools.set", ids)
    except (Refused, DirectoryError) as exc:
        return _refused(request, engine, posted, t, exc)
    return redirect(f"{PREFIX}/pools?" + urlencode({"saved": len(ids), "department": department}))


@router.post("/pools/exams")
def set_exam_pools(request: Request, engine: EngineDep, posted: Posted = Depends(poster_for(*SET_ROLES))) -> Response:
    """Set an examination's total (and reserved part; blank: a third) for every day of a range,
    published to the clinics (kind exam_pool): what their booking form offers after the next sync."""
    t = Translator(language(request))
    try:
        _kind, item, first, last, total, reserved = _read_form(t, posted, exams=True)
        with engine.begin() as conn:
            ids = exam_pools.set_range(conn, item, first, last, total, reserved)
            audit.record(conn, posted.user.principal, "web.pools.set", ids)
    except (Refused, DirectoryError) as exc:
        return _refused(request, engine, posted, t, exc)
    name = exam.item_name(item)
    return redirect(f"{PREFIX}/pools?" + urlencode({"saved": len(ids), "department": name}))
