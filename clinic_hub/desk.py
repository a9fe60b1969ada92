"""The referral desk: what the hospital does with referrals. Used by the desk API and the CLI.

Every move is checked by the referral state machine and becomes a hub-owned ``referral_event``
record addressed to the clinic (sync invariant 5 in docs/architecture-sync.md: the hospital
never edits the clinic's rows).
"""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import accounts, changes, desk_moves, directory
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_hub.models import Clinic, DownReferralCounter, Referral, ReferralMove, SyncRecord, table_of
from clinic_hub.referral_intake import record_move
from clinic_hub.referral_rules import DOWN, UP, URGENCIES, check_move
from clinic_hub.schemas.desk import (
    AcceptRequest,
    MoveResult,
    ReferralDetail,
    ReferralMoveOut,
    ReferralSummary,
    SendDownRequest,
)
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.referral import Status
from clinic_tui.sync.wire import REFERRAL, REFERRAL_EVENT

_referrals = table_of(Referral)
_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
_moves = table_of(ReferralMove)
_down_counter = table_of(DownReferralCounter)
# A referral's number is looked up as given; its state machine is referral_rules (``_check``).
REFERRALS = desk_moves.Desk(
    "referral",
    "referral",
    _referrals,
    REFERRAL_EVENT,
    moves=_moves,
    history=record_move,
    sign=desk_moves.staff_signer,
    read=str,
)
NOT_YET_SENT = (Status.DRAFT.value, Status.REVIEW.value)
PATIENT_FIELDS = (
    "resident_id",
    "patient_name",
    "patient_sex",
    "patient_birth_date",
    "patient_id_type",
    "patient_id_number",
    "patient_phone",
    "patient_address",
    "patient_insurance_type",
    "patient_insurance_no",
)


# The desk's order of referrals: green channel, urgent, normal, then the longest waiting; a tie by
# the number. One home for the API's list (list_referrals) and the web desk's queue pages
# (clinic_hub.web.queue_views, whose pages read by urgency from the index must give the same).
QUEUE_ORDER = (
    sa.case({u: i for i, u in enumerate(URGENCIES)}, value=_referrals.c.urgency, else_=len(URGENCIES)),
    sa.func.coalesce(_referrals.c.sent_at, _referrals.c.created_at),
    _referrals.c.referral_no,
)


def in_tab(query: sa.Select, status: str | None) -> sa.Select:
    """The referrals of one status, or (none given) every one sent to the hospital: drafts and slips
    under township review have not been sent yet."""
    if status:
        return query.where(_referrals.c.status == status)
    return query.where(_referrals.c.status.not_in(NOT_YET_SENT))


def _summary_query():
    return (
        sa.select(_referrals, _clinics.c.code.label("clinic_code"), _records.c.data)
        .join(_clinics, _clinics.c.id == _referrals.c.clinic_id)
        .join(_records, _records.c.id == _referrals.c.id)
        .order_by(*QUEUE_ORDER)
    )


def _summary(row) -> ReferralSummary:
    data = row.data or {}
    name, sex = data.get("patient_name"), data.get("patient_sex")
    return summary_of(row, name if isinstance(name, str) else None, sex if isinstance(sex, str) else None)


def summary_of(row, patient_name: str | None, patient_sex: str | None) -> ReferralSummary:
    """A referral's line in a list, from its hub row (with its clinic's code) and the patient as
    the slip names them; the desk's queue pages read the names apart (queue_views.queue_page)."""
    return ReferralSummary(
        id=row.id,
        referral_no=row.referral_no,
        direction=row.direction,
        clinic_code=row.clinic_code,
        status=row.status,
        urgency=row.urgency,
        purpose=row.purpose,
        to_department_code=row.to_department_code,
        referral_date=row.referral_date,
        sent_at=as_utc(row.sent_at),
        answered_at=as_utc(row.answered_at),
        appointment_department_code=row.appointment_department_code,
        appointment_at=as_utc(row.appointment_at),
        patient_name=patient_name,
        patient_sex=patient_sex,
    )


def list_referrals(
    conn: Connection,
    status: str | None = None,
    urgency: str | None = None,
    clinic_code: str | None = None,
    direction: str = UP,
    limit: int = 200,
    offset: int = 0,
) -> list[ReferralSummary]:
    query = in_tab(_summary_query().where(_referrals.c.direction == direction, _referrals.c.deleted.is_(False)), status)
    if urgency:
        query = query.where(_referrals.c.urgency == urgency)
    if clinic_code:
        query = query.where(_clinics.c.code == clinic_code)
    return [_summary(row) for row in conn.execute(query.limit(limit).offset(offset))]


