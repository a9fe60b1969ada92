"""Five examination bookings of five demo residents, written as the clinic books them and answered as
a pull stores the hospital's moves, on the demo's fixed day (2026-11-20): one reported with a critical
finding not yet acknowledged, two ahead (11-23 confirmed, 11-25 booked), one cancelled, one reported
without a critical finding. The list shows them in that order: the critical one, the days ahead
nearest first, then the rest latest day first (data/exam_bookings.page)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 in the clinic, the demo's day
TODAY = date(2026, 11, 20)

# (examination, booked day, the hospital's moves as (status, day, critical)), in the order booked.
BOOKINGS = (
    ("US_ABD", date(2026, 11, 25), ()),
    ("CT_HEAD", date(2026, 11, 23), (("confirmed", date(2026, 11, 23), False),)),
    (
        "CT_CHEST",
        date(2026, 11, 23),
        (("rescheduled", TODAY, False), ("examined", TODAY, False), ("reported", TODAY, True)),
    ),
    ("GASTRO", date(2026, 11, 24), ()),  # cancelled by the clinic below
    (
        "MRI_HEAD",
        date(2026, 11, 21),
        (("rescheduled", TODAY, False), ("examined", TODAY, False), ("reported", TODAY, False)),
    ),
)
# The list's order, as indexes into BOOKINGS.
LISTED = (2, 1, 0, 3, 4)


def without_the_demos_examinations(app) -> None:
    """The demo copy's own pools and bookings (scripts/demo/exams.py) set aside: these tests write
    the pools and bookings they assert, on a clinic that has booked nothing yet."""
    import sqlite3

    with sqlite3.connect(app.settings.database) as db:
        db.executescript("DELETE FROM exam_event; DELETE FROM exam_booking; DELETE FROM exam_pool;")
    db.close()


def book_five(app) -> list[str]:
    """The bookings' ids, in BOOKINGS' order."""
    without_the_demos_examinations(app)
    from clinic_tui.data.db import read_session, unit_of_work
    from clinic_tui.data.exam_bookings import book, cancel
    from clinic_tui.data.models import ExamEvent, ExamPool, Resident
    from clinic_tui.domain.exam import item_name

    engine = app.store.engine
    with read_session(engine) as session:
        query = select(Resident.id).where(Resident.deleted == False).order_by(Resident.name).limit(len(BOOKINGS))
        residents = list(session.execute(query).scalars())
    with unit_of_work(engine) as session:  # the reserved pools, as a pull stores them
        for n, (item, day, _moves) in enumerate(BOOKINGS):
            session.add(
                ExamPool(
                    id=f"00000000-0000-4000-8000-00000000040{n}",
                    revision=1,
                    updated_at=AT,
                    item_code=item,
                    item_name=item_name(item),
                    day=day,
                    total=9,
                    reserved_for_primary=3,
                    remaining=3,
                )
            )
    ids = []
    for n, ((item, day, _moves), resident) in enumerate(zip(BOOKINGS, residents, strict=True)):
        values = {"item_code": item, "day": day, "priority": "urgent" if n == 2 else "routine"}
        values |= {"clinical_diagnosis": "头痛", "question": ""}
        booking_id, _number = book(engine, resident_id=resident, values=values, user_id=app.user_id, now=AT)
        ids.append(booking_id)
    cancel(engine, ids[3], user_id=app.user_id)
    with unit_of_work(engine) as session:  # the hospital's moves, as a pull stores them
        arrival = 0
        for booking_id, (_item, _day, moves) in zip(ids, BOOKINGS, strict=True):
            for status, day, critical in moves:
                arrival += 1
                reported = status == "reported"
                session.add(
                    ExamEvent(
                        id=f"00000000-0000-4000-8000-0000000005{arrival:02d}",
                        revision=1,
                        updated_at=AT,
                        arrival=arrival,
                        booking_id=booking_id,
                        to_status=status,
                        actor_name="影像科李医生",
                        at=AT,
                        received_at=AT,
                        day=day,
                        slot_number=1,
                        findings="所见" if reported else None,
                        impression="诊断意见" if reported else None,
                        reporter="影像科李医生" if reported else None,
                        reported_at=AT if reported else None,
                        institution="县人民医院影像科" if reported else None,
                        recognised=reported,
                        critical=critical,
                    )
                )
    return ids
