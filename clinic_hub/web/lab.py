"""The web desk's lab pages (/desk/lab, issue 18, tests at the lead hospital): the queue (awaiting
the specimen, received, reported, rejected; urgent first) with the critical values the clinics have
not acknowledged and the exceptions, one order with a results form per test.

The moves go through clinic_hub.lab_desk, the same functions as the JSON API: the domain's state
machine applies and each move is published to the clinic's next pull. Roles are checked on the
server (``viewer_of``/``poster_for``: the desk, which a lab nurse has, doctors and administrators;
a viewer is refused); every POST carries the session's CSRF token; every page read and every change
is in the audit log. Results are entered only against orders on the desk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Connection, Engine

from clinic_hub import audit, lab_corrections, lab_desk, lab_import
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.schemas.lab import CorrectLab, LabMoveResult, ReportLab, ResultIn
from clinic_hub.web import lab_views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import PREFIX, Posted, language, poster_for, redirect, render, viewer_of
from clinic_hub.web.i18n import N_, Translator
from clinic_hub.web.views import label
from clinic_tui.domain import lab
from clinic_tui.domain.lab import PRIORITY_LABELS

LAB_ROLES = ("desk", "doctor", "admin")  # read the queue, receive, reject, enter results
PAGE_SIZE = 50
DONE_NOTICES = {
    "received": N_("Received. The clinic sees it after its next sync."),
    "rejected": N_("Rejected. The clinic sees the reason after its next sync and recollects."),
    "reported": N_("Results sent. The clinic receives them at its next sync."),
    "partial": N_("These results sent; the order waits for the others. The clinic receives them at its next sync."),
    "corrected": N_("Correction sent. The clinic sees the corrected value and the earlier one at its next sync."),
}
TAKEN = N_("Someone else handled this order meanwhile: it is now “{state}”. Check it below.")

router = APIRouter(prefix=f"{PREFIX}/lab", include_in_schema=False)
Viewer = Depends(viewer_of(*LAB_ROLES))


@router.get("")
def queue(
    request: Request,
    engine: EngineDep,
    user: WebUser = Viewer,
    tab: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """The lab's queue: urgent first, then the oldest; the unacknowledged critical values above."""
    tab = tab if tab in lab_views.TAB_LABELS else "awaiting"
    t = Translator(language(request))
    with engine.begin() as conn:
        if tab == "exceptions":
            items = lab_desk.exceptions(conn, limit=PAGE_SIZE + 1)
        else:
            items = lab_desk.list_orders(conn, tab, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        has_more, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
        counts = {
            **lab_desk.queue_counts(conn),
            "exceptions": len(lab_desk.exceptions(conn)) + len(lab_import.exceptions(conn)),
        }
        critical = lab_desk.unacknowledged_critical(conn)
        imported = lab_import.exceptions(conn) if tab == "exceptions" else []
        audit.record(conn, user.principal, "web.lab", [o.id for o in items] + [o.id for o in critical])
    return render(
        request,
        "lab_queue.html",
        tab=tab,
        tabs=[(key, t(name), counts.get(key, 0)) for key, name in lab_views.TAB_LABELS.items()],
        items=lab_views.queue_rows(t, items),
        critical=lab_views.queue_rows(t, critical),
        imported=[(e, message(e.problem, language(request))) for e in imported],
        page=page,
        has_more=has_more,
        first=(page - 1) * PAGE_SIZE + 1,
    )


def _page(
    request: Request,
    engine: Engine,
    user: WebUser,
    order_no: str,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = Translator(language(request))
    with engine.begin() as conn:
        try:
            detail = lab_desk.get_order(conn, order_no)
        except ApiError:
            audit.record(conn, user.principal, "web.lab.order", [], status_code=404)
            return render(
                request,
                "message.html",
                404,
                title=N_("Not found"),
                text=t("No lab order with the number {number}.", number=order_no),
                link=f"{PREFIX}/lab",
            )
        audit.record(conn, user.principal, "web.lab.order", [detail.id], status_code=status)
    open_ = not detail.deleted and detail.status != lab.Status.CANCELLED
    targets = {s.value for s in lab.allowed_targets(detail.status, "hospital")} if open_ else set()
    pending = set(detail.pending)
    values = defaultdict(str, form or {})
    return render(
        request,
        "lab_order.html",
        status,
        o=detail,
        error=error,
        notice=t(DONE_NOTICES[done]) if done in DONE_NOTICES else None,
        values=values,
        section=lab_views.order_section(t, detail),
        items=lab_views.item_names(detail.items),
        entries=[e for e in lab_views.entry_rows(detail, values) if e.code in pending],
        flags=lab_views.flag_choices(t),
        results=[(r, lab_views.flag_text(t, r.flag)) for r in detail.results],
        pending_names=lab_views.pending_names(detail),
        corrections=lab_views.correction_rows(t, detail),
        may_correct=open_ and bool(detail.results) and detail.status in lab_corrections.CORRECTABLE,
        history=lab_views.history_rows(t, detail),
        priority_label=label(t, PRIORITY_LABELS, detail.priority),
        status_label=lab_views.status_label(t, detail.status),
        may_receive="received" in targets,
        may_reject="rejected" in targets,
        may_report="reported" in targets,
        cancelled=detail.status == lab.Status.CANCELLED or detail.clinic_status == lab.Status.CANCELLED,
    )


@router.get("/{order_no}")
def order_page(
    request: Request,
    engine: EngineDep,
    order_no: str,
    user: WebUser = Viewer,
    done: str | None = Query(None, max_length=20),
) -> Response:
    return _page(request, engine, user, order_no[:64], done=done)


def _act(
    request: Request,
    engine: Engine,
    posted: Posted,
    order_no: str,
    action: str,
    work: Callable[[Connection], LabMoveResult],
    done: str,
) -> Response:
    """One lab move in one transaction with its audit row; refused: the page again with the reason
    and what was typed."""
    try:
        with engine.begin() as conn:
            result = work(conn)
            audit.record(conn, posted.user.principal, f"web.lab.{action}", [result.order.id, result.event_id])
    except ApiError as exc:
        with engine.begin() as conn:
            audit.record(conn, posted.user.principal, f"web.lab.{action}", [], status_code=exc.status)
        t = Translator(language(request))
        if exc.code == "lab_taken":
            text = t(TAKEN, state=lab_views.status_label(t, str(exc.params.get("state", ""))))
        else:
            text = message(exc.code, language(request), **exc.params)
        return _page(request, engine, posted.user, order_no, exc.status, error=text, form=posted.form)
    return redirect(f"{PREFIX}/lab/{quote(result.order.order_no, safe='')}?{urlencode({'done': done})}")


def _seen(posted: Posted) -> str | None:
    return posted.get("status", 20) or None


@router.post("/{order_no}/receive")
def receive(
    request: Request, engine: EngineDep, order_no: str, posted: Posted = Depends(poster_for(*LAB_ROLES))
) -> Response:
    note = posted.get("note", 2000) or None
    return _act(
        request,
        engine,
        posted,
        order_no,
        "receive",
        lambda conn: lab_desk.receive(conn, posted.user.principal, order_no, note, expected=_seen(posted)),
        "received",
    )


@router.post("/{order_no}/reject")
def reject(
    request: Request, engine: EngineDep, order_no: str, posted: Posted = Depends(poster_for(*LAB_ROLES))
) -> Response:
    reason = posted.get("reason", 2000)
    if not reason:
        text = message("reason_required", language(request))
        return _page(request, engine, posted.user, order_no, 422, error=text, form=posted.form)
    return _act(
        request,
        engine,
        posted,
        order_no,
        "reject",
        lambda conn: lab_desk.reject(conn, posted.user.principal, order_no, reason, expected=_seen(posted)),
        "rejected",
    )


@router.post("/{order_no}/results")
def results(
    request: Request, engine: EngineDep, order_no: str, posted: Posted = Depends(poster_for(*LAB_ROLES))
) -> Response:
    """The results form: ``value_<code>``, ``flag_<code>`` (empty: from the range), ``method_<code>``
    per test still without a result, the reviewer, the performing institution and the 互认 mark;
    ``partial`` (the second button): the tests filled now, the others later."""
    partial = posted.get("partial", 5) == "1"
    codes = [name[len("value_") :] for name in posted.form if name.startswith("value_")][: lab.MAX_ITEMS]
    try:
        body = ReportLab(
            results=[
                ResultIn(
                    code=code[:20],
                    value=posted.get(f"value_{code}", 100),
                    flag=posted.get(f"flag_{code}", 10) or None,  # type: ignore[arg-type]
                    method=posted.get(f"method_{code}", 100) or None,
                )
                for code in codes
                if posted.get(f"value_{code}", 100)
            ],
            reviewer=posted.get("reviewer", 100) or None,
            institution=posted.get("institution", 200) or None,
            recognised=posted.get("recognised", 5) == "1",
            partial=partial,
        )
    except ValidationError:
        t = Translator(language(request))
        text = t("Enter a value for every test; a flag is N, H, L or critical.")
        if partial:
            text = t("Enter the value of at least one test; a flag is N, H, L or critical.")
        return _page(request, engine, posted.user, order_no, 422, error=text, form=posted.form)
    return _act(
        request,
        engine,
        posted,
        order_no,
        "report",
        lambda conn: lab_desk.report(conn, posted.user.principal, order_no, body, expected=_seen(posted)),
        "partial" if partial else "reported",
    )


@router.post("/{order_no}/correct")
def correct(
    request: Request, engine: EngineDep, order_no: str, posted: Posted = Depends(poster_for(*LAB_ROLES))
) -> Response:
    """更正报告: one reported test, its new value (and flag), the reason; the earlier value is kept."""
    try:
        body = CorrectLab(
            code=posted.get("code", 20),
            value=posted.get("value", 100),
            flag=posted.get("flag", 10) or None,  # type: ignore[arg-type]
            method=None,
            reason=posted.get("correction_reason", 2000),
        )
    except ValidationError:
        t = Translator(language(request))
        text = t("Choose the test, enter its corrected value and say why it is corrected.")
        return _page(request, engine, posted.user, order_no, 422, error=text, form=posted.form)
    return _act(
        request,
        engine,
        posted,
        order_no,
        "correct",
        lambda conn: lab_corrections.correct(conn, posted.user.principal, order_no, body, expected=_seen(posted)),
        "corrected",
    )
