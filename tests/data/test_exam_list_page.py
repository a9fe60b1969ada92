"""data/exam_bookings.page on a migrated database: the clinic's list of bookings, a critical report
not yet acknowledged first (and back among the rest once acknowledged), then the days ahead nearest
first, then the rest latest day first; the day the hospital moved a booking to; one page at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.exam_bookings import acknowledge_critical, book, cancel, page
from clinic_tui.data.models import ExamEvent, ExamPool, Resident

NOW = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 in the clinic
TODAY = date(2026, 11, 20)


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(
            session, Resident(clinic_id=clinic.id, name="张三", sex="1", birth_date=date(1958, 3, 1)), doctor.id
        )


def _book(engine, resident, doctor, item: str, day: date) -> str:
    with unit_of_work(engine) as session:  # a pool of that day, as a pull stores it
        session.add(
            ExamPool(
                id=f"pool-{item}-{day}",
                revision=1,
                updated_at=NOW,
                item_code=item,
                item_name=item,
                day=day,
                total=9,
                reserved_for_primary=3,
                remaining=3,
            )
        )
    values = {"item_code": item, "day": day, "priority": "routine", "clinical_diagnosis": "头痛", "question": ""}
    return book(engine, resident_id=resident.id, values=values, user_id=doctor.id, now=NOW)[0]


def _move(engine, booking_id: str, arrival: int, status: str, day: date, critical: bool = False) -> None:
    with unit_of_work(engine) as session:  # the hospital's move, as a pull stores it
        session.add(
            ExamEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                revision=1,
                updated_at=NOW,
                arrival=arrival,
                booking_id=booking_id,
                to_status=status,
                at=NOW,
                received_at=NOW,
                day=day,
                findings="所见" if status == "reported" else None,
                impression="诊断意见" if status == "reported" else None,
                critical=critical,
            )
        )


def test_critical_first_then_the_days_ahead_then_the_rest_and_pages(engine, resident, doctor):
    late = _book(engine, resident, doctor, "US_ABD", date(2026, 11, 27))
    soon = _book(engine, resident, doctor, "CT_HEAD", date(2026, 11, 22))
    cancelled = _book(engine, resident, doctor, "GASTRO", date(2026, 11, 23))
    cancel(engine, cancelled, user_id=doctor.id)
    critical = _book(engine, resident, doctor, "CT_CHEST", date(2026, 11, 24))
    for arrival, status in enumerate(("rescheduled", "examined"), 1):
        _move(engine, critical, arrival, status, TODAY)
    _move(engine, critical, 3, "reported", TODAY, critical=True)

    rows, total, criticals = page(engine, today=TODAY)
    assert [r.id for r in rows] == [critical, soon, late, cancelled]
    assert (total, criticals) == (4, 1)
    assert [(r.status, r.critical, r.day) for r in rows] == [
        ("reported", True, TODAY),  # the day the hospital moved it to
        ("booked", False, date(2026, 11, 22)),
        ("booked", False, date(2026, 11, 27)),
        ("cancelled", False, date(2026, 11, 23)),
    ]
    second, total, _criticals = page(engine, today=TODAY, limit=2, offset=2)
    assert [r.id for r in second] == [late, cancelled] and total == 4

    acknowledge_critical(engine, critical, user_id=doctor.id)
    rows, _total, criticals = page(engine, today=TODAY)
    # Acknowledged, it is one of the rest: after the cancelled booking of a later day.
    assert [r.id for r in rows] == [soon, late, cancelled, critical] and criticals == 0
    # A day gone by is no longer ahead: the booking for 11-22 goes among the rest.
    assert [r.id for r in page(engine, today=date(2026, 11, 25))[0]] == [late, cancelled, soon, critical]
