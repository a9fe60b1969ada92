"""Staff PINs: a shared clinic PC knows who is working by a short PIN, stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import os

from clinic_tui.i18n import N_

# scrypt with a per-PIN salt: a stolen database does not give the PINs away cheaply.
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    """True when ``pin`` matches ``stored``; a staff member without a PIN needs none."""
    if not stored:
        return True
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = hash_pin(pin, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(expected, digest_hex)


MIN_PIN_DIGITS = 4


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` cannot be a PIN (an English message id), or None."""
    if not pin.isascii() or not pin.isdigit() or len(pin) < MIN_PIN_DIGITS:
        return N_("A PIN is at least 4 digits, digits only.")
    return None


def set_pin(engine, name: str, pin: str) -> list[str]:
    """Give the staff member called ``name`` the PIN ``pin`` (hashed; it never leaves this PC: not
    synced, not in the audit's values). Returns the names of the staff when ``name`` matches none
    or several (nothing changed), else an empty list."""
    from sqlmodel import select

    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import AuditEntry, Staff

    with unit_of_work(engine) as session:
        everyone = session.exec(select(Staff).where(Staff.deleted == False)).all()
        matching = [staff for staff in everyone if staff.name == name]
        if len(matching) != 1:
            return sorted(staff.name for staff in everyone)
        staff = matching[0]
        staff.pin_hash = hash_pin(pin)
        session.add(staff)
        # Which staff member's PIN changed, and when; never the PIN nor its hash.
        session.add(AuditEntry(action="pin", kind="user", record_id=staff.id, revision=staff.revision, changes={}))
    return []
