"""The county's indicators of a month on the desk (/desk/indicators, every signed-in role): the
indicator service's figures (the JSON API's own) as tables and bars, the remote rooms', the lab's and
the examinations' turnaround, and the CSV/XLSX exports; every view audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Engine

from clinic_hub import audit, directory, exam_desk, indicators, lab_desk, remote_desk
from clinic_hub.accounts import STAFF_ROLES
from clinic_hub.dependencies import EngineDep
from clinic_hub.web import indicator_views, remote_views
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import (
    PREFIX,
    language,
    render,
    secure,
    viewer_of,
)
from clinic_hub.web.i18n import N_, Translator

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INDICATOR_ROLES = STAFF_ROLES  # the county's indicators of a month: every signed-in role
BAD_MONTH = N_("The month must be written YYYY-MM, for example {example}.")

router = APIRouter(prefix=PREFIX, include_in_schema=False)


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
