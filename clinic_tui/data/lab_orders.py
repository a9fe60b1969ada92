"""Lab orders sent to the lead hospital's lab: each function is one read or one clinic action
(docs/protocol.md, ``lab_order`` and ``lab_event``).

The clinic writes an order, records the specimen's collection, sends it, may cancel it before the
lab receives it, recollects after a rejection and acknowledges a critical value (危急值); each is a
new revision of the order, audited and queued for sync in the same transaction (``records``). Who
may make which move is ``domain.lab.transition``'s decision, applied to the state shown.

That state is derived, never stored: the lab's latest move about the order's current specimen
(its ``lab_event`` rows of that ``attempt``, in the order they arrived), else the clinic's own
status; ``cancelled`` when the clinic cancelled before the lab received the specimen (a
cancellation the hub refused as late leaves the lab's move standing). A draft never reaches this
table: the form keeps it in the draft store (data/drafts.py) until it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lookups import current_clinic, get_resident
from clinic_tui.data.models import LabEvent, LabOrder, Staff, utcnow
from clinic_tui.data.remote_requests import clinic_day
from clinic_tui.domain import lab
from clinic_tui.domain.problems import DomainError, Problem
from clinic_tui.i18n import N_

# What the form may set; the number, patient copy, doctor and times are set here.
FORM_FIELDS = ("items", "specimen", "priority", "fasting", "clinical_diagnosis")
COLLECTION_FIELDS = ("collected_at", "collected_by", "barcode")
# The list's filters: every order, those the lab has not answered, rejected specimens, results
# with a critical value not yet acknowledged.
FILTERS = ("all", "waiting", "rejected", "critical")
_WAITING = frozenset({lab.Status.ORDERED, lab.Status.COLLECTED, lab.Status.SENT, lab.Status.RECEIVED})


class LabRefused(DomainError):
    """Writing or sending refused: ``problems`` are what stops it, each naming its field."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0])
        self.problems = problems


@dataclass(frozen=True)
class Result:
    code: str
    name: str
    value: str
    unit: str
    reference_range: str
    flag: str  # domain.lab.Flag
    method: str | None
    corrected: bool = False  # 更正: the value replaced an earlier one (``Report.corrections``)


@dataclass(frozen=True)
class Correction:
    """One result the lab corrected (更正报告): the earlier value stays visible here."""

    code: str
    name: str
    previous_value: str
    previous_flag: str
    value: str
    flag: str
    unit: str
    reason: str
    corrected_by: str | None
    corrected_at: datetime | None

    @property
    def cleared_critical(self) -> bool:
        return self.previous_flag == lab.Flag.CRITICAL and self.flag != lab.Flag.CRITICAL

    @property
    def made_critical(self) -> bool:
        return self.flag == lab.Flag.CRITICAL


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    reporter: str | None
    reviewer: str | None
    reported_at: datetime | None
    institution: str | None
    recognised: bool  # 互认
    critical: bool
    partial: bool = False  # some tests reported, ``pending`` still to come
    pending: tuple[str, ...] = ()  # their names
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True)
class Answer:
    """One move of the lab, as the page lists it."""

    at: datetime
    to_status: str
    actor_name: str | None
    reason: str | None
    attempt: int
    what: str = ""  # "partial" (some results), "correction" (更正报告), or "" (a move of the state)


@dataclass(frozen=True)
class OrderDetail:
    order: LabOrder
    status: str  # as shown: domain.lab.Status
    answers: tuple[Answer, ...]
    report: Report | None
    rejection: str | None  # the lab's reason, while the order stands rejected
    can_collect: bool
    can_send: bool
    can_cancel: bool
    can_recollect: bool
    needs_critical_ack: bool


@dataclass(frozen=True)
class OrderRow:
    id: str
    order_no: str
    patient_name: str
    items: str
    priority: str
    status: str
    ordered_at: datetime
    critical: bool  # a critical value not yet acknowledged


# --- the derived state -------------------------------------------------------------------------


def shown_status(clinic_status: str, lab_status: str | None) -> str:
    """The state an order is shown in (see the module's docstring); ``lab_status`` is the lab's
    latest move about the current specimen."""
    if clinic_status == lab.Status.CANCELLED and lab_status in (None, lab.Status.REJECTED):
        return lab.Status.CANCELLED
    return lab_status or clinic_status


def _events(session: Session, order_id: str) -> list[LabEvent]:
    return list(
        session.execute(
            select(LabEvent)
            .where(col(LabEvent.order_id) == order_id, col(LabEvent.deleted) == False)
            .order_by(col(LabEvent.arrival))
        ).scalars()
    )


