"""The results from the lead hospital a resident's referral slip may carry (domain/slip_results.py).

Read from what the pulls brought: the lab's reports (``lab_event`` rows reported for the current
specimen of the resident's lab orders, one result per item, with the performing institution and
the 互认 mark) and the remote reads' reports (``remote_event`` rows reported about the resident's
remote requests; their institution is the lead hospital, which wrote them). Consultations are not
results: only reads (ECG, imaging, pathology) are offered.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Engine, select
from sqlmodel import col

from clinic_tui import clock
from clinic_tui.data.db import read_session
from clinic_tui.data.lookups import current_clinic
from clinic_tui.data.models import LabEvent, LabOrder, RemoteEvent, RemoteRequest
from clinic_tui.domain import lab, remote
from clinic_tui.domain.slip_results import LAB, REPORT, SlipResult, offered, preselected

# Remote services whose report is a result (a consultation's answer is advice, not a result).
READ_SERVICES = frozenset(s for s in remote.Service if not s.startswith("consult"))


def available(engine: Engine, resident_id: str, *, now: datetime | None = None) -> list[SlipResult]:
    """Every result from the lead hospital for the resident, in the order the form offers them."""
    found: list[SlipResult] = []
    with read_session(engine) as session:
        lead = current_clinic(session).lead_hospital_name
        orders = {
            o.id: o
            for o in session.execute(
                select(LabOrder).where(col(LabOrder.resident_id) == resident_id, col(LabOrder.deleted) == False)
            ).scalars()
        }
        reports: dict[str, LabEvent] = {}  # the latest report of each order's current specimen
        for event in session.execute(
            select(LabEvent)
            .where(
                col(LabEvent.order_id).in_(list(orders)),
                col(LabEvent.to_status) == lab.Status.REPORTED,
                col(LabEvent.deleted) == False,
            )
            .order_by(col(LabEvent.arrival))
        ).scalars():
            if event.attempt == orders[event.order_id].attempt:
                reports[event.order_id] = event
        for order_id, event in reports.items():
            for r in event.results or []:
                if not isinstance(r, dict):
                    continue
                code = str(r.get("code") or "")
                found.append(
                    SlipResult(
                        LAB,
                        event.id,
                        code,
                        str(r.get("name") or code),
                        "" if r.get("value") is None else str(r.get("value")),
                        str(r.get("unit") or ""),
                        str(r.get("reference_range") or ""),
                        str(r.get("flag") or lab.Flag.NORMAL),
                        event.institution,
                        event.reported_at or event.at,
                        bool(event.recognised),
                        orders[order_id].order_no,
                    )
                )
        requests = {
            r.id: r
            for r in session.execute(
                select(RemoteRequest).where(
                    col(RemoteRequest.resident_id) == resident_id,
                    col(RemoteRequest.deleted) == False,
                    col(RemoteRequest.service).in_(list(READ_SERVICES)),
                )
            ).scalars()
        }
        read: dict[str, RemoteEvent] = {}
        for event in session.execute(
            select(RemoteEvent)
            .where(
                col(RemoteEvent.request_id).in_(list(requests)),
                col(RemoteEvent.to_status) == remote.Status.REPORTED,
                col(RemoteEvent.deleted) == False,
            )
            .order_by(col(RemoteEvent.arrival))
        ).scalars():
            read[event.request_id] = event
        for request_id, event in read.items():
            request = requests[request_id]
            found.append(
                SlipResult(
                    REPORT,
                    event.id,
                    request.service,
                    remote.service_label(request.service),
                    event.conclusion or event.findings or "",
                    flag=lab.Flag.CRITICAL if event.critical else None,
                    institution=lead,
                    reported_at=event.signed_at or event.at,
                    recognised=False,  # a read's report carries no 互认 mark on the wire
                    order_no=request.request_no,
                )
            )
    return offered(found, now or _end_of_today())


def preselection(engine: Engine, resident_id: str, *, now: datetime | None = None) -> list[dict]:
    """What a new slip carries to begin with, as stored on the referral."""
    moment = now or _end_of_today()
    return [r.wire() for r in preselected(available(engine, resident_id, now=moment), moment)]


def _end_of_today() -> datetime:
    # "Recent" counts from the clinic's day (clock.today, which a demo or a test may pin).
    return clock.at(clock.today(), time(23, 59, 59))
