"""What the administrator's pages show, read from the hub's tables: the clinics (token, last push
and last contact, records held, refused records), the staff accounts, the departments, the audit
log. Reads only: every change goes through accounts, web.auth and directory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import as_utc, utcnow
from clinic_hub.directory import reserved_for
from clinic_hub.models import (
    ApiToken,
    AuditLog,
    Clinic,
    Department,
    PushBatch,
    Staff,
    StaffLogin,
    SyncConflict,
    SyncRecord,
    table_of,
)

_clinics = table_of(Clinic)
_records = table_of(SyncRecord)
_tokens = table_of(ApiToken)
_batches = table_of(PushBatch)
_conflicts = table_of(SyncConflict)
_log = table_of(AuditLog)
_staff = table_of(Staff)
_logins = table_of(StaffLogin)
_departments = table_of(Department)

RECENT_BATCHES = 10  # a clinic's page: its last pushes
REFUSED_BATCHES = 20  # ... and the records refused in its last pushes
RECENT_CONFLICTS = 20


def _days(now: datetime, then: datetime | None) -> int | None:
    return (now - then).days if then else None


def _last_contact():
    """A clinic's last request the hub answered (push, pull, reconcile...): the newest of its audit
    rows, read from ix_audit_log_actor (one index probe a clinic)."""
    return (
        sa.select(sa.func.max(_log.c.at))
        .where(_log.c.actor_id == _clinics.c.code, _log.c.actor_type == "clinic")
        .scalar_subquery()
    )


# --- clinics ----------------------------------------------------------------------------------------


@dataclass
class ClinicRow:
    code: str
    name: str
    token_live: bool
    last_push: datetime | None
    last_contact: datetime | None
    records: int
    quiet_days: int | None  # days since the clinic was last heard from (None: never)


def clinics_overview(conn: Connection, now: datetime | None = None) -> list[ClinicRow]:
    """Every clinic: a live token or not, its last push and last contact, how many records the hub
    holds from it."""
    now = now or utcnow()
    live = set(
        conn.execute(
            sa.select(_tokens.c.principal_id).where(
                _tokens.c.principal_type == "clinic", _tokens.c.revoked_at.is_(None)
            )
        ).scalars()
    )
    pushes = dict(
        conn.execute(
            sa.select(_batches.c.clinic_id, sa.func.max(_batches.c.created_at)).group_by(_batches.c.clinic_id)
        ).all()
    )
    held: dict[str, int] = dict(
        conn.execute(
            sa.select(_records.c.clinic_id, sa.func.count())
            .where(_records.c.origin == "clinic")
            .group_by(_records.c.clinic_id)
        ).all()
    )
    rows = []
    for clinic in conn.execute(sa.select(_clinics, _last_contact().label("contact")).order_by(_clinics.c.code)):
        last_push = as_utc(pushes.get(clinic.id))
        contact = max((t for t in (last_push, as_utc(clinic.contact)) if t), default=None)
        rows.append(
            ClinicRow(
                clinic.code,
                clinic.name,
                clinic.id in live,
                last_push,
                contact,
                held.get(clinic.id, 0),
                _days(now, contact),
            )
        )
    return rows


@dataclass
class Batch:
    batch_id: str
    at: datetime
    answers: dict[str, int]  # accepted / duplicate / rejected / conflict -> how many

    @property
    def total(self) -> int:
        return sum(self.answers.values())


@dataclass
class Refused:
    at: datetime
    record_id: str
    kind: str
    revision: int | None
    status: str  # rejected | conflict
    code: str
    params: dict[str, Any]
    held_revision: int | None  # the revision the hub holds now (None: not held)

    @property
    def resolved(self) -> bool:
        """Sent again and stored since (a conflict's record is stored as it came)."""
        if self.status == "conflict":
            return True
        return self.held_revision is not None and (self.revision is None or self.held_revision >= self.revision)


@dataclass
class ClinicDetail:
    id: str
    code: str
    name: str
    created_at: datetime
    token_live: bool
    token_issued_at: datetime | None
    last_contact: datetime | None
    quiet_days: int | None
    batches: list[Batch]
    held: list[tuple[str, int, int]]  # kind, live records, tombstones
    refused: list[Refused]
    conflicts: list[Any]
    conflict_total: int
    pushes_read: int = field(default=REFUSED_BATCHES)

    @property
    def last_push(self) -> Batch | None:
        return self.batches[0] if self.batches else None


def _params(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def clinic_detail(conn: Connection, code: str, now: datetime | None = None) -> ClinicDetail | None:
    """One clinic as its page shows it: token, last contact, its last pushes and what they were
    answered, the records the hub holds by kind (what a sync's receipt compares), the records
    refused in its last pushes and the conflicts recorded."""
    now = now or utcnow()
    clinic = conn.execute(sa.select(_clinics, _last_contact().label("contact")).where(_clinics.c.code == code)).first()
    if clinic is None:
        return None
    token = conn.execute(
        sa.select(_tokens.c.created_at)
        .where(_tokens.c.principal_id == clinic.id, _tokens.c.revoked_at.is_(None))
        .order_by(_tokens.c.created_at.desc())
        .limit(1)
    ).first()
    batch_rows = conn.execute(
        sa.select(_batches.c.batch_id, _batches.c.created_at, _batches.c.results)
        .where(_batches.c.clinic_id == clinic.id)
        .order_by(_batches.c.created_at.desc())
        .limit(max(RECENT_BATCHES, REFUSED_BATCHES))
    ).all()
    batches, refused = [], []
    for index, (batch_id, at, results) in enumerate(batch_rows):
        answers = [a for a in results or [] if isinstance(a, dict)]
        if index < RECENT_BATCHES:
            batches.append(Batch(batch_id, as_utc(at), dict(Counter(str(a.get("status")) for a in answers))))
        refused += [
            Refused(
                as_utc(at),
                str(a.get("id") or ""),
                str(a.get("kind") or ""),
                a.get("revision") if isinstance(a.get("revision"), int) else None,
                str(a["status"]),
                str(a.get("code") or ""),
                _params(a.get("params")),
                None,
            )
            for a in answers
            if a.get("status") in ("rejected", "conflict")
        ]
    if refused:
        held_now = dict(
            conn.execute(
                sa.select(_records.c.id, _records.c.revision).where(
                    _records.c.id.in_(sorted({r.record_id for r in refused})),
                    _records.c.origin == "clinic",
                    _records.c.clinic_id == clinic.id,
                )
            ).all()
        )
        for r in refused:
            r.held_revision = held_now.get(r.record_id)
    held = [
        (kind, total - tombstones, tombstones)
        for kind, total, tombstones in conn.execute(
            sa.select(
                _records.c.kind,
                sa.func.count(),
                sa.func.count().filter(_records.c.deleted.is_(True)),
            )
            .where(_records.c.origin == "clinic", _records.c.clinic_id == clinic.id)
            .group_by(_records.c.kind)
            .order_by(_records.c.kind)
        )
    ]
    conflicts = conn.execute(
        sa.select(_conflicts)
        .where(_conflicts.c.clinic_id == clinic.id)
        .order_by(_conflicts.c.id.desc())
        .limit(RECENT_CONFLICTS)
    ).all()
    conflict_total = conn.execute(
        sa.select(sa.func.count()).select_from(_conflicts).where(_conflicts.c.clinic_id == clinic.id)
    ).scalar_one()
    last_push = batches[0].at if batches else None
    contact = max((t for t in (last_push, as_utc(clinic.contact)) if t), default=None)
    return ClinicDetail(
        id=clinic.id,
        code=clinic.code,
        name=clinic.name,
        created_at=as_utc(clinic.created_at),
        token_live=token is not None,
        token_issued_at=as_utc(token.created_at) if token else None,
        last_contact=contact,
        quiet_days=_days(now, contact),
        batches=batches,
        held=held,
        refused=refused,
        conflicts=list(conflicts),
        conflict_total=conflict_total,
    )


# --- staff ------------------------------------------------------------------------------------------


@dataclass
class StaffRow:
    id: str
    name: str
    role: str
    login: str | None
    department_code: str | None
    locked_until: datetime | None  # set while locked
    disabled_at: datetime | None
    last_sign_in_at: datetime | None
    password_set_at: datetime | None
    token_live: bool


def staff_accounts(conn: Connection, staff_id: str | None = None, now: datetime | None = None) -> list[StaffRow]:
    """Every staff member (or one), by name: login, role, department, locked, disabled, last sign-in."""
    now = now or utcnow()
    live = set(
        conn.execute(
            sa.select(_tokens.c.principal_id).where(_tokens.c.principal_type == "staff", _tokens.c.revoked_at.is_(None))
        ).scalars()
    )
    query = (
        sa.select(
            _staff,
            _logins.c.login,
            _logins.c.department_code,
            _logins.c.locked_until,
            _logins.c.last_sign_in_at,
            _logins.c.password_set_at,
        )
        .outerjoin(_logins, _logins.c.staff_id == _staff.c.id)
        .order_by(_staff.c.disabled_at.is_not(None), _staff.c.name, _staff.c.id)
    )
    if staff_id is not None:
        query = query.where(_staff.c.id == staff_id)
    rows = []
    for row in conn.execute(query):
        locked = as_utc(row.locked_until)
        rows.append(
            StaffRow(
                row.id,
                row.name,
                row.role,
                row.login,
                row.department_code,
                locked if locked and locked > now else None,
                as_utc(row.disabled_at),
                as_utc(row.last_sign_in_at),
                as_utc(row.password_set_at),
                row.id in live,
            )
        )
    return rows


def staff_member(conn: Connection, staff_id: str) -> StaffRow | None:
    found = staff_accounts(conn, staff_id)
    return found[0] if found else None


def staff_names(conn: Connection, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(conn.execute(sa.select(_staff.c.id, _staff.c.name).where(_staff.c.id.in_(sorted(ids)))).all())


def admin_count(conn: Connection) -> int:
    """Administrators who can still sign in."""
    return conn.execute(
        sa.select(sa.func.count()).where(_staff.c.role == "admin", _staff.c.disabled_at.is_(None))
    ).scalar_one()


# --- departments ------------------------------------------------------------------------------------


@dataclass
class DepartmentRow:
    code: str
    name: str
    daily_outpatient_slots: int
    active: bool

    @property
    def reserved_daily(self) -> int:
        return reserved_for(self.daily_outpatient_slots)


def departments(conn: Connection) -> list[DepartmentRow]:
    """Every department, the inactive ones too (the clinics keep them, marked inactive)."""
    return [
        DepartmentRow(row.code, row.name, row.daily_outpatient_slots, row.active)
        for row in conn.execute(sa.select(_departments).order_by(_departments.c.code))
    ]


# --- the audit log ----------------------------------------------------------------------------------


def audit_page(conn: Connection, actor: str | None, action: str | None, limit: int, offset: int) -> Sequence[Any]:
    """The audit log, newest first; ``actor`` is a staff id or clinic code, ``action`` a prefix."""
    query = sa.select(_log).order_by(_log.c.id.desc()).limit(limit).offset(offset)
    if actor:
        query = query.where(_log.c.actor_id == actor)
    if action:
        query = query.where(_log.c.action.startswith(action, autoescape=True))
    return conn.execute(query).all()
