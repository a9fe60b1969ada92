"""The lab desk's CSV import (/desk/lab-import, issue 18): upload the lab system's results, see
per row what will happen (entered on which order, to the exceptions list, or not imported and
why), then commit. The work is clinic_hub.lab_import's; roles as the lab's pages (desk, doctor,
admin); every POST carries the CSRF token; every step is audited. A file past the limit is 413,
an unreadable one 422, both with the reason on the page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from clinic_hub import audit, lab_import
from clinic_hub.dependencies import EngineDep
from clinic_hub.errors import ApiError
from clinic_hub.messages import message
from clinic_hub.web.auth import WebUser
from clinic_hub.web.common import PREFIX, Posted, language, poster_for, redirect, render, viewer_of
from clinic_hub.web.lab import LAB_ROLES

router = APIRouter(prefix=f"{PREFIX}/lab-import", include_in_schema=False)
Viewer = Depends(viewer_of(*LAB_ROLES))
OUTCOME_CLASS = {"result": "ok", "exception": "exception", "error": "error"}


def _form(request: Request, status: int = 200, error: str | None = None) -> Response:
    return render(
        request, "lab_import.html", status, error=error, columns=lab_import.COLUMNS, limit=lab_import.MAX_BYTES // 1024
    )


@router.get("")
def upload_form(request: Request, user: WebUser = Viewer) -> Response:
    return _form(request)


@router.post("")
def upload(request: Request, engine: EngineDep, posted: Posted = Depends(poster_for(*LAB_ROLES))) -> Response:
    upload = posted.files.get("file")
    lang = language(request)
    if upload is None or not upload.data:
        return _form(request, 422, message("import_no_file", lang))
    try:
        with engine.begin() as conn:
            import_id = lab_import.store(conn, posted.user.principal, upload.filename, upload.data)
            audit.record(conn, posted.user.principal, "web.lab.import", [import_id])
    except ApiError as exc:
        with engine.begin() as conn:
            audit.record(conn, posted.user.principal, "web.lab.import", [], status_code=exc.status)
        return _form(request, exc.status, message(exc.code, lang, **exc.params))
    return redirect(f"{PREFIX}/lab-import/{import_id}")


@router.get("/{import_id}")
def preview(request: Request, engine: EngineDep, import_id: str, user: WebUser = Viewer) -> Response:
    lang = language(request)
    with engine.begin() as conn:
        try:
            batch, plans = lab_import.preview(conn, import_id[:36])
        except ApiError as exc:
            return _form(request, exc.status, message(exc.code, lang, **exc.params))
        audit.record(conn, user.principal, "web.lab.import.preview", [batch.id])
    rows = [
        {
            "line": p.line,
            "ref": p.order_ref,
            "order_no": p.order_no or "",
            "code": p.code,
            "value": p.value,
            "flag": (p.result or {}).get("flag", ""),
            "outcome": p.outcome,
            "css": OUTCOME_CLASS[p.outcome],
            "problem": message(p.problem, lang) if p.problem else "",
        }
        for p in plans
    ]
    counts = {k: sum(1 for p in plans if p.outcome == k) for k in OUTCOME_CLASS}
    return render(request, "lab_import_preview.html", batch=batch, rows=rows, counts=counts)


@router.post("/{import_id}/commit")
def commit(
    request: Request, engine: EngineDep, import_id: str, posted: Posted = Depends(poster_for(*LAB_ROLES))
) -> Response:
    lang = language(request)
    try:
        with engine.begin() as conn:
            counts = lab_import.commit(conn, posted.user.principal, import_id[:36])
            audit.record(conn, posted.user.principal, "web.lab.import.commit", [import_id[:36]])
    except ApiError as exc:
        with engine.begin() as conn:
            audit.record(conn, posted.user.principal, "web.lab.import.commit", [], status_code=exc.status)
        return _form(request, exc.status, message(exc.code, lang, **exc.params))
    return render(request, "lab_import_done.html", counts=counts)
