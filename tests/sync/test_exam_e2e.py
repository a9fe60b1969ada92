"""An examination booking end to end with a real clinic-hub on loopback (issue 18, 检查预约): the
hospital opens an examination's reserved slots, the clinic pulls them and books the last free one
offline, pushes it (the hub takes the slot), the desk confirms, examines and writes a critical
report through its own web routes (signed in, CSRF, as a browser posts them), the clinic pulls the
report (findings, impression, reporter, 互认, critical) into the booking's page, the header's
critical mark and the resident's timeline, acknowledges it, and the acknowledgement reaches the
hub. A second booking of the now full day is refused by the hub with its code, said in words,
and cancelled by the clinic without holding a slot."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from clinic_hub import exam_desk, exam_pools
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.exam_bookings import ExamRefused, acknowledge_critical, book, cancel, detail, free_slots
from clinic_tui.data.models import ExamBooking, OutboxEntry, Resident, Staff, utcnow
from clinic_tui.data.remote_requests import clinic_day
from clinic_tui.data.resident_service import timeline
from clinic_tui.data.store import Store
from clinic_tui.sync.engine import run_sync
from clinic_tui.sync.rejections import rejection_text
from tests.hub.web_support import DeskClient, add_staff

from .conftest import database_path
from .sync_helpers import register


def _setup(hub, engine, clinic_settings):
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        doctor = session.execute(select(Staff)).scalars().first()
    return token, settings, resident, doctor


def _desk(hub) -> tuple[DeskClient, str]:
    name = "影像科李医生"
    _staff_id, login = add_staff(hub.engine, "doctor", name=name)
    desk = DeskClient(hub.base_url)
    desk.sign_in(login)
    return desk, name


def test_a_booking_is_answered_with_a_critical_report_and_a_full_day_is_refused_in_words(
    hub, small_clinic, clinic_settings
):
    engine = small_clinic
    token, settings, resident, doctor = _setup(hub, engine, clinic_settings)
    day = clinic_day(utcnow()) + timedelta(days=2)
    with hub.engine.begin() as conn:
        exam_pools.set_pool(conn, "CT_HEAD", day, total=5, reserved=1)
    assert run_sync(engine, settings, token=token).outcome == "ok"
    offered = [(s.day, s.item_code, s.free) for s in free_slots(engine, clinic_day(utcnow()))]
    assert (day, "CT_HEAD", 1) in offered

    values = {"item_code": "CT_HEAD", "day": day, "priority": "urgent", "clinical_diagnosis": "头痛伴呕吐"}
    booking_id, number = book(engine, resident_id=resident.id, values=values, user_id=doctor.id)
    assert (day, "CT_HEAD", 1) not in [(s.day, s.item_code, s.free) for s in free_slots(engine, clinic_day(utcnow()))]
    assert run_sync(engine, settings, token=token).outcome == "ok"
    with read_session(engine) as session:
        assert session.get(OutboxEntry, ("exam_booking", booking_id)) is None  # confirmed by the hub

    desk, reporter = _desk(hub)
    try:
        assert desk.post(f"/desk/exams/{number}/confirmed", {"status": "booked"}).status_code == 303
        assert desk.post(f"/desk/exams/{number}/examined", {"status": "confirmed"}).status_code == 303
        report = {
            "status": "examined",
            "findings": "右侧颞顶部颅骨内板下新月形高密度影，中线左移约 6mm",
            "impression": "右侧急性硬膜下血肿",
            "recognised": "1",
            "critical": "1",
        }
        assert desk.post(f"/desk/exams/{number}/reported", report).status_code == 303
    finally:
        desk.close()

    pulled = run_sync(engine, settings, token=token)
    assert pulled.outcome == "ok", pulled.message
    shown = detail(engine, booking_id)
    assert shown.status == "reported" and shown.day == day and shown.slot_number == 1
    assert [a.to_status for a in shown.answers] == ["confirmed", "examined", "reported"]
    assert shown.report.impression == "右侧急性硬膜下血肿" and shown.report.reporter == reporter
    assert shown.report.recognised and shown.report.critical and shown.needs_critical_ack
    store = Store(Path(database_path(engine)), engine)
    assert store.critical_values() == 1  # the header's red mark
    lines = timeline(engine, resident.id, clinic_day(utcnow())).items
    assert any(i.kind == "exam_booking" and "右侧急性硬膜下血肿" in i.summary and "危急" in i.summary for i in lines)

    acknowledge_critical(engine, booking_id, user_id=doctor.id)
    assert store.critical_values() == 0
    assert run_sync(engine, settings, token=token).outcome == "ok"
    with hub.engine.connect() as conn:
        at_hub = exam_desk.find(conn, number)
    assert at_hub.critical_ack_by == doctor.name and at_hub.critical_ack_at is not None

    # The pool, as the clinic last saw it, is full: the form refuses the day...
    try:
        book(engine, resident_id=resident.id, values=values, user_id=doctor.id)
    except ExamRefused as refused:
        assert [p.code for p in refused.problems] == ["exam.no_free_slot"]
    else:
        raise AssertionError("a full day was booked")
    # ...and a booking made before the clinic knew it (written straight as an older pull allowed)
    # is refused by the hub with its code, said in words, and cancelled without a slot.
    with unit_of_work(engine) as session:
        first = session.get(ExamBooking, booking_id)
        late = ExamBooking(
            **{
                **first.model_dump(exclude={"id", "revision", "created_at", "updated_at", "critical_ack_at"}),
                "booking_no": number[:-4] + "0099",
                "critical_ack_by": None,
            }
        )
        from clinic_tui.data import records

        records.create(session, late, doctor.id)
        late_id = late.id
    assert run_sync(engine, settings, token=token).outcome in ("ok", "rejected")
    refused_page = detail(engine, late_id)
    code, params, message = refused_page.refusal
    assert code == "no_exam_slots_left" and params == {"item": "头颅CT平扫", "day": day.isoformat()}
    assert "头颅CT平扫" in rejection_text(code, params, message) and refused_page.can_cancel
    cancel(engine, late_id, user_id=doctor.id)
    assert run_sync(engine, settings, token=token).outcome == "ok"
    with read_session(engine) as session:
        assert session.get(OutboxEntry, ("exam_booking", late_id)) is None
    assert detail(engine, late_id).status == "cancelled"
    with hub.engine.connect() as conn:
        assert exam_desk.find(conn, number[:-4] + "0099").status == "cancelled"
        assert exam_pools.pools(conn, day, 1)[("CT_HEAD", day)].used == 1  # the late one took nothing
