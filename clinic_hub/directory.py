"""The hospital's directory: the hospital, its departments, and per department and day the
outpatient slots reserved for primary care (seed 001: at least one third of them).

Every change is published as a hub record (kinds hospital, department, slot_pool) with a fresh
change number, so it reaches every clinic through pull. Records keep fixed ids (uuid5 of the
department code and day) so a re-import updates them instead of adding new ones.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import changes
from clinic_hub.errors import ApiError
from clinic_hub.models import Department, SlotPool, table_of
from clinic_tui.sync.wire import DEPARTMENT, HOSPITAL, SLOT_POOL

CHINA_TZ = timezone(timedelta(hours=8))  # appointment days are China Standard Time days
_departments = table_of(Department)
_pools = table_of(SlotPool)


class DirectoryError(ValueError):
    pass


def today_in_china() -> date:
    return datetime.now(CHINA_TZ).date()


def reserved_for(total: int, numerator: int = 1, denominator: int = 3) -> int:
    """The primary-care share of ``total`` slots, rounded up (1/3 of 10 is 4)."""
    return math.ceil(total * numerator / denominator)


def set_hospital(conn: Connection, code: str, name: str) -> None:
    changes.set_meta(conn, "hospital_code", code)
    changes.set_meta(conn, "hospital_name", name)
    changes.publish(
        conn,
        kind=HOSPITAL,
        record_id=HOSPITAL_RECORD_ID,
        fields={"code": code, "name": name},
        addressee_clinic_id=None,
        clinic_code=None,
    )


def hospital(conn: Connection) -> tuple[str, str]:
    return (changes.get_meta(conn, "hospital_code") or "HUB", changes.get_meta(conn, "hospital_name") or "")


HOSPITAL_RECORD_ID = changes.directory_record_id("hospital")


def _ensure_hospital(conn: Connection) -> None:
    """Departments point to the hospital record: publish a placeholder until one is imported."""
    if changes.get_meta(conn, "hospital_code") is None:
        set_hospital(conn, "HUB", "牵头医院")


def upsert_department(conn: Connection, code: str, name: str, daily_slots: int, active: bool = True) -> None:
    if not code or not name or daily_slots < 0:
        raise DirectoryError("a department needs a code, a name and a daily slot count >= 0")
    _ensure_hospital(conn)
    record_id = changes.directory_record_id("department", code)
    values = dict(name=name, daily_outpatient_slots=daily_slots, active=active)
    if conn.execute(sa.update(_departments).where(_departments.c.code == code).values(**values)).rowcount == 0:
        conn.execute(sa.insert(_departments).values(code=code, record_id=record_id, **values))
    changes.publish(
        conn,
        kind=DEPARTMENT,
        record_id=record_id,
        addressee_clinic_id=None,
        clinic_code=None,
        fields={
            "hospital_id": HOSPITAL_RECORD_ID,
            "code": code,
            "name": name,
            "daily_outpatient_slots": daily_slots,
            "reserved_daily": reserved_for(daily_slots),
            "active": active,
        },
    )


def department(conn: Connection, code: str):
    return conn.execute(sa.select(_departments).where(_departments.c.code == code)).first()


def _publish_pool(conn: Connection, pool_id: str) -> None:
    pool = conn.execute(sa.select(_pools).where(_pools.c.id == pool_id)).one()
    # Field names as in the clinic's slot_pool table (clinic_tui/data/models/directory.py).
    changes.publish(
        conn,
        kind=SLOT_POOL,
        record_id=pool.id,
        addressee_clinic_id=None,
        clinic_code=None,
        fields={
            "department_id": changes.directory_record_id("department", pool.department_code),
            "department_code": pool.department_code,
            "day": pool.day.isoformat(),
            "total": pool.total,
            "reserved_for_primary": pool.reserved,
            "used": pool.used,
            "remaining": max(pool.reserved - pool.used, 0),
            "over_quota": pool.over_quota,
        },
    )


def set_slots(conn: Connection, department_code: str, day: date, total: int, reserved: int | None = None) -> None:
    if department(conn, department_code) is None:
        raise DirectoryError(f"no department {department_code}")
    reserved = reserved_for(total) if reserved is None else reserved
    if total < 0 or not 0 <= reserved <= total:
        raise DirectoryError("slots: need 0 <= reserved <= total")
    pool_id = changes.directory_record_id("slots", department_code, day.isoformat())
    values = dict(total=total, reserved=reserved)
    if conn.execute(sa.update(_pools).where(_pools.c.id == pool_id).values(**values)).rowcount == 0:
        conn.execute(sa.insert(_pools).values(id=pool_id, department_code=department_code, day=day, **values))
    _publish_pool(conn, pool_id)


def ensure_pool(conn: Connection, department_code: str, day: date) -> str:
    """The pool of that department and day, made from the department's daily count if missing."""
    pool_id = changes.directory_record_id("slots", department_code, day.isoformat())
    if conn.execute(sa.select(_pools.c.id).where(_pools.c.id == pool_id)).first() is None:
        dept = department(conn, department_code)
        set_slots(conn, department_code, day, dept.daily_outpatient_slots if dept else 0)
    return pool_id


