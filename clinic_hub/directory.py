"""The hospital's directory: the hospital, its departments, and per department and day the
outpatient slots and inpatient beds reserved for primary care (seed 001: at least one third of the
slots, one quarter of the beds).

Every change is published as a hub record (kinds hospital, department, slot_pool, bed_pool) with a fresh
change number, so it reaches every clinic through pull. Records keep fixed ids (uuid5 of the
department code and day) so a re-import updates them instead of adding new ones.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from clinic_hub import changes
from clinic_hub.errors import ApiError
from clinic_hub.models import BedPool, Department, SlotPool, table_of
from clinic_tui.sync.wire import BED_POOL, DEPARTMENT, HOSPITAL, SLOT_POOL

CHINA_TZ = timezone(timedelta(hours=8))  # appointment days are China Standard Time days
_departments = table_of(Department)
_pools = table_of(SlotPool)
_bed_pools = table_of(BedPool)
MAX_RANGE_DAYS = 92  # the admin's pool form sets at most about a quarter at once


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


def upsert_department(
    conn: Connection, code: str, name: str, daily_slots: int, active: bool = True, beds: int = 0
) -> None:
    if not code or not name or daily_slots < 0 or beds < 0:
        raise DirectoryError("a department needs a code, a name, a daily slot count >= 0 and a bed count >= 0")
    _ensure_hospital(conn)
    record_id = changes.directory_record_id("department", code)
    values = dict(name=name, daily_outpatient_slots=daily_slots, beds=beds, active=active)
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
            "beds": beds,
            "reserved_beds": reserved_for(beds, *BEDS.share),
            "active": active,
        },
    )


def department(conn: Connection, code: str):
    return conn.execute(sa.select(_departments).where(_departments.c.code == code)).first()


@dataclass(frozen=True)
class PoolKind:
    """Outpatient slots or inpatient beds: the same pool, its own table, record kind and share."""

    name: str  # "slots" | "beds": the uuid5 namespace of the pool records, and the admin form's value
    table: sa.Table
    record_kind: str
    daily_column: str  # the department's count that opens a day nobody set
    share: tuple[int, int]  # the default primary-care share (seed 001: 1/3 of slots, 1/4 of beds)
    empty_code: str  # the 409 code when the reserved part is gone


SLOTS = PoolKind("slots", _pools, SLOT_POOL, "daily_outpatient_slots", (1, 3), "no_slots_left")
BEDS = PoolKind("beds", _bed_pools, BED_POOL, "beds", (1, 4), "no_beds_left")
POOL_KINDS = {kind.name: kind for kind in (SLOTS, BEDS)}


def pool_id(kind: PoolKind, department_code: str, day: date) -> str:
    return changes.directory_record_id(kind.name, department_code, day.isoformat())


def _publish_pool(conn: Connection, kind: PoolKind, pool_id: str) -> None:
    pool = conn.execute(sa.select(kind.table).where(kind.table.c.id == pool_id)).one()
    # Field names as in the clinic's slot_pool and bed_pool tables (clinic_tui/data/models/directory.py).
    changes.publish(
        conn,
        kind=kind.record_kind,
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


def set_pool(
    conn: Connection, kind: PoolKind, department_code: str, day: date, total: int, reserved: int | None = None
) -> None:
    """Set one day's total (and reserved part, else the kind's default share) and publish it. What
    was already taken stays: a reserved part cut below it just leaves nothing free."""
    if department(conn, department_code) is None:
        raise DirectoryError(f"no department {department_code}")
    reserved = reserved_for(total, *kind.share) if reserved is None else reserved
    if total < 0 or not 0 <= reserved <= total:
        raise DirectoryError(f"{kind.name}: need 0 <= reserved <= total")
    record_id = pool_id(kind, department_code, day)
    values = dict(total=total, reserved=reserved)
    if conn.execute(sa.update(kind.table).where(kind.table.c.id == record_id).values(**values)).rowcount == 0:
        conn.execute(sa.insert(kind.table).values(id=record_id, department_code=department_code, day=day, **values))
    _publish_pool(conn, kind, record_id)


def set_slots(conn: Connection, department_code: str, day: date, total: int, reserved: int | None = None) -> None:
    set_pool(conn, SLOTS, department_code, day, total, reserved)


def set_beds(conn: Connection, department_code: str, day: date, total: int, reserved: int | None = None) -> None:
    set_pool(conn, BEDS, department_code, day, total, reserved)


def set_range(
    conn: Connection,
    kind: PoolKind,
    department_code: str,
    first: date,
    last: date,
    total: int,
    reserved: int | None = None,
) -> list[str]:
    """The admin's pool page: the same total (and reserved part) for every day from ``first`` to
    ``last``. Returns the pool ids, each published to the clinics' next pull."""
    if last < first:
        raise DirectoryError("the last day is before the first")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise DirectoryError(f"at most {MAX_RANGE_DAYS} days at once")
    ids = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        set_pool(conn, kind, department_code, day, total, reserved)
        ids.append(pool_id(kind, department_code, day))
    return ids