def _find(conn: Connection, referral_no: str, lock: bool = False):
    """The referral; with ``lock`` (to move it) also refuse one its clinic has deleted."""
    return desk_moves.find(conn, REFERRALS, _summary_query(), referral_no, lock)


def get_referral(conn: Connection, referral_no: str) -> ReferralDetail:
    row = _find(conn, referral_no)
    history = desk_moves.history(conn, REFERRALS, row.id, ReferralMoveOut)
    return ReferralDetail(**_summary(row).model_dump(), data=row.data, history=history)


def _check(direction: str, current: str, target: str, reason: str | None = None, actor: str = "hospital") -> None:
    try:
        check_move(direction, current, target, actor, reason)
    except DomainError:
        raise ApiError(409, "illegal_transition", from_status=current, to_status=target) from None


def _move(
    conn: Connection,
    row,
    target: str,
    actor: Principal,
    reason: str | None = None,
    appointment: dict[str, Any] | None = None,
    referral_values: dict[str, Any] | None = None,
    role: str = "hospital",
) -> str:
    """The hospital's move (desk_moves.move); the first answer (accept, reject) is dated."""
    now = utcnow()
    values = dict(referral_values or {})
    if target in ("accepted", "rejected") and row.answered_at is None:
        values["answered_at"] = now
    return desk_moves.move(
        conn, REFERRALS, row, target, actor, reason, extra=appointment, values=values, role=role, now=now
    )


def _result(conn: Connection, referral_no: str, event_id: str, slot=None) -> MoveResult:
    return MoveResult(referral=_summary(_find(conn, referral_no)), event_id=event_id, slot=slot)


def booking_of(purpose: str | None, asked: str | None = None) -> str:
    """What accepting books: what the desk chose, else a bed when the clinic asked for admission
    (the slip's purpose, clinic_tui.domain.referral.PURPOSE_LABELS), else an outpatient slot."""
    if asked:
        return asked
    return "inpatient" if purpose == "inpatient" else "outpatient"


def accept(conn: Connection, actor: Principal, referral_no: str, request: AcceptRequest) -> MoveResult:
    """Accept and book: one reserved outpatient slot, or for an inpatient referral one reserved bed
    of the admission day. The web desk, the JSON API and the CLI all come here."""
    row = _find(conn, referral_no, lock=True)
    _check(row.direction, row.status, "accepted")  # before taking a slot
    dept = directory.department(conn, request.department_code)
    if dept is None:
        raise ApiError(422, "unknown_department", department=request.department_code)
    booking = booking_of(row.purpose, request.booking)
    if booking == "inpatient" and request.over_quota and not (request.note or "").strip():
        raise ApiError(422, "reason_required")  # seed 001: a bed over the quota only with a reason
    day = request.appointment_at.astimezone(directory.CHINA_TZ).date()
    at = request.appointment_at.astimezone(UTC)  # UTC like every stored time
    answer: dict[str, Any] = {
        "appointment_department_code": dept.code,
        "appointment_department_name": dept.name,
        "appointment_doctor": request.doctor,
    }
    if booking == "inpatient":
        slot = directory.take_bed(conn, dept.code, day, request.over_quota)
        answer.update(admission_at=at.isoformat(), **slot)
    else:
        slot = directory.take_slot(conn, dept.code, day, request.over_quota)
        answer.update(
            appointment_at=at.isoformat(),
            appointment_slot_id=f"{slot['slot_pool_id']}#{slot['slot_number']}",
            **slot,
        )
    # Field names as in the clinic's referral_event table (clinic_tui/data/models/referral.py). The
    # hub's referral row keeps the day the patient comes (appointment or admission) for the queue.
    event_id = _move(
        conn,
        row,
        "accepted",
        actor,
        request.note,
        appointment=answer,
        referral_values={"appointment_department_code": dept.code, "appointment_at": at},
    )
    return _result(conn, referral_no, event_id, {"booking": booking, **slot})


def reject(conn: Connection, actor: Principal, referral_no: str, reason: str) -> MoveResult:
    if not (reason or "").strip():
        raise ApiError(422, "reason_required")
    row = _find(conn, referral_no, lock=True)
    _check(row.direction, row.status, "rejected", reason)
    return _result(conn, referral_no, _move(conn, row, "rejected", actor, reason.strip()))


def simple_move(
    conn: Connection, actor: Principal, referral_no: str, target: str, note: str | None = None
) -> MoveResult:
    """arrived, no_show, completed."""
    row = _find(conn, referral_no, lock=True)
    _check(row.direction, row.status, target, note)
    return _result(conn, referral_no, _move(conn, row, target, actor, note))