def _current(order: LabOrder, events: list[LabEvent]) -> list[LabEvent]:
    return [e for e in events if e.attempt == order.attempt]


def _state(order: LabOrder, events: list[LabEvent]) -> str:
    current = _current(order, events)
    return shown_status(order.status, current[-1].to_status if current else None)


def _bears_results(event: LabEvent) -> bool:
    """A report, a partial one, a correction, or a rejection (which ends what the specimen said)."""
    return event.partial or event.to_status in (lab.Status.REPORTED, lab.Status.REJECTED)


def _report_event(order: LabOrder, events: list[LabEvent]) -> LabEvent | None:
    """The latest event holding the current specimen's results as they stand (every such event
    carries them whole), None before any or after a rejection."""
    latest = next((e for e in reversed(_current(order, events)) if _bears_results(e)), None)
    return None if latest is None or latest.to_status == lab.Status.REJECTED else latest


def _what(event: LabEvent) -> str:
    if event.correction:
        return "correction"
    return "partial" if event.partial else ""


def _alert_event(order: LabOrder, events: list[LabEvent]) -> LabEvent | None:
    return next((e for e in reversed(_current(order, events)) if e.alert), None)


def critical_pending(order: LabOrder, events: list[LabEvent]) -> bool:
    """The results as they stand hold a critical value whose latest alert (the report, or a
    correction that made a value critical) no doctor has acknowledged; dashboard.py says the same
    in SQL."""
    reported = _report_event(order, events)
    if reported is None or not reported.critical:
        return False
    alert = _alert_event(order, events) or reported  # an event from an older hub names no alert
    return (order.critical_ack_event or "") != alert.id


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _correction(c: dict) -> Correction:
    return Correction(
        str(c.get("code") or ""),
        str(c.get("name") or ""),
        str(c.get("previous_value") or ""),
        str(c.get("previous_flag") or lab.Flag.NORMAL),
        str(c.get("value") or ""),
        str(c.get("flag") or lab.Flag.NORMAL),
        str(c.get("unit") or ""),
        str(c.get("reason") or ""),
        c.get("corrected_by"),
        _time(c.get("corrected_at")),
    )


def _item_names(items: list[dict]) -> str:
    return "、".join(str(i.get("name") or i.get("code")) for i in items)


# --- reading -----------------------------------------------------------------------------------


def catalogue() -> list[lab.CatalogueItem]:
    """The county lab's tests, in the catalogue's order (what the form offers)."""
    return list(lab.catalogue().values())


def detail(engine: Engine, order_id: str) -> OrderDetail:
    """What the order's page shows; raises ``DomainError`` when it is not on file."""
    with read_session(engine) as session:
        order = _existing(session, order_id)
        events = _events(session, order_id)
        status = _state(order, events)
        reported = _report_event(order, events)
        session.expunge(order)
    report = None
    if reported is not None:
        names = {str(i.get("code")): str(i.get("name") or i.get("code")) for i in order.items}
        corrections = tuple(_correction(e.correction) for e in _current(order, events) if e.correction)
        report = Report(
            tuple(
                Result(
                    str(r.get("code") or ""),
                    str(r.get("name") or ""),
                    str(r.get("value") or ""),
                    str(r.get("unit") or ""),
                    str(r.get("reference_range") or ""),
                    str(r.get("flag") or lab.Flag.NORMAL),
                    r.get("method"),
                    r.get("corrected") is True,
                )
                for r in reported.results or []
            ),
            reported.reporter,
            reported.reviewer,
            reported.reported_at,
            reported.institution,
            reported.recognised,
            reported.critical,
            partial=reported.partial,
            pending=tuple(names.get(code, code) for code in reported.pending),
            corrections=corrections,
        )
    rejection = next(
        (e.reason for e in reversed(events) if e.attempt == order.attempt and e.to_status == lab.Status.REJECTED),
        None,
    )
    clinic_moves = lab.allowed_targets(status, lab.Actor.CLINIC)
    return OrderDetail(
        order,
        status,
        tuple(Answer(e.at, e.to_status, e.actor_name, e.reason, e.attempt, _what(e)) for e in events),
        report,
        rejection if status == lab.Status.REJECTED else None,
        can_collect=status == lab.Status.ORDERED,
        can_send=lab.Status.SENT in clinic_moves,
        can_cancel=lab.Status.CANCELLED in clinic_moves,
        can_recollect=status == lab.Status.REJECTED and lab.Status.COLLECTED in clinic_moves,
        needs_critical_ack=critical_pending(order, events),
    )


