"""The hospital's move on a request a clinic sent it (a lab order, a remote request, an examination
booking, a referral): written once for every desk (``lab_desk``, ``remote_desk``, ``exam_desk``,
``desk``).

A move finds its request with the row locked (``find``), is checked by the kind's state machine
(``check``: the ``Workflow`` of clinic_tui/domain/, the checker the clinic uses too), and becomes a
hub-owned event addressed to the request's clinic, applied to the hub's row and written to the
request's history (``move``), all in the caller's transaction: the hospital never edits the
clinic's own record (sync invariant 5 in docs/architecture-sync.md). What differs between the
desks is their ``Desk``: the table, the event's kind and names, the refusals' codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from clinic_hub import accounts, changes
from clinic_hub.accounts import Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.errors import ApiError
from clinic_tui.domain.problems import DomainError
from clinic_tui.domain.workflow import Workflow

Out = TypeVar("Out", bound=BaseModel)


def typed(number: str) -> str:
    """A request's number as the desk reads what was typed or sent: trimmed, in capitals, bounded."""
    return number.strip().upper()[:64]


def signer(conn: Connection, actor: Principal) -> str | None:
    """Who signs: a staff member's name, else the caller's id (the command line's user)."""
    return accounts.staff_name(conn, actor.id) if actor.kind == "staff" else actor.id


def staff_signer(conn: Connection, actor: Principal) -> str | None:
    """A staff member's name; nobody's for the command line or the system."""
    return accounts.staff_name(conn, actor.id) if actor.kind == "staff" else None


@dataclass(frozen=True)
class Desk:
    """What one desk's moves differ in."""

    code: str  # its refusals: lab -> 404 lab_not_found, 409 lab_deleted, 409 lab_taken
    noun: str  # the request in the event's fields: order -> order_id, order_no (also the row's column)
    table: sa.Table  # the hub's rows of the requests
    event: str  # the kind of the events published (clinic_tui.sync.wire)
    workflow: Workflow | None = None  # the domain's state machine (a referral has its own checker)
    carried: tuple[str, ...] = ()  # columns of the row the event and the history carry too (attempt)
    moves: sa.Table | None = None  # the requests' history, when the desk keeps one...
    history: Callable[..., None] | None = None  # ...and its intake's record_move, which writes it
    sign: Callable[[Connection, Principal], str | None] = signer  # the event's actor_name
    state: Callable[[str], str] = str  # the state as a refusal names it
    read: Callable[[str], str] = typed  # how a number asked for is looked up

    @property
    def number(self) -> str:
        return f"{self.noun}_no"


def find(conn: Connection, desk: Desk, query: sa.Select, number: str, lock: bool = False, deleted: bool = True):
    """The request numbered ``number`` (read by ``desk.read``) from ``query``, the desk's select of
    its rows; with ``lock`` (to move it) its row locked and, unless ``deleted`` is False, one its
    clinic has deleted refused."""
    query = query.where(desk.table.c[desk.number] == desk.read(number))
    if lock:
        query = query.with_for_update(of=desk.table)
    row = conn.execute(query).first()
    asked: dict[str, Any] = {desk.number: number}
    if row is None:
        raise ApiError(404, f"{desk.code}_not_found", **asked)
    if lock and deleted and row.deleted:
        raise ApiError(409, f"{desk.code}_deleted", **asked)
    return row


def taken(desk: Desk, row) -> ApiError:
    """The request is no longer as the caller saw it (moved by someone else, cancelled)."""
    named: dict[str, Any] = {desk.number: getattr(row, desk.number), "state": desk.state(row.status)}
    return ApiError(409, f"{desk.code}_taken", **named)


def check(desk: Desk, row, target: str, reason: str | None = None, expected: str | None = None) -> None:
    """The hospital's move checked by the desk's state machine. ``expected`` is the state the caller
    saw (the web page): a request moved by someone else since is refused as taken (409), not as an
    illegal move (409 ``illegal_transition``); a move without its reason is 422 ``reason_required``."""
    assert desk.workflow is not None
    if expected is not None and expected != row.status:
        raise taken(desk, row)
    try:
        desk.workflow.transition(row.status, target, "hospital", reason)
    except DomainError as refused:
        if refused.problem.code == f"{desk.workflow.code}.reason_required":
            raise ApiError(422, "reason_required") from None
        raise ApiError(409, "illegal_transition", from_status=row.status, to_status=target) from None


def move(
    conn: Connection,
    desk: Desk,
    row,
    target: str,
    actor: Principal,
    reason: str | None = None,
    *,
    extra: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    role: str = "hospital",
    now: datetime | None = None,
    event_id: str | None = None,
) -> str:
    """Publish the move as the desk's event for the request's clinic (``extra``: its own fields),
    apply it to the hub's row (``values`` beside the new state) and write it to the request's
    history. Returns the event's id."""
    now = now or utcnow()
    event_id = event_id or str(uuid.uuid4())
    carried = {name: getattr(row, name) for name in desk.carried}
    changes.publish(
        conn,
        kind=desk.event,
        record_id=event_id,
        addressee_clinic_id=row.clinic_id,
        clinic_code=row.clinic_code,
        author_id=actor.id,
        now=now,
        fields={
            "origin": "hub",
            f"{desk.noun}_id": row.id,
            desk.number: getattr(row, desk.number),
            **carried,
            "from_status": row.status,
            "to_status": target,
            "actor": role,
            "actor_name": desk.sign(conn, actor),
            "at": now.isoformat(),
            "reason": reason,
            **(extra or {}),
        },
    )
    changed = {**(values or {}), "status": target, "updated_at": now}
    conn.execute(sa.update(desk.table).where(desk.table.c.id == row.id).values(**changed))
    if desk.history is not None:
        desk.history(
            conn, row.id, *carried.values(), row.status, target, role, actor.id, reason, now, event_id=event_id
        )
    return event_id


def history(conn: Connection, desk: Desk, request_id: str, out: type[Out]) -> list[Out]:
    """The request's moves, oldest first, as ``out`` (the desk API's shape; times in UTC)."""
    assert desk.moves is not None
    moves = desk.moves
    query = sa.select(moves).where(moves.c[f"{desk.noun}_id"] == request_id).order_by(moves.c.id)
    return [out.model_validate({**m._mapping, "at": as_utc(m.at)}) for m in conn.execute(query)]
