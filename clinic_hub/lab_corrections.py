"""更正报告: the lab corrects a result it reported (issue 18, tests at the lead hospital).

A correction names one reported test, its new value (and flag, computed from the catalogue's
ranges when the value is a number) and why. The earlier value is never overwritten silently: it
stays in ``lab_correction`` beside who corrected it, when and why, and the clinic receives a
``lab_event`` with the whole corrected results and the ``correction`` (docs/protocol.md), so it
keeps the earlier value in its own history. A correction that makes a value critical (or changes
a critical value) raises the critical alert again: the order's ``critical_event`` becomes the
correction's event, which the clinic's acknowledgement must name; a correction of a critical value
to a non-critical one says so (``critical_cleared``).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import desk_moves
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_hub.lab_desk import LAB, _check_holds, _find, _result
from clinic_hub.lab_results import result_entry
from clinic_hub.models import LabCorrection, table_of
from clinic_hub.schemas.lab import CorrectLab, LabMoveResult
from clinic_tui.domain import lab
from clinic_tui.domain.lab import Status

_corrections = table_of(LabCorrection)
# A correction applies to results the clinic has: reported, or reported in part.
CORRECTABLE = (Status.REPORTED.value, Status.RECEIVED.value)


def correct(
    conn: Connection, actor: Principal, order_no: str, body: CorrectLab, expected: str | None = None
) -> LabMoveResult:
    row = _find(conn, order_no, lock=True)
    _check_holds(row, CORRECTABLE, expected)
    code = body.code.strip().upper()
    results: list[dict[str, Any]] = [dict(r) for r in row.results or []]
    index = next((i for i, r in enumerate(results) if str(r.get("code")) == code), None)
    if index is None:
        data = row.data if isinstance(row.data, dict) else {}
        ordered = {str(i.get("code")) for i in data.get("items") or [] if isinstance(i, dict)}
        raise ApiError(422, "result_not_reported" if code in ordered else "result_not_ordered", test=code)
    reason = body.reason.strip()
    if not reason:
        raise ApiError(422, "reason_required")
    previous = results[index]
    method = body.method if body.method is not None else previous.get("method")
    entry = result_entry(code, str(previous.get("name") or code), body.value, body.flag, method)
    if entry["value"] == previous.get("value") and entry["flag"] == previous.get("flag"):
        raise ApiError(422, "correction_unchanged", test=code)
    results[index] = {**entry, "corrected": True}
    now = utcnow()
    signer = desk_moves.signer(conn, actor)
    was_critical = previous.get("flag") == lab.Flag.CRITICAL
    is_critical = entry["flag"] == lab.Flag.CRITICAL
    raised = is_critical  # newly critical, or a critical value changed: the clinic looks again
    cleared = was_critical and not is_critical
    correction = {
        "code": code,
        "name": entry["name"],
        "previous_value": str(previous.get("value") or ""),
        "previous_flag": str(previous.get("flag") or lab.Flag.NORMAL.value),
        "value": entry["value"],
        "flag": entry["flag"],
        "unit": entry["unit"],
        "reason": reason,
        "corrected_by": signer,
        "corrected_at": now.isoformat(),
    }
    critical = lab.has_critical(results)
    event_id = str(uuid.uuid4())
    values: dict[str, Any] = {"results": results, "critical": critical}
    if raised:
        values["critical_event"] = event_id
    if not critical:
        values["critical_event"] = None
    data = row.data if isinstance(row.data, dict) else {}
    ordered_codes = [str(i.get("code")) for i in data.get("items") or [] if isinstance(i, dict)]
    done = {str(r.get("code")) for r in results}
    desk_moves.move(
        conn,
        LAB,
        row,
        row.status,
        actor,
        reason,
        extra={
            "results": results,
            "reporter": row.reporter,
            "reviewer": row.reviewer,
            "institution": row.institution,
            "recognised": row.recognised,
            "reported_at": as_utc(row.reported_at).isoformat() if row.reported_at else now.isoformat(),
            "critical": critical,
            "partial": row.status == Status.RECEIVED.value,
            "pending": [c for c in ordered_codes if c not in done],
            "correction": correction,
            "critical_raised": raised,
            "critical_cleared": cleared,
        },
        values=values,
        now=now,
        event_id=event_id,
    )
    conn.execute(
        sa.insert(_corrections).values(
            order_id=row.id,
            event_id=event_id,
            attempt=row.attempt,
            code=code,
            name=entry["name"][:100],
            previous_value=correction["previous_value"][:100],
            previous_flag=correction["previous_flag"][:10],
            value=entry["value"],
            flag=entry["flag"],
            reason=reason[:2000],
            corrected_by=signer and signer[:100],
            at=now,
        )
    )
    return _result(conn, row.order_no, event_id)
