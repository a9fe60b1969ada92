"""One referral on the desk (/desk/referrals/{number}): the slip as the clinic sent it, its moves,
and the answers (accept with a slot or a bed, reject, arrival, no-show, completion, the downward
referral), each through the desk's own functions (clinic_hub.desk) and audited in the same
transaction; see clinic_hub/web/pages.py for the rules every desk page keeps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from clinic_hub import audit, desk, directory
from clinic_hub.accounts import clinic_by_code
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.schemas.desk import AcceptRequest, SendDownRequest
from clinic_hub.web import queue_views, views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    PREFIX,
    Posted,
    language,
    poster_for,
    redirect,
    render,
)
from clinic_hub.web.i18n import N_, Translator
from clinic_hub.web.pages import Viewer, check_department
from clinic_tui.domain.referral import (
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    Status,
    allowed_targets,
)

ANSWER_ROLES = ("desk", "admin")  # accept, reject, arrival, no-show, completion
SEND_DOWN_ROLES = ("desk", "doctor", "admin")  # the downward referral
DONE_NOTICES = {
    "accepted": N_("Accepted: the appointment is booked. The clinic sees it after its next sync."),
    "admitted": N_("Accepted: the bed is booked. The clinic sees the admission day after its next sync."),
    "rejected": N_("Rejected. The clinic sees the reason after its next sync."),
    "arrived": N_("Marked arrived."),
    "no_show": N_("Marked as not arrived."),
    "completed": N_("Referral completed."),
    "sent_down": N_("Downward referral {number} sent: the clinic receives it at its next sync."),
}
BOOKING_LABELS = {
    "outpatient": N_("Outpatient: a reserved slot"),
    "inpatient": N_("Inpatient: a reserved bed from the admission day"),
}
MOVE_PATHS = {"arrive": "arrived", "no-show": "no_show", "complete": "completed"}
MOVE_BUTTONS = {"arrived": N_("Mark arrived"), "no_show": N_("Mark not arrived"), "completed": N_("Mark completed")}

router = APIRouter(prefix=PREFIX, include_in_schema=False)


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
        check_department(user, detail)
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
    check_department(posted.user, up)
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
