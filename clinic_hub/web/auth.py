"""Staff sign-in for the web desk: argon2 passwords, lockout, server-side sessions, CSRF tokens.

- A password is stored only as its argon2id hash (argon2-cffi's defaults: memory-hard, salted).
- Five wrong passwords in a row lock the login for 15 minutes (the right password included), and
  an unknown login costs the same hashing time as a known one.
- A session is a random id in the cookie; the database keeps only its sha256, the staff member,
  a per-session CSRF token and when it was last used. Signing in always makes a new id (and drops
  the one the browser came with: no fixation); 30 idle minutes or 12 hours end it.
- An administrator may disable an account (``disable``): it cannot sign in, its sessions end and
  its API token is revoked; a new password, an unlock, a role change are made here too, so the
  desk's pages and the command line do the same thing.

Bearer tokens (``clinic_hub.accounts``) are untouched: they keep working for the JSON API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from clinic_hub import accounts
from clinic_hub.accounts import AccountError, Principal
from clinic_hub.db import as_utc, utcnow
from clinic_hub.models import Staff, StaffLogin, WebSession, table_of

_logins = table_of(StaffLogin)
_sessions = table_of(WebSession)
_staff = table_of(Staff)

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=30)
MAX_SESSION_AGE = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_LOGIN_LENGTH = 100


# At most this many argon2 hashes at once (64 MiB each): a burst of sign-ins queues, it does not
# exhaust the server's memory.
_HASHING = threading.BoundedSemaphore(4)


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 "low memory" profile: 64 MiB, 3 passes


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
            "password_too_short",
            length=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"the password may have at most {MAX_PASSWORD_LENGTH} characters",
            "password_too_long",
            length=MAX_PASSWORD_LENGTH,
        )
    if "\x00" in password:
        raise AccountError("the password must not contain the NUL character", "password_nul")


def hash_password(password: str) -> str:
    """The argon2id hash of a password that passes the rules. About a second of CPU: call it before
    the transaction that stores it (a SQLite write lock held that long stalls every clinic's push)."""
    check_password_rules(password)
    with _HASHING:
        return hasher().hash(password)


def check_login(conn: Connection, login: str, staff_id: str | None = None) -> str:
    """``login`` stripped, if it is free (or already ``staff_id``'s)."""
    login = login.strip()
    if not login or len(login) > MAX_LOGIN_LENGTH:
        raise AccountError(f"the login name needs 1 to {MAX_LOGIN_LENGTH} characters", "login_length")
    taken = conn.execute(sa.select(_logins.c.staff_id).where(_logins.c.login == login)).scalar_one_or_none()
    if taken is not None and taken != staff_id:
        raise AccountError(f"the login name {login!r} is already used by another staff member", "login_taken")
    return login


def set_password(
    conn: Connection,
    staff_id: str,
    password: str | None,
    login: str | None = None,
    department_code: str | None = None,
    password_hash: str | None = None,
) -> str:
    """Set (or replace) a staff member's web desk password; returns the login name. The login
    defaults to the staff member's name and must be unique. ``department_code`` ties a doctor to
    a department (kept when not given). Clears any lockout and ends the staff member's open
    sessions. ``password_hash`` (from ``hash_password``) instead of ``password``: hashed before."""
    staff = conn.execute(sa.select(_staff).where(_staff.c.id == staff_id)).first()
    if staff is None:
        raise AccountError(f"no staff member {staff_id}", "staff_not_found")
    if login is None:
        current = conn.execute(sa.select(_logins.c.login).where(_logins.c.staff_id == staff_id)).scalar()
        login = current if current is not None else staff.name
    login = check_login(conn, login, staff_id)
    now = utcnow()
    if password_hash is None:
        password_hash = hash_password(password or "")
    values = dict(login=login, password_hash=password_hash, failed_count=0, locked_until=None, password_set_at=now)
    if department_code is not None:
        values["department_code"] = department_code.strip() or None
    if conn.execute(sa.update(_logins).where(_logins.c.staff_id == staff_id).values(**values)).rowcount == 0:
        conn.execute(sa.insert(_logins).values(staff_id=staff_id, **values))
    end_sessions(conn, staff_id)
    return login


@dataclass(frozen=True)
class SignIn:
    outcome: str  # "ok" | "wrong" | "locked" | "disabled"
    staff_id: str | None = None
    locked_until: datetime | None = None


def _verify(password_hash: str, password: str) -> bool:
    with _HASHING:
        try:
            return hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def sign_in(engine: Engine, login: str, password: str, now: datetime | None = None) -> SignIn:
    """Check a login and password, counting failures and locking the login after MAX_FAILURES in
    a row. The slow hash runs outside any transaction (a SQLite write lock held for a second would
    stall every clinic's push); the counters are then changed atomically. Call it from a worker
    thread, never on the event loop."""
    now = now or utcnow()
    login = login.strip()[:MAX_LOGIN_LENGTH]
    password = password[:MAX_PASSWORD_LENGTH]
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(_logins, _staff.c.disabled_at)
                .join(_staff, _staff.c.id == _logins.c.staff_id)
                .where(_logins.c.login == login)
            ).first()
            if login
            else None
        )
    if row is None:
        _verify(_dummy_hash(), password or "-")  # the same work, so timing does not tell which logins exist
        return SignIn("wrong")
    locked_until = as_utc(row.locked_until)
    if locked_until is not None and locked_until > now:
        return SignIn("locked", row.staff_id, locked_until)
    if _verify(row.password_hash, password):
        if row.disabled_at is not None:  # told only to whoever knows the password
            return SignIn("disabled", row.staff_id)
        values: dict = {"failed_count": 0, "locked_until": None, "last_sign_in_at": now}
        if hasher().check_needs_rehash(row.password_hash):
            with _HASHING:
                values["password_hash"] = hasher().hash(password)
        with engine.begin() as conn:
            conn.execute(sa.update(_logins).where(_logins.c.staff_id == row.staff_id).values(**values))
        return SignIn("ok", row.staff_id)
    with engine.begin() as conn:
        failures = conn.execute(
            sa.update(_logins)
            .where(_logins.c.staff_id == row.staff_id)
            .values(failed_count=_logins.c.failed_count + 1)
            .returning(_logins.c.failed_count)
        ).scalar_one()
        if failures < MAX_FAILURES:
            return SignIn("wrong", row.staff_id)
        until = now + LOCKOUT
        conn.execute(
            sa.update(_logins).where(_logins.c.staff_id == row.staff_id).values(failed_count=0, locked_until=until)
        )
    return SignIn("locked", row.staff_id, until)


