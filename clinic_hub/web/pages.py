"""The web desk's pages (/desk/): sign-in, the referral queue, one referral and its answers, the
county's indicators of a month (every role). The administrator's pages are in ``admin``, everyone's
own password in ``password``; what all of them share (rendering, sessions, CSRF) in ``common``.

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
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from clinic_hub import audit, desk, directory, exam_desk, indicators, lab_desk, remote_desk
from clinic_hub.accounts import STAFF_ROLES, Principal, clinic_by_code
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.schemas.desk import AcceptRequest, SendDownRequest
from clinic_hub.web import auth, indicator_views, queue_views, remote_views, views
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
    secure,
    set_cookie,
    viewer_of,
)
from clinic_hub.web.i18n import LANGUAGES, N_, Translator
from clinic_tui.domain.referral import (
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Status,
    allowed_targets,
)

PAGE_SIZE = 50
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

VIEW_ROLES = ("desk", "doctor", "admin")  # the queue and a referral's page
ANSWER_ROLES = ("desk", "admin")  # accept, reject, arrival, no-show, completion
SEND_DOWN_ROLES = ("desk", "doctor", "admin")  # the downward referral
INDICATOR_ROLES = STAFF_ROLES  # the county's indicators of a month: every signed-in role
TABS = (
    ("sent", N_("Awaiting answer")),
    ("accepted", N_("Awaiting arrival")),
    ("arrived", N_("Arrived")),
    ("all", N_("All")),
)
DONE_NOTICES = {
    "accepted": N_("Accepted: the appointment is booked. The clinic sees it after its next sync."),
    "admitted": N_("Accepted: the bed is booked. The clinic sees the admission day after its next sync."),
    "rejected": N_("Rejected. The clinic sees the reason after its next sync."),
    "arrived": N_("Marked arrived."),
    "no_show": N_("Marked as not arrived."),
    "completed": N_("Referral completed."),
    "sent_down": N_("Downward referral {number} sent: the clinic receives it at its next sync."),
}
BAD_MONTH = N_("The month must be written YYYY-MM, for example {example}.")
NOT_YOUR_DEPARTMENT = N_("This referral is booked into another department.")
BOOKING_LABELS = {
    "outpatient": N_("Outpatient: a reserved slot"),
    "inpatient": N_("Inpatient: a reserved bed from the admission day"),
}
MOVE_PATHS = {"arrive": "arrived", "no-show": "no_show", "complete": "completed"}
MOVE_BUTTONS = {"arrived": N_("Mark arrived"), "no_show": N_("Mark not arrived"), "completed": N_("Mark completed")}

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
    department = _doctors_department(user)
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


def _doctors_department(user: WebUser) -> str | None:
    """A doctor tied to a department sees only the referrals booked into it (None: everything)."""
    return user.department_code if user.role == "doctor" else None


def _check_department(user: WebUser, referral) -> None:
    department = _doctors_department(user)
    if department and referral.appointment_department_code != department:
        raise Forbidden(NOT_YOUR_DEPARTMENT)


# --- one referral -----------------------------------------------------------------------------------


def _referral_page(
    request: Request,
    engine: Engine,
    user: WebUser,
    referral_no: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
    number: str | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            detail = desk.get_referral(conn, referral_no)
        except ApiError:
            audit.record(conn, user.principal, "web.referral", [], status_code=404)
            return render(
                request,
                "message.html",
                404,
                title=N_("Not found"),
                text=t("No referral with the number {number}.", number=referral_no),
                link=f"{PREFIX}/queue",
            )
        _check_department(user, detail)
        data = detail.data if isinstance(detail.data, dict) else {}
        clinic_id = _clinic_id(conn, detail.clinic_code)
        followups = (
            queue_views.recent_followups(t, conn, clinic_id, data.get("resident_id"))
            if detail.direction == "up"
            else []
        )
        sent_down = queue_views.sent_down_from(conn, detail.id) if detail.direction == "up" else []
        departments = queue_views.department_names(conn)
        values = defaultdict(str, form or {})
        department = values.get("department") or (
            detail.to_department_code if detail.to_department_code in departments else next(iter(departments), "")
        )
        today = directory.today_in_china()
        pool_dates, pools = queue_views.pool_matrix(conn, today)
        _, bed_pools = queue_views.pool_matrix(conn, today, kind=directory.BEDS)
        audit.record(conn, user.principal, "web.referral", [detail.id, *(f.id for f in followups)], status_code=status)
    targets = (
        [s.value for s in allowed_targets(detail.direction, detail.status, "hospital")]
        if detail.direction == "up" and detail.status in {s.value for s in Status}
        else []
    )
    may_answer = user.role in ANSWER_ROLES
    may_send_down = (
        user.role in SEND_DOWN_ROLES and detail.direction == "up" and detail.status in ("arrived", "completed")
    )
    values.setdefault("department", department)
    values.setdefault("date", (today + timedelta(days=1)).isoformat())
    values.setdefault("time", "09:00")
    values.setdefault("booking", desk.booking_of(detail.purpose))
    history = [
        {
            "at": views.china_time(m.at),
            "from": views.label(t, STATUS_LABELS, m.from_status),
            "to": views.label(t, STATUS_LABELS, m.to_status),
            "actor": views.label(t, views.ACTOR_NAMES, m.actor),
            "reason": m.reason or "",
        }
        for m in detail.history
    ]
    notice = t(DONE_NOTICES[done], number=number or "") if done in DONE_NOTICES else None
    return render(
        request,
        "referral.html",
        status,
        r=detail,
        data=data,
        error=error,
        notice=notice,
        values=values,
        sections=views.slip_sections(t, data, detail.direction, detail.status, detail.urgency),
        status_label=views.label(t, STATUS_LABELS, detail.status),
        urgency_label=views.label(t, URGENCY_LABELS, detail.urgency),
        waited=views.waited(t, detail.sent_at) if detail.status == "sent" else "",
        departments=departments,
        pools=pools,
        bed_pools=bed_pools,
        pool_dates=pool_dates,
        bookings=[(name, t(label)) for name, label in BOOKING_LABELS.items()],
        asked=views.label(t, PURPOSE_LABELS, detail.purpose) if detail.purpose else "",
        followups=followups,
        history=history,
        sent_down=[(no, views.label(t, STATUS_LABELS, s)) for no, s in sent_down],
        may_accept=may_answer and "accepted" in targets,
        may_reject=may_answer and "rejected" in targets,
        moves=[
            (path, t(MOVE_BUTTONS[target])) for path, target in MOVE_PATHS.items() if may_answer and target in targets
        ],
        may_send_down=may_send_down,
        outcomes=[(code, t(name)) for code, name in OUTCOME_LABELS.items()],
        appointment_department=departments.get(
            detail.appointment_department_code or "", detail.appointment_department_code or ""
        ),
    )


def _clinic_id(conn, clinic_code: str) -> str:
    row = clinic_by_code(conn, clinic_code)
    return row.id if row else ""


@router.get("/referrals/{referral_no}")
def referral(
    request: Request,
    engine: EngineDep,
    referral_no: str,
    user: WebUser = Viewer,
    done: str | None = Query(None, max_length=20),
    number: str | None = Query(None, max_length=64),
) -> Response:
    return _referral_page(request, engine, user, referral_no[:64], done=done, number=number)


def _act(
    request: Request,
    engine: Engine,
    posted: Posted,
    referral_no: str,
    action: str,
    work: Callable[[Any], Any],
    done: str | Callable[[Any], str],
) -> Response:
    """Run one desk function in one transaction with its audit row; on a refusal (illegal move, no
    slot left, bad input) show the page again with the reason, keeping what was typed."""
    try:
        with engine.begin() as conn:
            result = work(conn)
            audit.record(conn, posted.user.principal, f"web.{action}", [result.referral.id, result.event_id])
    except ApiError as exc:
        with engine.begin() as conn:  # the refused attempt is audited too
            audit.record(conn, posted.user.principal, f"web.{action}", [], status_code=exc.status)
        return _referral_page(
            request,
            engine,
            posted.user,
            referral_no,
            exc.status,
            error=message(exc.code, language(request), **exc.params),
            form=posted.form,
        )
    if callable(done):  # the notice depends on what was done (a slot or a bed booked)
        done = done(result)
    query = {"done": done}
    if done == "sent_down":
        query["number"] = result.referral.referral_no
    return redirect(f"{PREFIX}/referrals/{quote(referral_no, safe='')}?{urlencode(query)}")


def _invalid(request: Request, engine: Engine, posted: Posted, referral_no: str, text: str) -> Response:
    return _referral_page(request, engine, posted.user, referral_no, 422, error=text, form=posted.form)


@router.post("/referrals/{referral_no}/accept")
def accept(
    request: Request, engine: EngineDep, referral_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
) -> Response:
    t = Translator(language(request))
    department = posted.get("department", 40)
    try:
        day = date.fromisoformat(posted.get("date", 10))
        at = time.fromisoformat(posted.get("time", 8))
    except ValueError:
        return _invalid(request, engine, posted, referral_no, t("Give the appointment's date and time."))
    over_quota = posted.get("over_quota", 5) == "1"
    reason = posted.get("over_quota_reason", 2000)
    if over_quota and not reason:
        return _invalid(request, engine, posted, referral_no, t("Booking over the quota needs a reason."))
    if not department:
        return _invalid(request, engine, posted, referral_no, t("Choose a department."))
    booking = posted.get("booking", 20) or None  # absent: what the clinic asked (desk.booking_of)
    try:
        body = AcceptRequest(
            department_code=department,
            appointment_at=datetime.combine(day, at, directory.CHINA_TZ),
            doctor=posted.get("doctor", 100) or None,
            over_quota=over_quota,
            booking=booking,  # type: ignore[arg-type]  # checked by the model: outpatient | inpatient
            note=(t("Over quota: {reason}", reason=reason) if over_quota else None),
        )
    except ValidationError:
        return _invalid(request, engine, posted, referral_no, message("invalid_request", language(request)))
    return _act(
        request,
        engine,
        posted,
        referral_no,
        "accept",
        lambda conn: desk.accept(conn, posted.user.principal, referral_no, body),
        lambda result: "admitted" if (result.slot or {}).get("booking") == "inpatient" else "accepted",
    )


@router.post("/referrals/{referral_no}/reject")
def reject(
    request: Request, engine: EngineDep, referral_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
) -> Response:
    reason = posted.get("reason", 2000)
    if not reason:
        return _invalid(request, engine, posted, referral_no, message("reason_required", language(request)))
    return _act(
        request,
        engine,
        posted,
        referral_no,
        "reject",
        lambda conn: desk.reject(conn, posted.user.principal, referral_no, reason),
        "rejected",
    )


def _move_route(path: str, target: str) -> None:
    @router.post(f"/referrals/{{referral_no}}/{path}", name=f"web_{target}")
    def move(
        request: Request, engine: EngineDep, referral_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
    ) -> Response:
        note = posted.get("note") or None
        return _act(
            request,
            engine,
            posted,
            referral_no,
            target,
            lambda conn: desk.simple_move(conn, posted.user.principal, referral_no, target, note),
            target,
        )


for _path, _target in MOVE_PATHS.items():
    _move_route(_path, _target)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _diagnosis(line: str) -> dict[str, Any]:
    """ "I10 原发性高血压", "I10:原发性高血压" or just a name."""
    code, sep, name = line.replace(":", " ", 1).replace("：", " ", 1).partition(" ")
    if sep and code.isascii() and any(ch.isdigit() for ch in code):
        return {"code": code.strip(), "name": name.strip() or code.strip()}
    return {"code": None, "name": line}


def _followup(t: Translator, line: str) -> dict[str, Any]:
    """ "14 复查血压": after 14 days, 复查血压."""
    days, _sep, what = line.replace(":", " ", 1).replace("：", " ", 1).partition(" ")
    if not days.strip().isdigit() or not what.strip():
        raise ValueError(t("Write each follow-up as the number of days, a space, and what to do."))
    return {"after_days": int(days), "what": what.strip()}


@router.post("/referrals/{referral_no}/send-down")
def send_down(
    request: Request, engine: EngineDep, referral_no: str, posted: Posted = Depends(poster_for(*SEND_DOWN_ROLES))
) -> Response:
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            up = desk.get_referral(conn, referral_no)
        except ApiError as exc:
            return render(
                request,
                "message.html",
                exc.status,
                title=N_("Not found"),
                text=t("No referral with the number {number}.", number=referral_no),
                link=f"{PREFIX}/queue",
            )
    _check_department(posted.user, up)
    try:
        followups = [_followup(t, line) for line in _lines(posted.get("followup"))]
        # Validated from plain values, as a posted form gives them (nested models from dicts).
        body = SendDownRequest.model_validate(
            dict(
                clinic_code=up.clinic_code,
                up_referral_no=up.referral_no,
                department_code=posted.get("department", 40) or None,
                doctor=posted.get("doctor", 100) or None,
                discharge_diagnoses=[_diagnosis(line) for line in _lines(posted.get("diagnoses"))],
                outcome=posted.get("outcome", 1) or None,
                treatment_plan=posted.get("treatment_plan") or None,
                rehab_guidance=posted.get("rehab_guidance") or None,
                medication_to_continue=posted.get("medication_to_continue") or None,
                followup_schedule=followups,
                reason=posted.get("reason") or None,
            )
        )
    except ValidationError:
        return _invalid(request, engine, posted, referral_no, message("invalid_request", language(request)))
    except ValueError as exc:
        return _invalid(request, engine, posted, referral_no, str(exc))
    if not body.discharge_diagnoses or not body.treatment_plan:
        return _invalid(
            request,
            engine,
            posted,
            referral_no,
            t("A downward referral needs the discharge diagnosis and the treatment plan."),
        )
    return _act(
        request,
        engine,
        posted,
        referral_no,
        "send_down",
        lambda conn: desk.send_down(conn, posted.user.principal, body),
        "sent_down",
    )


# --- the county's indicators of a month ------------------------------------------------------------

Reader = Depends(viewer_of(*INDICATOR_ROLES))


def _indicators(
    request: Request, engine: Engine, user: WebUser, month: str | None, action: str
) -> indicator_views.IndicatorsView | HTMLResponse:
    """The month's indicators from the indicator service (the JSON API's own), audited; a month
    that is not one gets a page that says how to write it (422), never an error of the server."""
    today = directory.today_in_china()
    month = (month or "").strip()[:20] or f"{today:%Y-%m}"
    t = Translator(language(request))
    if not indicators.MONTH.match(month):
        with engine.begin() as conn:
            audit.record(conn, user.principal, action, [], status_code=422)
        return render(
            request,
            "message.html",
            422,
            title=N_("Not a month"),
            text=t(BAD_MONTH, example=today.strftime("%Y-%m")),
            link=f"{PREFIX}/indicators",
        )
    with engine.begin() as conn:
        result = indicators.compute(conn, month)
        audit.record(conn, user.principal, action, [c.clinic_code for c in result.clinics])
    return indicator_views.indicators_view(t, result, today)


@router.get("/indicators")
def indicators_page(
    request: Request, engine: EngineDep, user: WebUser = Reader, month: str | None = Query(None)
) -> Response:
    """The county's indicators of a month: tables and bars, the month before and after, exports."""
    shown = _indicators(request, engine, user, month, "web.indicators")
    if isinstance(shown, Response):
        return shown
    with engine.begin() as conn:  # the remote reading rooms' and the lab's turnaround (issue 18)
        turnaround = remote_desk.turnaround(conn, shown.month)
        lab_count, lab_median = lab_desk.turnaround(conn, shown.month)
        exam_count, exam_booked, exam_examined = exam_desk.turnaround(conn, shown.month)
    t = Translator(language(request))
    return render(
        request,
        "indicators.html",
        v=shown,
        turnaround=remote_views.turnaround_rows(t, turnaround),
        lab_turnaround=(lab_count, remote_views.duration(t, lab_median)),
        exam_turnaround=(exam_count, remote_views.duration(t, exam_booked), remote_views.duration(t, exam_examined)),
    )


def _export(shown: indicator_views.IndicatorsView, request: Request, extension: str) -> Response:
    t = Translator(language(request))
    rows = indicator_views.indicator_rows(t, shown)
    if extension == "csv":
        body, media = indicator_views.csv_bytes(rows), "text/csv; charset=utf-8"
    else:
        body, media = indicator_views.xlsx_bytes(rows, shown.month), XLSX_MEDIA_TYPE
    disposition = f'attachment; filename="indicators-{shown.month}.{extension}"'
    return secure(Response(body, media_type=media, headers={"Content-Disposition": disposition}))


@router.get("/indicators.csv")
def indicators_csv(
    request: Request, engine: EngineDep, user: WebUser = Reader, month: str | None = Query(None)
) -> Response:
    shown = _indicators(request, engine, user, month, "web.indicators.csv")
    return shown if isinstance(shown, Response) else _export(shown, request, "csv")


@router.get("/indicators.xlsx")
def indicators_xlsx(
    request: Request, engine: EngineDep, user: WebUser = Reader, month: str | None = Query(None)
) -> Response:
    shown = _indicators(request, engine, user, month, "web.indicators.xlsx")
    return shown if isinstance(shown, Response) else _export(shown, request, "xlsx")