def page(engine: Engine, which: str = "all", *, limit: int = 50, offset: int = 0) -> tuple[list[OrderRow], dict]:
    """One page of the list under filter ``which`` (FILTERS), newest first, and the count of each
    filter. A clinic sends some orders a day: the states are derived in Python over them all."""
    if which not in FILTERS:
        raise ValueError(f"unknown filter {which!r}")
    with read_session(engine) as session:
        orders = list(
            session.execute(
                select(LabOrder).where(col(LabOrder.deleted) == False).order_by(col(LabOrder.ordered_at).desc())
            ).scalars()
        )
        events: dict[str, list[LabEvent]] = {}
        for event in session.execute(
            select(LabEvent).where(col(LabEvent.deleted) == False).order_by(col(LabEvent.arrival))
        ).scalars():
            events.setdefault(event.order_id, []).append(event)
        rows = []
        for o in orders:
            current = _current(o, events.get(o.id, []))
            lab_status = current[-1].to_status if current else None
            critical = critical_pending(o, current)
            rows.append(
                OrderRow(
                    o.id,
                    o.order_no,
                    o.patient_name,
                    _item_names(o.items),
                    o.priority,
                    shown_status(o.status, lab_status),
                    o.ordered_at,
                    critical,
                )
            )
    groups = {
        "all": rows,
        "waiting": [r for r in rows if r.status in _WAITING],
        "rejected": [r for r in rows if r.status == lab.Status.REJECTED],
        "critical": [r for r in rows if r.critical],
    }
    return groups[which][offset : offset + limit], {name: len(found) for name, found in groups.items()}


def for_resident(engine: Engine, resident_id: str) -> list[OrderRow]:
    rows, _counts = page(engine, "all", limit=10**6)
    with read_session(engine) as session:
        mine = set(session.execute(select(col(LabOrder.id)).where(col(LabOrder.resident_id) == resident_id)).scalars())
    return [r for r in rows if r.id in mine]


# --- writing -----------------------------------------------------------------------------------