# --- sessions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebUser:
    """The signed-in staff member behind a request."""

    staff_id: str
    name: str
    role: str
    csrf_token: str
    session_hash: str
    department_code: str | None = None  # a doctor's department: the desk shows them its referrals

    @property
    def principal(self) -> Principal:
        return Principal("staff", self.staff_id, role=self.role)


def start_session(conn: Connection, staff_id: str, old_session_id: str | None = None) -> str:
    """A new session for ``staff_id``; the session the browser came with (if any) ends. Returns
    the new random id for the cookie."""
    if old_session_id:
        end_session(conn, old_session_id)
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        sa.insert(_sessions).values(
            id_hash=_sha256(session_id),
            staff_id=staff_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    return session_id


def load_session(conn: Connection, session_id: str | None, now: datetime | None = None) -> WebUser | None:
    """The staff member of a live session, or None (unknown, idle too long, too old, staff gone)."""
    if not session_id or len(session_id) > 100:
        return None
    now = now or utcnow()
    id_hash = _sha256(session_id)
    row = conn.execute(
        sa.select(_sessions, _staff.c.name, _staff.c.role, _staff.c.disabled_at, _logins.c.department_code)
        .join(_staff, _staff.c.id == _sessions.c.staff_id)
        .outerjoin(_logins, _logins.c.staff_id == _sessions.c.staff_id)
        .where(_sessions.c.id_hash == id_hash)
    ).first()
    if row is None:
        return None
    if row.disabled_at is not None:  # disabled while signed in (``disable`` ends them too)
        conn.execute(sa.delete(_sessions).where(_sessions.c.id_hash == id_hash))
        return None
    last_seen = as_utc(row.last_seen_at)
    if now - last_seen > IDLE_TIMEOUT or now - as_utc(row.created_at) > MAX_SESSION_AGE:
        conn.execute(sa.delete(_sessions).where(_sessions.c.id_hash == id_hash))
        return None
    if now - last_seen > TOUCH_EVERY:
        conn.execute(sa.update(_sessions).where(_sessions.c.id_hash == id_hash).values(last_seen_at=now))
    return WebUser(row.staff_id, row.name, row.role, row.csrf_token, id_hash, row.department_code)


def end_session(conn: Connection, session_id: str) -> None:
    conn.execute(sa.delete(_sessions).where(_sessions.c.id_hash == _sha256(session_id)))


def end_sessions(conn: Connection, staff_id: str) -> int:
    return conn.execute(sa.delete(_sessions).where(_sessions.c.staff_id == staff_id)).rowcount


def purge_expired(conn: Connection, now: datetime | None = None) -> int:
    """Drop sessions idle past the timeout (called at sign-in, so the table stays small)."""
    now = now or utcnow()
    return conn.execute(sa.delete(_sessions).where(_sessions.c.last_seen_at < now - IDLE_TIMEOUT)).rowcount


def csrf_ok(user: WebUser, submitted: str | None) -> bool:
    if not submitted:
        return False
    return hmac.compare_digest(user.csrf_token.encode(), submitted.encode())


# --- what an administrator does to an account (the desk's staff pages; the command line) ---------


def unlock(conn: Connection, staff_id: str) -> bool:
    """Clear a lockout after failed sign-ins; False when the staff member has no desk login."""
    done = conn.execute(
        sa.update(_logins).where(_logins.c.staff_id == staff_id).values(failed_count=0, locked_until=None)
    ).rowcount
    return bool(done)


def set_role(conn: Connection, staff_id: str, role: str, department_code: str | None) -> None:
    """A new role; a doctor's department (the caller checks that it exists), cleared for any other
    role. Read on every request: it applies to open sessions and the API token at once."""
    accounts.check_role(role)
    if role == "doctor" and not department_code:
        raise AccountError("a doctor needs a department", "department_required")
    updated = conn.execute(sa.update(_staff).where(_staff.c.id == staff_id).values(role=role)).rowcount
    if not updated:
        raise AccountError(f"no staff member {staff_id}", "staff_not_found")
    conn.execute(
        sa.update(_logins)
        .where(_logins.c.staff_id == staff_id)
        .values(department_code=department_code if role == "doctor" else None)
    )


def disable(conn: Connection, staff_id: str) -> int:
    """Disable an account: no sign-in, its sessions end, its API token is revoked (all in the
    caller's transaction). Returns how many sessions ended."""
    updated = conn.execute(
        sa.update(_staff).where(_staff.c.id == staff_id, _staff.c.disabled_at.is_(None)).values(disabled_at=utcnow())
    ).rowcount
    if not updated and not accounts.staff_disabled(conn, staff_id):
        raise AccountError(f"no staff member {staff_id}", "staff_not_found")
    accounts.revoke_tokens(conn, staff_id=staff_id)
    return end_sessions(conn, staff_id)


def enable(conn: Connection, staff_id: str) -> None:
    """Let a disabled account sign in again (with its password; an API token needs rotate-token)."""
    if not conn.execute(sa.update(_staff).where(_staff.c.id == staff_id).values(disabled_at=None)).rowcount:
        raise AccountError(f"no staff member {staff_id}", "staff_not_found")


def login_of(conn: Connection, staff_id: str) -> str | None:
    return conn.execute(sa.select(_logins.c.login).where(_logins.c.staff_id == staff_id)).scalar()
