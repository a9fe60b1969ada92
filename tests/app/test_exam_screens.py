"""Examination bookings driven by keys on a copy of the demo database (80x24): booked from a
resident's page on a day the picker lists as free (the pools as a pull stores them), refused
beside the day field with nothing written when the day has no free reserved slot, cancelled from
its page; a critical report shown on the page, on the resident's timeline and in the header's red
mark until the doctor acknowledges it (F9). Each step is checked in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exam_list_world import without_the_demos_examinations
from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from sqlalchemy import select

from clinic_tui import clock
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import ExamBooking, ExamEvent, ExamPool, OutboxEntry, Resident
from clinic_tui.screens import routes


def _a_resident(app) -> Resident:
    with read_session(app.store.engine) as session:
        query = select(Resident).where(Resident.deleted == False).order_by(Resident.name)
        return session.execute(query).scalars().first()


def _bookings(app, resident_id: str) -> list[ExamBooking]:
    with read_session(app.store.engine) as session:
        return list(session.execute(select(ExamBooking).where(ExamBooking.resident_id == resident_id)).scalars())


def _pool(app, item: str, name: str, day, remaining: int) -> None:
    without_the_demos_examinations(app)
    with unit_of_work(app.store.engine) as session:  # as a pull stores it (sync/apply.py)
        session.add(
            ExamPool(
                id=f"pool-{item}-{day}",
                revision=1,
                updated_at=datetime.now(UTC),
                item_code=item,
                item_name=name,
                day=day,
                total=9,
                reserved_for_primary=3,
                remaining=remaining,
            )
        )


def _screen(app, name: str) -> bool:
    return type(app.screen).__name__ == name and app.screen.is_mounted


async def _open_form(app, pilot, resident):
    await app.push_screen(routes.record_page("resident", resident.id))
    await wait_for(pilot, lambda: _screen(app, "ResidentScreen"))
    await pilot.press("ctrl+u")
    await wait_for(pilot, lambda: _screen(app, "ExamFormScreen"))
    form = app.screen.form
    await wait_for(pilot, lambda: app.screen.focused is form.input("item"))
    return form


async def test_book_a_listed_free_day_from_a_resident_page_then_cancel_it(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await sign_in(app, pilot)
        day = clock.today() + timedelta(days=3)
        _pool(app, "US_ABD", "腹部超声", day, remaining=2)
        resident = _a_resident(app)
        await _open_form(app, pilot, resident)
        legend = str(app.screen.query_one("#exam-legend").render())
        assert f"{day.isoformat()} 5 腹部超声：余 2" in legend  # the picker: day, number, examination, free
        await pilot.press("5", "enter")  # 腹部超声
        await wait_for(pilot, lambda: "空腹 8 小时" in str(app.screen.query_one("#exam-preparation").render()))
        await pilot.press(*day.isoformat(), "enter", "backspace", "2", "enter")  # urgent
        await pilot.press(*"右上腹痛", "enter", *"排除胆囊结石")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _screen(app, "ExamBookingScreen") and app.screen.detail is not None)
        (booking,) = _bookings(app, resident.id)
        assert (booking.item_code, booking.day, booking.priority, booking.status) == ("US_ABD", day, "urgent", "booked")
        assert (booking.clinical_diagnosis, booking.question) == ("右上腹痛", "排除胆囊结石")
        assert booking.booking_no.endswith("-E0001") and booking.booking_doctor == app.user_name
        with read_session(app.store.engine) as session:
            assert session.get(OutboxEntry, ("exam_booking", booking.id)).revision == 1
        assert any(booking.booking_no in n.message for n in app._notifications)
        assert "空腹 8 小时" in str(app.screen.query_one("#exam-state").render())

        await pilot.press("f7")
        await wait_for(pilot, lambda: _screen(app, "ConfirmScreen"))
        await pilot.press("y")
        await wait_for(pilot, lambda: _bookings(app, resident.id)[0].status == "cancelled")
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.status == "cancelled")
        assert app.screen.detail.can_cancel is False


async def test_a_day_without_free_slots_is_refused_beside_the_field_and_nothing_written(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        day = clock.today() + timedelta(days=2)
        _pool(app, "CT_HEAD", "头颅CT平扫", day, remaining=0)
        resident = _a_resident(app)
        form = await _open_form(app, pilot, resident)
        assert "没有空余预留号源" in str(app.screen.query_one("#exam-legend").render())
        await pilot.press("1", "enter", *day.isoformat(), "enter", "enter", *"头痛")
        await pilot.press("ctrl+s")
        message = form.row("day").query_one(".field-message")
        await wait_for(pilot, lambda: "已无空余预留号源" in str(message.render()))
        assert _bookings(app, resident.id) == [] and _screen(app, "ExamFormScreen")
        assert form.input("clinical_diagnosis").value == "头痛"  # the typing kept


async def test_a_critical_report_is_shown_on_the_timeline_and_in_the_header_until_acknowledged(tmp_path):
    from clinic_tui.data.exam_bookings import book

    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        day = clock.today() + timedelta(days=1)
        _pool(app, "CT_HEAD", "头颅CT平扫", day, remaining=1)
        resident = _a_resident(app)
        values = {"item_code": "CT_HEAD", "day": day, "priority": "urgent", "clinical_diagnosis": "头痛伴呕吐"}
        booking_id, _number = book(app.store.engine, resident_id=resident.id, values=values, user_id=app.user_id)
        now = datetime.now(UTC)
        with unit_of_work(app.store.engine) as session:  # the hospital's moves, as a pull stores them
            for arrival, status in ((1, "confirmed"), (2, "examined"), (3, "reported")):
                reported = status == "reported"
                session.add(
                    ExamEvent(
                        id=f"00000000-0000-4000-8000-00000000021{arrival}",
                        revision=1,
                        updated_at=now,
                        arrival=arrival,
                        booking_id=booking_id,
                        to_status=status,
                        actor_name="影像科李医生",
                        at=now,
                        received_at=now,
                        day=day,
                        slot_number=1,
                        findings="右侧颞顶部新月形高密度影" if reported else None,
                        impression="右侧急性硬膜下血肿" if reported else None,
                        reporter="影像科李医生" if reported else None,
                        reported_at=now if reported else None,
                        institution="县人民医院" if reported else None,
                        recognised=reported,
                        critical=reported,
                    )
                )
        app.refresh_header()
        assert app.header_text.startswith("危急值 1")
        await app.push_screen(routes.record_page("resident", resident.id))
        await wait_for(pilot, lambda: _screen(app, "ResidentScreen") and not app.workers)
        timeline = app.screen.query_one("#timeline")
        rows = [" ".join(str(c) for c in timeline.get_row_at(i)) for i in range(timeline.row_count)]
        assert any("右侧急性硬膜下血肿" in row and "危急" in row for row in rows), rows
        await app.push_screen(routes.record_page("exam_booking", booking_id))
        await wait_for(pilot, lambda: _screen(app, "ExamBookingScreen") and app.screen.detail is not None)
        assert app.screen.detail.needs_critical_ack
        assert "右侧急性硬膜下血肿" in str(app.screen.query_one("#exam-report").render())
        await pilot.press("f9")
        with read_session(app.store.engine) as session:
            await wait_for(pilot, lambda: session.get(ExamBooking, booking_id, populate_existing=True).critical_ack_at)
            acknowledged = session.get(ExamBooking, booking_id)
        assert acknowledged.critical_ack_by == app.user_name
        await wait_for(pilot, lambda: not app.header_text.startswith("危急值"))
        assert app.store.critical_values() == 0
