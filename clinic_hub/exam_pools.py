"""The lead hospital's examination pools (检查号源): per examination of the catalogue
(clinic_tui.domain.exam.CATALOGUE) and day, the slots and the part reserved for primary care.

Like the directory's slot and bed pools (clinic_hub/directory.py): every change is published as a
hub record (kind ``exam_pool``, fixed uuid5 ids) so each clinic sees the free reserved slots
offline as of its last sync, and a booking takes its slot in one guarded UPDATE, so two bookings
racing for the last slot cannot both get it. A day nobody opened has no reserved slots.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from clinic_hub import changes
from clinic_hub.directory import MAX_RANGE_DAYS, DirectoryError, reserved_for
from clinic_hub.errors import ApiError
from clinic_hub.models import ExamPool, table_of
from clinic_tui.domain import exam
from clinic_tui.sync.wire import EXAM_POOL

_pools = table_of(ExamPool)
SHARE = (1, 3)  # the default part reserved for primary care, as the outpatient slots' (seed 001)
EMPTY_CODE = "no_exam_slots_left"


@dataclass(frozen=True)
class Taken:
    pool_id: str
    slot_number: int
    over_quota: bool


def pool_id(item_code: str, day: date) -> str:
    return changes.directory_record_id("exam", item_code, day.isoformat())


def _publish(conn: Connection, record_id: str) -> None:
    pool = conn.execute(sa.select(_pools).where(_pools.c.id == record_id)).one()
    # Field names as in the clinic's exam_pool table (clinic_tui/data/models/exam.py).
    changes.publish(
        conn,
        kind=EXAM_POOL,
        record_id=pool.id,
        addressee_clinic_id=None,
        clinic_code=None,
        fields={
            "item_code": pool.item_code,
            "item_name": exam.item_name(pool.item_code),
            "day": pool.day.isoformat(),
            "total": pool.total,
            "reserved_for_primary": pool.reserved,
            "used": pool.used,
            "remaining": max(pool.reserved - pool.used, 0),
            "over_quota": pool.over_quota,
        },
    )


def set_pool(conn: Connection, item_code: str, day: date, total: int, reserved: int | None = None) -> str:
    """Set one day's total (and reserved part, else a third) and publish it; what was taken stays."""
    if item_code not in exam.CATALOGUE:
        raise DirectoryError(f"no examination {item_code}")
    reserved = reserved_for(total, *SHARE) if reserved is None else reserved
    if total < 0 or not 0 <= reserved <= total:
        raise DirectoryError("examinations: need 0 <= reserved <= total")
    record_id = pool_id(item_code, day)
    values = dict(total=total, reserved=reserved)
    if conn.execute(sa.update(_pools).where(_pools.c.id == record_id).values(**values)).rowcount == 0:
        conn.execute(sa.insert(_pools).values(id=record_id, item_code=item_code, day=day, **values))
    _publish(conn, record_id)
    return record_id


def set_range(
    conn: Connection, item_code: str, first: date, last: date, total: int, reserved: int | None = None
) -> list[str]:
    """The pools page: the same total (and reserved part) for every day from ``first`` to ``last``."""
    if last < first:
        raise DirectoryError("the last day is before the first")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise DirectoryError(f"at most {MAX_RANGE_DAYS} days at once")
    return [
        set_pool(conn, item_code, first + timedelta(days=n), total, reserved) for n in range((last - first).days + 1)
    ]


def take(conn: Connection, item_code: str, day: date, over_quota: bool = False) -> Taken:
    """Take one reserved slot of that examination and day; none left (or no pool that day): 409
    ``no_exam_slots_left``, unless the desk decided over quota (counted apart)."""
    record_id = pool_id(item_code, day)
    taken = conn.execute(
        sa.update(_pools)
        .where(_pools.c.id == record_id, _pools.c.used < _pools.c.reserved)
        .values(used=_pools.c.used + 1)
    ).rowcount
    if not taken:
        if not over_quota:
            raise ApiError(409, EMPTY_CODE, item=exam.item_name(item_code), day=day.isoformat())
        if conn.execute(sa.select(_pools.c.id).where(_pools.c.id == record_id)).first() is None:
            set_pool(conn, item_code, day, 0, 0)
        conn.execute(sa.update(_pools).where(_pools.c.id == record_id).values(over_quota=_pools.c.over_quota + 1))
    pool = conn.execute(sa.select(_pools).where(_pools.c.id == record_id)).one()
    _publish(conn, record_id)
    return Taken(record_id, pool.used if taken else pool.reserved + pool.over_quota, not taken)


def release(conn: Connection, record_id: str | None, over_quota: bool) -> None:
    """Give a slot back (a return, a cancellation, a move to another day) and publish the pool."""
    if record_id is None:
        return
    column = _pools.c.over_quota if over_quota else _pools.c.used
    conn.execute(sa.update(_pools).where(_pools.c.id == record_id, column > 0).values({column: column - 1}))
    _publish(conn, record_id)


def pools(conn: Connection, first: date, days: int) -> dict[tuple[str, date], ExamPool]:
    """Every examination's pools of ``days`` days from ``first`` (the pools page)."""
    rows = conn.execute(
        sa.select(_pools).where(_pools.c.day >= first, _pools.c.day < first + timedelta(days=days))
    ).all()
    return {(row.item_code, row.day): ExamPool(**row._mapping) for row in rows}