def ensure_pool(conn: Connection, department_code: str, day: date, kind: PoolKind = SLOTS) -> str:
    """The pool of that department and day, made from the department's daily count if missing."""
    record_id = pool_id(kind, department_code, day)
    if conn.execute(sa.select(kind.table.c.id).where(kind.table.c.id == record_id)).first() is None:
        dept = department(conn, department_code)
        try:
            with conn.begin_nested():  # a savepoint: losing the race below must not end the transaction
                set_pool(conn, kind, department_code, day, getattr(dept, kind.daily_column) if dept else 0)
        except IntegrityError:
            pass  # another desk opened the same day at the same moment (PostgreSQL): its row stands
    return record_id


def open_days(conn: Connection, start: date, days: int) -> int:
    """Make the slot and bed pools of the next ``days`` days for every active department (keeps
    existing ones). Counts department-days."""
    made = 0
    codes = conn.execute(sa.select(_departments.c.code).where(_departments.c.active.is_(True))).scalars().all()
    for code in codes:
        for offset in range(days):
            for kind in (SLOTS, BEDS):
                ensure_pool(conn, code, start + timedelta(days=offset), kind)
            made += 1
    return made


def _take(conn: Connection, kind: PoolKind, department_code: str, day: date, over_quota: bool) -> tuple[str, int, bool]:
    """Take one reserved place in a single guarded UPDATE, so two desks racing for the last one
    cannot both get it: the row lock makes the second re-check ``used < reserved`` and find none.
    With none left: 409, unless over-quota is allowed."""
    table = kind.table
    record_id = ensure_pool(conn, department_code, day, kind)
    taken = conn.execute(
        sa.update(table).where(table.c.id == record_id, table.c.used < table.c.reserved).values(used=table.c.used + 1)
    ).rowcount
    if taken == 0:
        if not over_quota:
            raise ApiError(409, kind.empty_code, department=department_code, day=day.isoformat())
        conn.execute(sa.update(table).where(table.c.id == record_id).values(over_quota=table.c.over_quota + 1))
    pool = conn.execute(sa.select(table).where(table.c.id == record_id)).one()
    _publish_pool(conn, kind, record_id)
    return record_id, (pool.used if taken else pool.reserved + pool.over_quota), not taken


def take_slot(conn: Connection, department_code: str, day: date, over_quota: bool) -> dict[str, Any]:
    """Take one reserved outpatient slot (atomically)."""
    record_id, number, over = _take(conn, SLOTS, department_code, day, over_quota)
    return {"slot_pool_id": record_id, "slot_number": number, "over_quota": over}


def take_bed(conn: Connection, department_code: str, day: date, over_quota: bool) -> dict[str, Any]:
    """Take one reserved bed for the admission day (atomically), like take_slot."""
    record_id, number, over = _take(conn, BEDS, department_code, day, over_quota)
    return {"bed_pool_id": record_id, "bed_number": number, "over_quota": over}


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
    summary = {"departments": 0, "slot_days": 0, "bed_days": 0, "opened_days": 0}
    if "hospital" in doc:
        set_hospital(conn, str(doc["hospital"]["code"]), str(doc["hospital"]["name"]))
    for item in doc.get("departments", []):
        upsert_department(
            conn,
            str(item["code"]),
            str(item["name"]),
            _int(item.get("daily_outpatient_slots", 0), f"department {item['code']}"),
            bool(item.get("active", True)),
            _int(item.get("beds") or 0, f"department {item['code']} beds"),
        )
        summary["departments"] += 1
    for section, kind, counter in (("slots", SLOTS, "slot_days"), ("beds", BEDS, "bed_days")):
        for item in doc.get(section, []):
            day = item["date"] if isinstance(item["date"], date) else date.fromisoformat(str(item["date"]))
            reserved = item.get("reserved")
            set_pool(
                conn,
                kind,
                str(item["department"]),
                day,
                _int(item["total"], f"{section} total"),
                None if reserved in (None, "") else _int(reserved, f"{section} reserved"),
            )
            summary[counter] += 1
    summary["opened_days"] = open_days(conn, start or today_in_china(), days)
    return summary


def _csv_document(text: str) -> dict[str, list[dict[str, Any]]]:
    """CSV: department_code, department_name, daily_outpatient_slots[, beds][, date, total, reserved]
    [, bed_total, bed_reserved]. A row without a date defines a department; a row with one sets that
    day's slots (total) and, when given, beds (bed_total)."""
    doc: dict[str, list[dict[str, Any]]] = {"departments": [], "slots": [], "beds": []}
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if row.get("date"):
            if row.get("total") or row.get("daily_outpatient_slots"):
                doc["slots"].append(
                    {
                        "department": row["department_code"],
                        "date": row["date"],
                        "total": row.get("total") or row.get("daily_outpatient_slots"),
                        "reserved": row.get("reserved"),
                    }
                )
            if row.get("bed_total"):
                doc["beds"].append(
                    {
                        "department": row["department_code"],
                        "date": row["date"],
                        "total": row["bed_total"],
                        "reserved": row.get("bed_reserved"),
                    }
                )
        else:
            doc["departments"].append(
                {
                    "code": row["department_code"],
                    "name": row["department_name"],
                    "daily_outpatient_slots": row.get("daily_outpatient_slots") or 0,
                    "beds": row.get("beds") or 0,
                }
            )
    return doc
