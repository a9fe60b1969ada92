"""The web desk's examination pages (/desk/exams, issue 18, 检查预约): the clinics' bookings of
the reserved examination slots by day (a week from the day asked, urgent first), the reports with
a critical finding the clinic has not acknowledged, and one booking's page: confirm, reschedule
(over the quota only with a reason), return with a reason, mark examined, write the report signed
by the signed-in user.

The moves go through clinic_hub.exam_desk: the domain's state machine applies and each move is
published to the booking clinic's next pull. Roles are checked on the server as on the lab's pages
(``viewer_of``/``poster_for``: the desk, doctors, administrators; a viewer is refused); every POST
carries the session's CSRF token; every page read and every change is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection, Engine, Row

from clinic_hub import audit, exam_desk
from clinic_hub.db import as_utc
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import PREFIX, Posted, language, poster_for, redirect, render, viewer_of
from clinic_hub.web.i18n import N_, Translator
from clinic_tui.domain import exam

EXAM_ROLES = ("desk", "doctor", "admin")
DAYS = 7
DONE_NOTICES = {
    "confirmed": N_("Confirmed. The clinic sees it after its next sync."),
    "rescheduled": N_("Moved to the new day. The clinic sees it after its next sync."),
    "returned": N_("Returned. The clinic sees the reason after its next sync."),
    "examined": N_("Marked examined."),
    "reported": N_("Report sent. The clinic receives it at its next sync."),
}
TAKEN = N_("Someone else handled this booking meanwhile, or the clinic cancelled it: it is now “{state}”.")

router = APIRouter(prefix=f"{PREFIX}/exams", include_in_schema=False)
Viewer = Depends(viewer_of(*EXAM_ROLES))


def _row(t: Translator, row: Row) -> dict[str, object]:
    data = row.data if isinstance(row.data, dict) else {}
    return {
        "no": row.booking_no,
        "day": row.day.isoformat(),
        "slot": row.slot_number or "",
        "item": exam.item_name(row.item_code),
        "patient": data.get("patient_name") or "",
        "clinic": row.clinic_code,
        "priority": row.priority,
        "priority_label": t(exam.PRIORITY_LABELS.get(row.priority, row.priority)),
        "status_label": t(exam.STATUS_LABELS.get(row.status, row.status)),
        "over_quota": row.over_quota,
        "critical": row.critical and row.critical_ack_at is None,
    }


@router.get("")
def queue(
    request: Request, engine: EngineDep, user: WebUser = Viewer, day: str | None = Query(None, max_length=10)
) -> Response:
    """The bookings of a week from ``day`` (today in China by default), by day, urgent first."""
    t = Translator(language(request))
    try:
        first = exam_desk.parse_day(day) if day else exam_desk.today()
    except ApiError:
        first = exam_desk.today()
    with engine.begin() as conn:
        rows = exam_desk.list_bookings(conn, first, first + timedelta(days=DAYS - 1))
        critical = exam_desk.unacknowledged_critical(conn)
        audit.record(conn, user.principal, "web.exams", [r.id for r in rows] + [r.id for r in critical])
    return render(
        request,
        "exam_queue.html",
        first=first,
        previous=(first - timedelta(days=DAYS)).isoformat(),
        following=(first + timedelta(days=DAYS)).isoformat(),
        items=[_row(t, r) for r in rows],
        critical=[_row(t, r) for r in critical],
    )


def _page(
    request: Request,
    engine: Engine,
    user: WebUser,
    booking_no: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            row = exam_desk.find(conn, booking_no)
        except ApiError:
            audit.record(conn, user.principal, "web.exams.booking", [], status_code=404)
            text = t("No examination booking with the number {number}.", number=booking_no)
            return render(request, "message.html", 404, title=N_("Not found"), text=text, link=f"{PREFIX}/exams")
        audit.record(conn, user.principal, "web.exams.booking", [row.id], status_code=status)
    data = row.data if isinstance(row.data, dict) else {}
    open_ = not row.deleted and row.status != exam.Status.CANCELLED
    targets = {s.value for s in exam.allowed_targets(row.status, exam.Actor.HOSPITAL)} if open_ else set()
    item = exam.CATALOGUE.get(row.item_code)
    facts = [
        (t("Examination item"), f"{exam.item_name(row.item_code)} ({row.item_code})"),
        (t("Day"), row.day.isoformat() + (f" · {t('Slot {n}', n=row.slot_number)}" if row.slot_number else "")),
        (t("Patient"), f"{data.get('patient_name') or ''} {data.get('patient_id_number') or ''}".strip()),
        (t("Clinic"), row.clinic_code),
        (t("Booking doctor"), str(data.get("booking_doctor") or "")),
        (t("Clinical diagnosis"), str(data.get("clinical_diagnosis") or "")),
        (t("Question for the examination"), str(data.get("question") or "")),
        (t("Preparation"), item.preparation_text if item else ""),
    ]
    if row.over_quota:
        facts.append((t("Over the quota"), row.over_quota_reason or ""))
    if row.returned_reason:
        facts.append((t("Reason for the return"), row.returned_reason))
    return render(
        request,
        "exam_booking.html",
        status,
        b=row,
        facts=facts,
        error=error,
        notice=t(DONE_NOTICES[done]) if done in DONE_NOTICES else None,
        values=form or {},
        status_label=t(exam.STATUS_LABELS.get(row.status, row.status)),
        priority_label=t(exam.PRIORITY_LABELS.get(row.priority, row.priority)),
        reported_at=as_utc(row.reported_at),
        targets=targets,
        cancelled=row.status == exam.Status.CANCELLED,
    )


@router.get("/{booking_no}")
def booking_page(
    request: Request,
    engine: EngineDep,
    booking_no: str,
    user: WebUser = Viewer,
    done: str | None = Query(None, max_length=20),
) -> Response:
    return _page(request, engine, user, booking_no[:64], done=done)


def _act(
    request: Request, engine: Engine, posted: Posted, booking_no: str, action: str, work: Callable[[Connection], str]
) -> Response:
    """One move in one transaction with its audit row; refused: the page again with the reason."""
    try:
        with engine.begin() as conn:
            event_id = work(conn)
            audit.record(conn, posted.user.principal, f"web.exams.{action}", [event_id])
    except ApiError as exc:
        with engine.begin() as conn:
            audit.record(conn, posted.user.principal, f"web.exams.{action}", [], status_code=exc.status)
        t = Translator(language(request))
        if exc.code == "exam_taken":
            text = t(TAKEN, state=str(exc.params.get("state", "")))
        else:
            text = message(exc.code, language(request), **exc.params)
        return _page(request, engine, posted.user, booking_no, exc.status, error=text, form=posted.form)
    return redirect(f"{PREFIX}/exams/{quote(booking_no.upper(), safe='')}?{urlencode({'done': action})}")


def _seen(posted: Posted) -> str | None:
    return posted.get("status", 20) or None


Poster = Depends(poster_for(*EXAM_ROLES))


@router.post("/{booking_no}/confirmed")
def confirm(request: Request, engine: EngineDep, booking_no: str, posted: Posted = Poster) -> Response:
    def work(conn: Connection) -> str:
        return exam_desk.confirm(conn, posted.user.principal, booking_no, expected=_seen(posted))

    return _act(request, engine, posted, booking_no, "confirmed", work)


@router.post("/{booking_no}/rescheduled")
def reschedule(request: Request, engine: EngineDep, booking_no: str, posted: Posted = Poster) -> Response:
    """Another day; ``over_quota_reason`` books it beyond the reserved slots (like a bed pool)."""

    def work(conn: Connection) -> str:
        day: date = exam_desk.parse_day(posted.get("day", 10))
        reason = posted.get("over_quota_reason", 2000) or None
        return exam_desk.reschedule(conn, posted.user.principal, booking_no, day, reason, expected=_seen(posted))

    return _act(request, engine, posted, booking_no, "rescheduled", work)


@router.post("/{booking_no}/returned")
def return_booking(request: Request, engine: EngineDep, booking_no: str, posted: Posted = Poster) -> Response:
    def work(conn: Connection) -> str:
        reason = posted.get("reason", 2000)
        return exam_desk.return_booking(conn, posted.user.principal, booking_no, reason, expected=_seen(posted))

    return _act(request, engine, posted, booking_no, "returned", work)


@router.post("/{booking_no}/examined")
def examined(request: Request, engine: EngineDep, booking_no: str, posted: Posted = Poster) -> Response:
    def work(conn: Connection) -> str:
        return exam_desk.mark_examined(conn, posted.user.principal, booking_no, expected=_seen(posted))

    return _act(request, engine, posted, booking_no, "examined", work)


@router.post("/{booking_no}/reported")
def report(request: Request, engine: EngineDep, booking_no: str, posted: Posted = Poster) -> Response:
    """所见 and 诊断意见, the 互认 mark and the critical flag; signed by the signed-in user."""

    def work(conn: Connection) -> str:
        return exam_desk.report(
            conn,
            posted.user.principal,
            booking_no,
            posted.get("findings", exam_desk.MAX_REPORT),
            posted.get("impression", exam_desk.MAX_REPORT // 2),
            recognised=posted.get("recognised", 5) == "1",
            critical=posted.get("critical", 5) == "1",
            expected=_seen(posted),
        )

    return _act(request, engine, posted, booking_no, "reported", work)
