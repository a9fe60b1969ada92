"""The web desk's remote consultation and reading pages (/desk/remote, issue 18): each reading
room's queue (consultation centre, ECG, imaging, pathology) with the critical values the clinics
have not acknowledged yet, one request with everything the clinic sent, and the hospital's answers.

The answers go through clinic_hub.remote_desk, the same functions as the JSON API: the domain's
state machine applies and each move is published to the clinic's next pull. Roles are checked on
the server (``viewer_of``/``poster_for``: the desk, doctors and administrators read, accept,
return and schedule; doctors and administrators write the report, signed as themselves); every
POST carries the session's CSRF token; every page read and every change is in the audit log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from clinic_hub import attachments, audit, directory, remote_desk
from clinic_hub.dependencies import EngineDep, SettingsDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.schemas.remote import RemoteMoveResult, ReportRemote, ScheduleRemote
from clinic_hub.web import remote_views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import PREFIX, Posted, language, poster_for, redirect, render, viewer_of
from clinic_hub.web.i18n import N_, Translator
from clinic_hub.web.views import label
from clinic_tui.domain import attachments as attachment_rules
from clinic_tui.domain import remote
from clinic_tui.domain.remote import SERVICE_LABELS, URGENCY_LABELS

VIEW_ROLES = ("desk", "doctor", "admin")  # the queues and a request's page
ANSWER_ROLES = ("desk", "doctor", "admin")  # accept, return, schedule
REPORT_ROLES = ("doctor", "admin")  # the report, signed by whoever writes it
PAGE_SIZE = 50
DONE_NOTICES = {
    "accepted": N_("Accepted. The clinic sees it after its next sync."),
    "returned": N_("Returned. The clinic sees the reason after its next sync."),
    "scheduled": N_("Scheduled. The clinic sees the time after its next sync."),
    "reported": N_("Report signed. The clinic receives it at its next sync."),
}
TAKEN = N_("Someone else answered this request meanwhile: it is now “{state}”. Check it below.")

router = APIRouter(prefix=f"{PREFIX}/remote", include_in_schema=False)
Viewer = Depends(viewer_of(*VIEW_ROLES))


@router.get("")
def queue(
    request: Request,
    engine: EngineDep,
    user: WebUser = Viewer,
    room: str | None = Query(None, max_length=20),
    tab: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """A reading room's queue: urgent first, then the oldest; overdue marked; tabs by state."""
    room = room if room in remote_desk.ROOMS else "consult"
    tab = tab if tab in remote_views.TABS else "waiting"
    t = Translator(language(request))
    with engine.begin() as conn:
        items = remote_desk.list_requests(
            conn, room, remote_views.TABS[tab] or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
        has_more, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
        counts = remote_desk.status_counts(conn, room)
        waiting = {
            r: sum(remote_desk.status_counts(conn, r).get(s, 0) for s in remote_views.TABS["waiting"])
            for r in remote_desk.ROOMS
        }
        critical = remote_desk.unacknowledged_critical(conn)
        audit.record(conn, user.principal, "web.remote", [r.id for r in items] + [r.id for r in critical])
    tabs = [
        (
            key,
            t(remote_views.TAB_LABELS[key]),
            sum(counts.values()) if key == "all" else sum(counts.get(s, 0) for s in states),
        )
        for key, states in remote_views.TABS.items()
    ]
    return render(
        request,
        "remote_queue.html",
        room=room,
        rooms=[(key, t(name), waiting[key]) for key, name in remote_views.ROOM_LABELS.items()],
        tab=tab,
        tabs=tabs,
        items=remote_views.queue_rows(t, items),
        critical=remote_views.queue_rows(t, critical),
        page=page,
        has_more=has_more,
        first=(page - 1) * PAGE_SIZE + 1,
    )


def _page(
    request: Request,
    engine: Engine,
    user: WebUser,
    request_no: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            detail = remote_desk.get_request(conn, request_no)
        except ApiError:
            audit.record(conn, user.principal, "web.remote.request", [], status_code=404)
            return render(
                request,
                "message.html",
                404,
                title=N_("Not found"),
                text=t("No remote request with the number {number}.", number=request_no),
                link=f"{PREFIX}/remote",
            )
        audit.record(conn, user.principal, "web.remote.request", [detail.id], status_code=status)
    targets = {s.value for s in remote.allowed_targets(detail.status, "hospital")} if not detail.deleted else set()
    may_answer = user.role in ANSWER_ROLES
    arriving = remote_views.arriving_text(t, detail)
    values = defaultdict(str, form or {})
    values.setdefault("date", directory.today_in_china().isoformat())
    values.setdefault("time", "09:00")
    return render(
        request,
        "remote_request.html",
        status,
        r=detail,
        error=error,
        notice=t(DONE_NOTICES[done]) if done in DONE_NOTICES else None,
        values=values,
        sections=remote_views.request_sections(t, detail.data),
        history=remote_views.history_rows(t, detail),
        attachments=remote_views.attachment_rows(t, detail),
        arriving=arriving,
        waits_for_files=bool(arriving) and user.role in REPORT_ROLES and "reported" in targets,
        service_label=label(t, SERVICE_LABELS, detail.service),
        urgency_label=label(t, URGENCY_LABELS, detail.urgency),
        status_label=remote_views.status_label(t, detail.status),
        room_label=t(remote_views.ROOM_LABELS.get(detail.room, detail.room)) if detail.room else "",
        may_accept=may_answer and "accepted" in targets,
        may_return=may_answer and "returned" in targets,
        may_schedule=may_answer and "scheduled" in targets and detail.service == remote.Service.CONSULT_VIDEO,
        may_report=user.role in REPORT_ROLES and "reported" in targets and not arriving,
        may_write_report=user.role in REPORT_ROLES,
    )


@router.get("/{request_no}")
def request_page(
    request: Request,
    engine: EngineDep,
    request_no: str,
    user: WebUser = Viewer,
    done: str | None = Query(None, max_length=20),
) -> Response:
    return _page(request, engine, user, request_no[:64], done=done)


@router.get("/{request_no}/attachments/{sha256}")
def attachment(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    request_no: str,
    sha256: str,
    user: WebUser = Viewer,
) -> Response:
    """One of the request's files, shown by the browser itself (PDF and images inline); only for
    the roles that may see the request, only once it arrived whole; a read of patient data, audited."""
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            if not attachment_rules.SHA256.match(sha256):
                raise ApiError(404, "attachment_not_found")
            request_id, item = remote_desk.attachment_file(conn, request_no[:64], sha256)
            path = attachments.stored_file(settings.attachment_folder(), sha256)
        except ApiError:
            audit.record(conn, user.principal, "web.remote.attachment", [], status_code=404)
            return render(
                request,
                "message.html",
                404,
                title=N_("Not found"),
                text=t("No remote request with the number {number}.", number=request_no[:64]),
                link=f"{PREFIX}/remote",
            )
        audit.record(conn, user.principal, "web.remote.attachment", [request_id, sha256])
    return FileResponse(
        path,
        headers=attachments.serving_headers(item.name, item.media_type, sha256),
        media_type=item.media_type,
    )


def _act(
    request: Request,
    engine: Engine,
    posted: Posted,
    request_no: str,
    action: str,
    work: Callable[[Connection], RemoteMoveResult],
    done: str,
) -> Response:
    """One desk move in one transaction with its audit row; refused (moved by someone else meanwhile,
    illegal, bad input): the page again with the reason and what was typed."""
    try:
        with engine.begin() as conn:
            result = work(conn)
            audit.record(conn, posted.user.principal, f"web.remote.{action}", [result.request.id, result.event_id])
    except ApiError as exc:
        with engine.begin() as conn:  # the refused attempt is audited too
            audit.record(conn, posted.user.principal, f"web.remote.{action}", [], status_code=exc.status)
        t = Translator(language(request))
        if exc.code == "remote_taken":
            text = t(TAKEN, state=remote_views.status_label(t, str(exc.params.get("state", ""))))
        else:
            text = message(exc.code, language(request), **exc.params)
        return _page(request, engine, posted.user, request_no, exc.status, error=text, form=posted.form)
    return redirect(f"{PREFIX}/remote/{quote(result.request.request_no, safe='')}?{urlencode({'done': done})}")


def _invalid(request: Request, engine: Engine, posted: Posted, request_no: str, text: str) -> Response:
    return _page(request, engine, posted.user, request_no, 422, error=text, form=posted.form)


def _seen(posted: Posted) -> str | None:
    """The state the page showed when the form was made: a move on a request that has moved since
    is refused as answered by someone else (desk_moves.check)."""
    return posted.get("status", 20) or None


@router.post("/{request_no}/accept")
def accept(
    request: Request, engine: EngineDep, request_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
) -> Response:
    note = posted.get("note", 2000) or None
    return _act(
        request,
        engine,
        posted,
        request_no,
        "accept",
        lambda conn: remote_desk.accept(conn, posted.user.principal, request_no, note, expected=_seen(posted)),
        "accepted",
    )


@router.post("/{request_no}/return")
def return_request(
    request: Request, engine: EngineDep, request_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
) -> Response:
    reason = posted.get("reason", 2000)
    if not reason:
        return _invalid(request, engine, posted, request_no, message("reason_required", language(request)))
    return _act(
        request,
        engine,
        posted,
        request_no,
        "return",
        lambda conn: remote_desk.return_request(
            conn, posted.user.principal, request_no, reason, expected=_seen(posted)
        ),
        "returned",
    )


@router.post("/{request_no}/schedule")
def schedule(
    request: Request, engine: EngineDep, request_no: str, posted: Posted = Depends(poster_for(*ANSWER_ROLES))
) -> Response:
    t = Translator(language(request))
    try:
        at = datetime.combine(
            date.fromisoformat(posted.get("date", 10)), time.fromisoformat(posted.get("time", 8)), directory.CHINA_TZ
        )
    except ValueError:
        return _invalid(request, engine, posted, request_no, t("Give the consultation's date and time."))
    expert = posted.get("expert", 100)
    if not expert:
        return _invalid(request, engine, posted, request_no, t("Name the expert who holds the consultation."))
    body = ScheduleRemote(scheduled_at=at, expert=expert, note=posted.get("note", 2000) or None)
    return _act(
        request,
        engine,
        posted,
        request_no,
        "schedule",
        lambda conn: remote_desk.schedule(conn, posted.user.principal, request_no, body, expected=_seen(posted)),
        "scheduled",
    )


@router.post("/{request_no}/report")
def report(
    request: Request, engine: EngineDep, request_no: str, posted: Posted = Depends(poster_for(*REPORT_ROLES))
) -> Response:
    t = Translator(language(request))
    critical = posted.get("critical", 5) == "1"
    fields: dict[str, Any] = {
        "findings": posted.get("findings"),
        "conclusion": posted.get("conclusion"),
        "advice": posted.get("advice") or None,
        "reviewing_doctor": posted.get("reviewing_doctor", 100) or None,
        "critical": critical,
        "critical_note": posted.get("critical_note", 2000) or None,
        "service_item_code": posted.get("service_item_code", 40) or None,
        "fee": posted.get("fee", 20) or None,
    }
    if not fields["findings"] or not fields["conclusion"]:
        return _invalid(request, engine, posted, request_no, t("A report needs its findings and its conclusion."))
    if critical and not fields["critical_note"]:
        return _invalid(request, engine, posted, request_no, t("Say what the critical value is."))
    try:
        body = ReportRemote(**fields)
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
        if "fee" in wrong:
            return _invalid(request, engine, posted, request_no, message("bad_fee", language(request)))
        return _invalid(request, engine, posted, request_no, message("invalid_request", language(request)))
    return _act(
        request,
        engine,
        posted,
        request_no,
        "report",
        lambda conn: remote_desk.report(conn, posted.user.principal, request_no, body, expected=_seen(posted)),
        "reported",
    )
