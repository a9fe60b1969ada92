"""The examination booking form and page at 80x24, in Chinese and in English
(pytest-textual-snapshot).

The page: an urgent head CT, rescheduled by the hospital to the next day, examined and reported
with a critical finding (right acute subdural haematoma), recognised (互认), not yet acknowledged:
the state, the slot, the preparation, the critical mark and the report must show on the first
screen. The form: opened with Ctrl+U from a resident's page, the abdominal ultrasound chosen, the
free days listed under the form and its fasting note. Accept deliberate changes with
``--snapshot-update`` on these tests only, after looking at the pictures. The setup (fixed day,
China time, no cursor blink) is that of ``test_snapshots.py``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pilot_helpers import LANGUAGES, screen_is, steady, until

RESIDENT = "1909a7ec-26c9-43d7-8ad7-f58404755498"  # a demo resident with a visit
AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)  # 09:30 in the clinic, the demo's day
DAY = date(2026, 11, 23)


async def _signed_in(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: screen_is(app, "LoginScreen"))
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: screen_is(app, "DashboardScreen") and app.user_name in app.header_text)


def _pools(app) -> None:
    from exam_list_world import without_the_demos_examinations

    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import ExamPool

    without_the_demos_examinations(app)

    with unit_of_work(app.store.engine) as session:  # as a pull stores them
        for n, (item, name, offset, free) in enumerate(
            (("CT_HEAD", "头颅CT平扫", 3, 1), ("US_ABD", "腹部超声", 3, 2), ("US_ABD", "腹部超声", 5, 4))
        ):
            session.add(
                ExamPool(
                    id=f"00000000-0000-4000-8000-00000000030{n}",
                    revision=1,
                    updated_at=AT,
                    item_code=item,
                    item_name=name,
                    day=date(2026, 11, 20) + timedelta(days=offset),
                    total=9,
                    reserved_for_primary=3,
                    remaining=free,
                )
            )


def _reported_booking(app) -> str:
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.exam_bookings import book
    from clinic_tui.data.models import ExamEvent

    engine = app.store.engine
    values = {
        "item_code": "CT_HEAD",
        "day": DAY,
        "priority": "urgent",
        "clinical_diagnosis": "头痛伴呕吐",
        "question": "排除颅内出血",
    }
    booking_id, _number = book(engine, resident_id=RESIDENT, values=values, user_id=app.user_id, now=AT)
    moves = (("confirmed", 2, None), ("rescheduled", 3, "原日期设备检修"), ("examined", 4, None), ("reported", 6, None))
    with unit_of_work(engine) as session:  # the hospital's moves, as a pull stores them
        for arrival, (status, hour, reason) in enumerate(moves, 1):
            when = AT.replace(hour=hour)
            reported = status == "reported"
            session.add(
                ExamEvent(
                    id=f"00000000-0000-4000-8000-00000000031{arrival}",
                    revision=1,
                    updated_at=when,
                    arrival=arrival,
                    booking_id=booking_id,
                    to_status=status,
                    actor_name="影像科李医生",
                    at=when,
                    received_at=when,
                    reason=reason,
                    day=DAY + timedelta(days=1) if status != "confirmed" else DAY,
                    slot_number=2,
                    findings="右侧颞顶部颅骨内板下新月形高密度影，中线左移约 6mm。" if reported else None,
                    impression="右侧急性硬膜下血肿" if reported else None,
                    reporter="影像科李医生" if reported else None,
                    reported_at=when if reported else None,
                    institution="县人民医院影像科" if reported else None,
                    recognised=reported,
                    critical=reported,
                )
            )
    return booking_id


async def _at_booking_page(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    _pools(app)
    booking_id = _reported_booking(app)
    app.refresh_header()
    await app.push_screen(record_page("exam_booking", booking_id))
    await until(pilot, lambda: screen_is(app, "ExamBookingScreen") and app.screen.detail is not None)
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


async def _at_form(pilot) -> None:
    from clinic_tui.screens.routes import record_page

    app = pilot.app
    await _signed_in(pilot)
    _pools(app)
    await app.push_screen(record_page("resident", RESIDENT))
    await until(pilot, lambda: screen_is(app, "ResidentScreen") and not app.workers)
    await pilot.press("ctrl+u")
    await until(pilot, lambda: screen_is(app, "ExamFormScreen") and app.screen.focused is not None)
    await pilot.press("5", "enter")
    await until(pilot, lambda: not app.workers)
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_exam_booking_page(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_booking_page, terminal_size=(80, 24))


@pytest.mark.parametrize("language", LANGUAGES)
def test_exam_booking_form(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_form, terminal_size=(80, 24))