def open_days(conn: Connection, start: date, days: int) -> int:
    """Make the pools of the next ``days`` days for every active department (keeps existing ones)."""
    made = 0
    codes = conn.execute(sa.select(_departments.c.code).where(_departments.c.active.is_(True))).scalars().all()
    for code in codes:
        for offset in range(days):
            ensure_pool(conn, code, start + timedelta(days=offset))
            made += 1
    return made


def take_slot(conn: Connection, department_code: str, day: date, over_quota: bool) -> dict[str, Any]:
    """Take one reserved slot (atomically). With none left: 409, unless over-quota is allowed."""
    pool_id = ensure_pool(conn, department_code, day)
    taken = conn.execute(
        sa.update(_pools)
        .where(_pools.c.id == pool_id, _pools.c.used < _pools.c.reserved)
        .values(used=_pools.c.used + 1)
    ).rowcount
    if taken == 0:
        if not over_quota:
            raise ApiError(409, "no_slots_left", department=department_code, day=day.isoformat())
        conn.execute(sa.update(_pools).where(_pools.c.id == pool_id).values(over_quota=_pools.c.over_quota + 1))
    pool = conn.execute(sa.select(_pools).where(_pools.c.id == pool_id)).one()
    _publish_pool(conn, pool_id)
    number = pool.used if taken else pool.reserved + pool.over_quota
    return {"slot_pool_id": pool_id, "slot_number": number, "over_quota": not taken}


# --- import ---------------------------------------------------------------------------------------


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DirectoryError(f"{what}: not a whole number: {value!r}") from None


def import_file(conn: Connection, path: Path, days: int = 14, start: date | None = None) -> dict[str, int]:
    """Import a TOML or CSV directory file (format in docs/hub.md) and open the next ``days`` days."""
    return import_text(conn, Path(path).read_text(encoding="utf-8-sig"), Path(path).suffix, days, start)


def import_text(conn: Connection, text: str, suffix: str, days: int = 14, start: date | None = None) -> dict[str, int]:
    """Import a directory given as text, TOML or CSV by ``suffix`` (".toml", ".csv"), in the caller's
    transaction: the command line's file and the web desk's upload alike. Anything wrong in it is a
    DirectoryError that says what (the caller rolls back: nothing is half imported)."""
    try:
        return _import(conn, text.removeprefix("\ufeff"), suffix.lower(), days, start)
    except DirectoryError:
        raise
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"not valid TOML: {exc}") from None
    except KeyError as exc:
        raise DirectoryError(f"a required field is missing: {exc.args[0]}") from None
    except (TypeError, ValueError, AttributeError, csv.Error) as exc:
        raise DirectoryError(f"{type(exc).__name__}: {exc}"[:300]) from None


def _import(conn: Connection, text: str, suffix: str, days: int, start: date | None) -> dict[str, int]:
    if suffix == ".toml":
        doc = tomllib.loads(text)
    elif suffix == ".csv":
        doc = _csv_document(text)
    else:
        raise DirectoryError("directory files are .toml or .csv")
    summary = {"departments": 0, "slot_days": 0, "opened_days": 0}
    if "hospital" in doc:
        set_hospital(conn, str(doc["hospital"]["code"]), str(doc["hospital"]["name"]))
    for item in doc.get("departments", []):
        upsert_department(
            conn,
            str(item["code"]),
            str(item["name"]),
            _int(item.get("daily_outpatient_slots", 0), f"department {item['code']}"),
            bool(item.get("active", True)),
        )
        summary["departments"] += 1
    for item in doc.get("slots", []):
        day = item["date"] if isinstance(item["date"], date) else date.fromisoformat(str(item["date"]))
        reserved = item.get("reserved")
        set_slots(
            conn,
            str(item["department"]),
            day,
            _int(item["total"], "slots total"),
            None if reserved in (None, "") else _int(reserved, "slots reserved"),
        )
        summary["slot_days"] += 1
    summary["opened_days"] = open_days(conn, start or today_in_china(), days)
    return summary


def _csv_document(text: str) -> dict[str, list[dict[str, Any]]]:
    """CSV: department_code, department_name, daily_outpatient_slots[, date, total, reserved].
    A row without a date defines a department; a row with one sets that day's slots."""
    doc: dict[str, list[dict[str, Any]]] = {"departments": [], "slots": []}
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if row.get("date"):
            doc["slots"].append(
                {
                    "department": row["department_code"],
                    "date": row["date"],
                    "total": row.get("total") or row.get("daily_outpatient_slots"),
                    "reserved": row.get("reserved"),
                }
            )
        else:
            doc["departments"].append(
                {
                    "code": row["department_code"],
                    "name": row["department_name"],
                    "daily_outpatient_slots": row.get("daily_outpatient_slots") or 0,
                }
            )
    return doc
