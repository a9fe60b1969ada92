"""Clinics, hospital staff and their tokens. A token is shown once; the hub keeps its sha256."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub.db import utcnow
from clinic_hub.models import ApiToken, Clinic, Staff, table_of

_tokens = table_of(ApiToken)
_clinics = table_of(Clinic)
_staff = table_of(Staff)

STAFF_ROLES = ("desk", "doctor", "viewer", "admin")  # doctor: the web desk (clinic_hub/web)
TOKEN_PREFIX = "chub_"
# A clinic's code starts each of its referral numbers (``<code>-YYYYMMDD-NNNN``,
# clinic_tui.domain.referral): letters and digits only, compared without regard to case.
CLINIC_CODE = re.compile(r"[A-Za-z0-9]{1,30}")
MAX_NAME_LENGTH = 200


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes


def hash_token(token: str) -> str:
    # Tokens are long random strings, not passwords: a plain sha256 cannot be brute-forced.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    kind: str  # "clinic" | "staff" | "cli"
    id: str
    clinic_code: str | None = None
    role: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.clinic_code or self.id}"


class AccountError(ValueError):
    """A refused account change. ``code`` and ``params`` let the web desk say it in the reader's
    language; the text is the command line's."""

    def __init__(self, text: str, code: str | None = None, **params: Any):
        super().__init__(text)
        self.code = code
        self.params = params


def _issue(conn: Connection, principal_type: str, principal_id: str) -> str:
    """Revoke the principal's live tokens and issue a new one (rotation = issue again)."""
    now = utcnow()
    conn.execute(
        sa.update(_tokens)
        .where(_tokens.c.principal_id == principal_id, _tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = new_token()
    conn.execute(
        sa.insert(_tokens).values(
            token_hash=hash_token(token), principal_type=principal_type, principal_id=principal_id, created_at=now
        )
    )
    return token


def add_clinic(conn: Connection, code: str, name: str) -> tuple[str, str]:
    """Register a clinic; returns (clinic id, token). The command line and the web desk both come
    here, so both refuse the same codes and names."""
    code = code.strip()
    if not code:
        raise AccountError("the clinic code is required", "clinic_code_required")
    if not CLINIC_CODE.fullmatch(code):
        raise AccountError(f"the clinic code is 1 to 30 letters or digits, got {code!r}", "clinic_code_format")
    if not name.strip():
        raise AccountError("the clinic name is required", "clinic_name_required")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise AccountError(f"the clinic name has at most {MAX_NAME_LENGTH} characters", "name_too_long")
    # C01 and c01 would own the same referral numbers: one of them only.
    taken = conn.execute(sa.select(_clinics.c.code).where(sa.func.upper(_clinics.c.code) == code.upper())).first()
    if taken:
        raise AccountError(f"clinic {taken.code} already exists", "clinic_exists", clinic=taken.code)
    clinic_id = str(uuid.uuid4())
    conn.execute(sa.insert(_clinics).values(id=clinic_id, code=code, name=name.strip(), created_at=utcnow()))
    return clinic_id, _issue(conn, "clinic", clinic_id)


def clinic_by_code(conn: Connection, code: str):
    return conn.execute(sa.select(_clinics).where(_clinics.c.code == code)).first()


def clinic_codes(conn: Connection) -> dict[str, str]:
    """clinic id -> code."""
    return {row.id: row.code for row in conn.execute(sa.select(_clinics.c.id, _clinics.c.code))}


def check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise AccountError(f"role must be one of {', '.join(STAFF_ROLES)}", "unknown_role")


def add_staff(conn: Connection, name: str, role: str, token: bool = True) -> tuple[str, str | None]:
    """Add a staff member; returns (staff id, API token or None). The web desk adds staff without a
    token (they sign in with a password); the command line's ``add-staff`` prints one."""
    check_role(role)
    name = name.strip()
    if not name:
        raise AccountError("the staff member's name is required", "staff_name_required")
    if len(name) > MAX_NAME_LENGTH:
        raise AccountError(f"the name has at most {MAX_NAME_LENGTH} characters", "name_too_long")
    staff_id = str(uuid.uuid4())
    conn.execute(sa.insert(_staff).values(id=staff_id, name=name, role=role, created_at=utcnow()))
    return staff_id, (_issue(conn, "staff", staff_id) if token else None)


def staff_name(conn: Connection, staff_id: str) -> str | None:
    return conn.execute(sa.select(_staff.c.name).where(_staff.c.id == staff_id)).scalar_one_or_none()


def _principal_id(conn: Connection, clinic_code: str | None, staff_id: str | None) -> tuple[str, str]:
    if clinic_code:
        row = clinic_by_code(conn, clinic_code)
        if row is None:
            raise AccountError(f"no clinic {clinic_code}")
        return "clinic", row.id
    if staff_id:
        if conn.execute(sa.select(_staff.c.id).where(_staff.c.id == staff_id)).first() is None:
            raise AccountError(f"no staff member {staff_id}")
        return "staff", staff_id
    raise AccountError("name a clinic (--clinic) or a staff member (--staff)")


def rotate_token(conn: Connection, clinic_code: str | None = None, staff_id: str | None = None) -> str:
    """A new token; the old one stops working in the same transaction."""
    principal_type, principal_id = _principal_id(conn, clinic_code, staff_id)
    if principal_type == "staff" and staff_disabled(conn, principal_id):
        raise AccountError(f"staff member {staff_id} is disabled: enable the account first", "staff_disabled")
    return _issue(conn, principal_type, principal_id)


def staff_disabled(conn: Connection, staff_id: str) -> bool:
    disabled = conn.execute(sa.select(_staff.c.disabled_at).where(_staff.c.id == staff_id)).first()
    return disabled is not None and disabled.disabled_at is not None


def revoke_tokens(conn: Connection, clinic_code: str | None = None, staff_id: str | None = None) -> int:
    _, principal_id = _principal_id(conn, clinic_code, staff_id)
    return conn.execute(
        sa.update(_tokens)
        .where(_tokens.c.principal_id == principal_id, _tokens.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount


# The token and whom it belongs to in one statement: every request checks a token, and on
# PostgreSQL each statement is a round trip (three per clinic sync saved).
_AUTHENTICATE = (
    sa.select(
        _tokens.c.principal_type,
        _tokens.c.revoked_at,
        _clinics.c.id.label("clinic_id"),
        _clinics.c.code.label("clinic_code"),
        _staff.c.id.label("staff_id"),
        _staff.c.role,
        _staff.c.disabled_at,
    )
    .select_from(
        _tokens.outerjoin(
            _clinics, sa.and_(_tokens.c.principal_type == "clinic", _clinics.c.id == _tokens.c.principal_id)
        ).outerjoin(_staff, sa.and_(_tokens.c.principal_type == "staff", _staff.c.id == _tokens.c.principal_id))
    )
    .where(_tokens.c.token_hash == sa.bindparam("token_hash"))
)


def authenticate(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(_AUTHENTICATE, {"token_hash": hash_token(token)}).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.principal_type == "clinic":
        return Principal("clinic", row.clinic_id, clinic_code=row.clinic_code) if row.clinic_id else None
    if row.principal_type != "staff" or row.staff_id is None or row.disabled_at is not None:
        return None  # a disabled account's token never works
    return Principal("staff", row.staff_id, role=row.role)