def order(
    engine: Engine,
    *,
    resident_id: str,
    values: dict[str, Any],
    user_id: str | None,
    send: bool = False,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Write an order (``ordered``), or with ``send`` and the collection's fields in ``values``
    written collected and sent at once (the usual way: the specimen is taken while the patient is
    there). Returns (id, number). Raises ``LabRefused`` with every problem; nothing is written then.
    """
    allowed = set(FORM_FIELDS) | (set(COLLECTION_FIELDS) if send else set())
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not lab order form fields: {sorted(unknown)}")
    cleaned = _cleaned(values)
    problems = lab.sending_problems(cleaned) if send else lab.order_problems(cleaned)
    if problems:
        raise LabRefused(problems)
    now = now or utcnow()
    with unit_of_work(engine) as session:
        lab.transition(None, lab.Status.ORDERED, lab.Actor.CLINIC)
        status = lab.Status.ORDERED
        if send:
            lab.transition(lab.Status.ORDERED, lab.Status.COLLECTED, lab.Actor.CLINIC)
            lab.transition(lab.Status.COLLECTED, lab.Status.SENT, lab.Actor.CLINIC)
            status = lab.Status.SENT
        resident = get_resident(session, resident_id)
        clinic = current_clinic(session)
        record = LabOrder(
            clinic_id=clinic.id,
            order_no=_next_number(session, clinic.code, clinic_day(now)),
            status=status,
            resident_id=resident.id,
            patient_name=resident.name,
            patient_sex=resident.sex,
            patient_birth_date=resident.birth_date,
            patient_id_number=resident.id_number,
            ordered_at=now,
            ordering_doctor=_name(session, user_id),
            sent_at=now if send else None,
            **cleaned,
        )
        records.create(session, record, user_id)
        return record.id, record.order_no


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    known = lab.catalogue()
    items = cleaned.get("items")
    if isinstance(items, list):
        cleaned["items"] = [
            {
                "code": str(i.get("code")),
                "name": known[str(i.get("code"))].name if i.get("code") in known else i.get("name"),
            }
            for i in items
            if isinstance(i, dict)
        ]
    cleaned.setdefault("priority", lab.Priority.ROUTINE.value)
    cleaned["fasting"] = bool(cleaned.get("fasting", False))
    cleaned["clinical_diagnosis"] = (cleaned.get("clinical_diagnosis") or "").strip()
    for name in ("collected_by", "barcode"):
        if name in cleaned:
            cleaned[name] = (cleaned.get(name) or "").strip() or None
    return cleaned


def _next_number(session: Session, clinic_code: str, day) -> str:
    prefix = lab.make_order_number(clinic_code, day, 1)[:-4]
    taken = session.execute(select(col(LabOrder.order_no)).where(col(LabOrder.order_no).startswith(prefix))).scalars()
    return lab.order_number_after(clinic_code, day, taken)


def _collection(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "collected_at": values.get("collected_at"),
        "collected_by": (values.get("collected_by") or "").strip() or None,
        "barcode": (values.get("barcode") or "").strip() or None,
    }


def collect(engine: Engine, order_id: str, *, values: dict[str, Any], user_id: str | None) -> None:
    """采样: the specimen was taken (when, by whom, its barcode)."""
    with unit_of_work(engine) as session:
        record = _existing(session, order_id)
        lab.transition(_state(record, _events(session, order_id)), lab.Status.COLLECTED, lab.Actor.CLINIC)
        collection = _collection(values)
        problems = [p for p in lab.sending_problems({**_wire(record), **collection}) if p.field in COLLECTION_FIELDS]
        if problems:
            raise LabRefused(problems)
        records.update(session, record, {"status": lab.Status.COLLECTED, **collection}, user_id)


def send(engine: Engine, order_id: str, *, user_id: str | None, now: datetime | None = None) -> None:
    """送检: the specimen leaves for the lab; refused without its collection and barcode."""
    with unit_of_work(engine) as session:
        record = _existing(session, order_id)
        lab.transition(_state(record, _events(session, order_id)), lab.Status.SENT, lab.Actor.CLINIC)
        problems = lab.sending_problems(_wire(record))
        if problems:
            raise LabRefused(problems)
        records.update(session, record, {"status": lab.Status.SENT, "sent_at": now or utcnow()}, user_id)


def cancel(engine: Engine, order_id: str, *, user_id: str | None) -> None:
    """撤销, before the lab received the specimen; ``DomainError`` after."""
    with unit_of_work(engine) as session:
        record = _existing(session, order_id)
        lab.transition(_state(record, _events(session, order_id)), lab.Status.CANCELLED, lab.Actor.CLINIC)
        records.update(session, record, {"status": lab.Status.CANCELLED}, user_id)


def recollect(engine: Engine, order_id: str, *, values: dict[str, Any], user_id: str | None) -> None:
    """重新采样 after the lab rejected the specimen: a new specimen (the next ``attempt``), collected
    when and by whom, with its own barcode; it is sent again with ``send``."""
    with unit_of_work(engine) as session:
        record = _existing(session, order_id)
        lab.transition(_state(record, _events(session, order_id)), lab.Status.COLLECTED, lab.Actor.CLINIC)
        collection = _collection(values)
        problems = [p for p in lab.sending_problems({**_wire(record), **collection}) if p.field in COLLECTION_FIELDS]
        if problems:
            raise LabRefused(problems)
        changes = {"status": lab.Status.COLLECTED, "attempt": record.attempt + 1, "sent_at": None, **collection}
        records.update(session, record, changes, user_id)


def acknowledge_critical(engine: Engine, order_id: str, *, user_id: str | None, now: datetime | None = None) -> None:
    """The signed-in doctor acknowledges the results' critical value (who, when and which alert go
    to the hub); a correction that makes a value critical raises an alert to acknowledge again."""
    with unit_of_work(engine) as session:
        record = _existing(session, order_id)
        events = _events(session, order_id)
        reported = _report_event(record, events)
        if reported is None or not reported.critical:
            raise DomainError(Problem("lab.no_critical", N_("This order's results hold no critical value.")))
        if not critical_pending(record, events):
            template = N_("The critical value was already acknowledged by {name}.")
            raise DomainError(Problem("lab.critical_acknowledged", template, {"name": record.critical_ack_by}))
        acknowledged = {
            "critical_ack_at": now or utcnow(),
            "critical_ack_by": _name(session, user_id),
            "critical_ack_event": (_alert_event(record, events) or reported).id,
        }
        records.update(session, record, acknowledged, user_id)


def _wire(record: LabOrder) -> dict[str, Any]:
    return {name: getattr(record, name) for name in (*FORM_FIELDS, *COLLECTION_FIELDS)}


def _name(session: Session, user_id: str | None) -> str | None:
    staff = session.get(Staff, user_id) if user_id else None
    return staff.name if staff else None


def _existing(session: Session, order_id: str) -> LabOrder:
    record = session.get(LabOrder, order_id)
    if record is None or record.deleted:
        raise DomainError(Problem("lab.missing", N_("This lab order is no longer on file.")))
    return record