def expire_unanswered(conn: Connection, actor: Principal, older_than: timedelta) -> list[str]:
    """Mark upward referrals still unanswered ``older_than`` after they were sent as expired (a
    "system" move, run from cron: `clinic-hub referrals expire`). Returns their numbers."""
    cutoff = utcnow() - older_than
    rows = conn.execute(
        _summary_query()
        .where(_referrals.c.direction == UP, _referrals.c.status == "sent", _referrals.c.sent_at < cutoff)
        .with_for_update(of=_referrals)
    ).all()
    reason = f"no answer within {older_than.days} days" if older_than.days else "no answer in time"
    for row in rows:
        _check(UP, row.status, "expired", reason, actor="system")
        _move(conn, row, "expired", actor, reason, role="system")
    return [row.referral_no for row in rows]


def down_number(hospital_code: str, day: str, sequence: int) -> str:
    """A downward referral number, e.g. ``HUB20261202D0007``. It has no "-": every number a clinic
    may push starts with "<its code>-" (referral_intake), so the two spaces cannot meet."""
    code = "".join(ch for ch in hospital_code.upper() if ch.isascii() and ch.isalnum()) or "HUB"
    return f"{code}{day.replace('-', '')}D{sequence:04d}"


def next_down_number(conn: Connection, hospital_code: str, day: str) -> str:
    """The next number of the hub's own per-day sequence (``down_referral_counter``). A number
    already taken (only possible for rows stored before clinic numbers were checked) is skipped."""
    changes.allocate(conn, 0)  # takes the counter's lock: numbering below cannot race another desk
    current = conn.execute(sa.select(_down_counter.c.value).where(_down_counter.c.day == day)).scalar()
    if current is None:
        current = 0
        conn.execute(sa.insert(_down_counter).values(day=day, value=0))
    while True:
        current += 1
        number = down_number(hospital_code, day, current)
        taken = conn.execute(sa.select(_referrals.c.id).where(_referrals.c.referral_no == number)).first()
        if taken is None:
            break
    conn.execute(sa.update(_down_counter).where(_down_counter.c.day == day).values(value=current))
    return number


def send_down(conn: Connection, actor: Principal, request: SendDownRequest) -> MoveResult:
    clinic = accounts.clinic_by_code(conn, request.clinic_code)
    if clinic is None:
        raise ApiError(422, "clinic_not_found", clinic=request.clinic_code)
    fields = request.model_dump(mode="json", exclude={"clinic_code", "up_referral_no", "reason", "department_code"})
    up_referral_id = None
    if request.up_referral_no:
        up = _find(conn, request.up_referral_no)
        up_referral_id = up.id
        for name in PATIENT_FIELDS:  # what the desk typed wins over the upward slip
            copied = up.data.get(name)
            if name == "resident_id" and up.clinic_id != clinic.id:
                copied = None  # a resident id means something only in the clinic that made it
            if fields.get(name) is None and isinstance(copied, str):
                fields[name] = copied
    if not fields.get("patient_name"):
        raise ApiError(422, "missing_field", field="patient_name")
    hospital_code, hospital_name = directory.hospital(conn)
    today = directory.today_in_china().isoformat()
    referral_no = next_down_number(conn, hospital_code, today)
    dept = directory.department(conn, request.department_code) if request.department_code else None
    now = utcnow()
    record_id = str(uuid.uuid4())
    changes.publish(
        conn,
        kind=REFERRAL,
        record_id=record_id,
        addressee_clinic_id=clinic.id,
        clinic_code=clinic.code,
        author_id=actor.id,
        now=now,
        fields={
            **fields,
            "origin": "hub",
            "referral_no": referral_no,
            "direction": DOWN,
            "status": "received",
            "urgency": "normal",
            "referral_date": today,
            "reason": request.reason,
            "from_org_code": hospital_code,
            "from_org_name": hospital_name,
            "from_department": dept.name if dept else request.department_code,
            "from_doctor_name": request.doctor,
            "to_org_code": clinic.code,
            "to_org_name": clinic.name,
            "up_referral_id": up_referral_id,
        },
    )
    conn.execute(
        sa.insert(_referrals).values(
            id=record_id,
            clinic_id=clinic.id,
            direction=DOWN,
            referral_no=referral_no,
            urgency="normal",
            status="received",
            clinic_status=None,
            referral_date=today,
            sent_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    record_move(conn, record_id, None, "received", "hospital", actor.id, request.reason, now, event_id=record_id)
    return _result(conn, referral_no, record_id)
