"""Examination bookings on the hub (issue 18, 检查预约), on SQLite and PostgreSQL: a pushed booking
takes one reserved slot of its examination and day atomically, the last slot goes to exactly one of
two clinics pushing at once, a full day is refused with ``no_exam_slots_left`` and nothing stored,
a cancellation gives the slot back, a late one is a conflict; the desk's moves (confirm,
reschedule with a reason over quota, return with a reason, examined, report) reach the booking
clinic's pull and no other's; the pools reach every clinic."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from clinic_hub import accounts, exam_desk, exam_pools
from clinic_hub.errors import ApiError
from clinic_hub.models import ExamPool, table_of
from tests.hub.conftest import pull_all, push
from tests.hub.exam_support import make_booking

_pools = table_of(ExamPool)


def _day(hub, offset: int) -> date:
    # Each test its own days far apart: the hub fixture is shared by the module's tests.
    return date(2030, 1, 1) + timedelta(days=offset + 40 * (hub.backend == "postgresql"))


def _open(hub, item: str, day: date, total: int, reserved: int) -> None:
    with hub.engine.begin() as conn:
        exam_pools.set_pool(conn, item, day, total, reserved)


def _used(hub, item: str, day: date) -> tuple[int, int]:
    with hub.engine.connect() as conn:
        row = conn.execute(sa.select(_pools).where(_pools.c.id == exam_pools.pool_id(item, day))).one()
    return row.used, row.over_quota


def _staff(hub, role: str = "desk"):
    with hub.engine.begin() as conn:
        staff_id, _token = accounts.add_staff(conn, "王技师", role)
    return accounts.Principal(kind="staff", id=staff_id, role=role)


def test_the_last_slot_is_taken_once_and_a_full_day_refused_with_its_code(hub):
    day = _day(hub, 1)
    _open(hub, "MRI_HEAD", day, total=6, reserved=2)
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        first, second, third = (make_booking(code, day, "MRI_HEAD") for _ in range(3))
        assert push(client, [first]).json()["results"][0]["status"] == "accepted"
        assert push(client, [second]).json()["results"][0]["status"] == "accepted"
        refused = push(client, [third]).json()["results"][0]
        assert (refused["status"], refused["code"]) == ("rejected", "no_exam_slots_left")
        assert refused["params"] == {"item": "头颅MRI", "day": day.isoformat()}
        assert "已用完" in refused["message"]
        # The same booking again (a resend) takes nothing more.
        assert push(client, [first]).json()["results"][0]["status"] == "duplicate"
    assert _used(hub, "MRI_HEAD", day) == (2, 0)
    with hub.engine.connect() as conn:
        with pytest.raises(ApiError):
            exam_desk.find(conn, third["data"]["booking_no"])  # nothing of the refused one stored


def test_a_day_nobody_opened_has_no_reserved_slot(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        answer = push(client, [make_booking(code, _day(hub, 2), "GASTRO")]).json()["results"][0]
    assert answer["code"] == "no_exam_slots_left"


def test_two_clinics_pushing_for_the_last_slot_at_once_one_gets_it(hub):
    day = _day(hub, 3)
    _open(hub, "US_ABD", day, total=3, reserved=1)
    answers: list[str] = []
    clinics = [hub.new_clinic() for _ in range(2)]
    barrier = threading.Barrier(2)

    def book(code: str, token: str) -> None:
        with hub.client(token) as client:
            record = make_booking(code, day, "US_ABD")
            barrier.wait()
            answers.append(push(client, [record]).json()["results"][0]["status"])

    threads = [threading.Thread(target=book, args=clinic) for clinic in clinics]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) == ["accepted", "rejected"]
    assert _used(hub, "US_ABD", day) == (1, 0)


def test_a_cancellation_gives_the_slot_back_and_a_late_one_is_a_conflict(hub):
    day = _day(hub, 4)
    _open(hub, "CT_CHEST", day, total=3, reserved=1)
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        booking = make_booking(code, day, "CT_CHEST")
        assert push(client, [booking]).json()["results"][0]["status"] == "accepted"
        cancelled = make_booking(
            code,
            day,
            "CT_CHEST",
            status="cancelled",
            revision=2,
            record_id=booking["id"],
            booking_no=booking["data"]["booking_no"],
        )
        assert push(client, [cancelled]).json()["results"][0]["status"] == "accepted"
        assert _used(hub, "CT_CHEST", day) == (0, 0)
        again = make_booking(code, day, "CT_CHEST")
        assert push(client, [again]).json()["results"][0]["status"] == "accepted"
        desk = _staff(hub)
        with hub.engine.begin() as conn:
            exam_desk.mark_examined(conn, desk, again["data"]["booking_no"])
        late = make_booking(
            code,
            day,
            "CT_CHEST",
            status="cancelled",
            revision=2,
            record_id=again["id"],
            booking_no=again["data"]["booking_no"],
        )
        answer = push(client, [late]).json()["results"][0]
    assert (answer["status"], answer["code"]) == ("conflict", "illegal_transition")
    assert _used(hub, "CT_CHEST", day) == (1, 0)
    with hub.engine.connect() as conn:
        assert exam_desk.find(conn, again["data"]["booking_no"]).status == "examined"


def test_a_booking_for_another_clinics_number_or_an_unknown_item_is_refused(hub):
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        foreign = make_booking(code, _day(hub, 5), booking_no="COTHER-20250101-E0001")
        unknown = make_booking(code, _day(hub, 5), item_code="PET_CT")
        answers = push(client, [foreign, unknown]).json()["results"]
    assert [(a["code"], a["params"]) for a in answers] == [
        ("invalid_value", {"field": "booking_no"}),
        ("invalid_value", {"field": "item_code"}),
    ]


def test_the_desks_moves_reach_the_booking_clinic_only_and_a_reschedule_over_quota_needs_a_reason(hub):
    day, later = _day(hub, 6), _day(hub, 7)
    _open(hub, "COLONO", day, total=3, reserved=1)
    _open(hub, "COLONO", later, total=3, reserved=1)
    code, token = hub.new_clinic()
    _other, other_token = hub.new_clinic()
    cursor, other_cursor = hub.cursor_now(), hub.cursor_now()
    filler_code, filler_token = hub.new_clinic()
    with hub.client(filler_token) as filler:  # the later day's reserved slot goes to another clinic
        assert push(filler, [make_booking(filler_code, later, "COLONO")]).json()["results"][0]["status"] == "accepted"
    with hub.client(token) as client:
        booking = make_booking(code, day, "COLONO")
        assert push(client, [booking]).json()["results"][0]["status"] == "accepted"
    number = booking["data"]["booking_no"]
    desk = _staff(hub)
    with hub.engine.begin() as conn:
        exam_desk.confirm(conn, desk, number)
    with hub.engine.begin() as conn, pytest.raises(ApiError) as full:
        exam_desk.reschedule(conn, desk, number, later)
    assert (full.value.status, full.value.code) == (409, "no_exam_slots_left")
    with hub.engine.begin() as conn:
        exam_desk.reschedule(conn, desk, number, later, over_quota_reason="肠镜室加班")
    assert _used(hub, "COLONO", day) == (0, 0) and _used(hub, "COLONO", later) == (1, 1)
    with hub.engine.begin() as conn:
        exam_desk.mark_examined(conn, desk, number)
        exam_desk.report(
            conn, desk, number, "进镜至回盲部，乙状结肠见一 2cm 隆起", "乙状结肠占位，建议活检", critical=True
        )
    with hub.engine.begin() as conn, pytest.raises(ApiError) as late:
        exam_desk.return_booking(conn, desk, number, "禁忌证")
    assert late.value.code == "illegal_transition"
    with hub.client(token) as client:
        changes, _ = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "exam_event" and c["data"]["booking_no"] == number]
    assert [e["to_status"] for e in events] == ["confirmed", "rescheduled", "examined", "reported"]
    assert events[1]["day"] == later.isoformat() and events[1]["reason"] == "肠镜室加班"
    assert events[3]["impression"] == "乙状结肠占位，建议活检" and events[3]["critical"] is True
    assert events[3]["reporter"] == "王技师" and events[3]["recognised"] is True
    pools = {
        c["data"]["day"]: c["data"] for c in changes if c["kind"] == "exam_pool" and c["data"]["item_code"] == "COLONO"
    }
    assert (pools[later.isoformat()]["remaining"], pools[later.isoformat()]["over_quota"]) == (0, 1)
    assert pools[day.isoformat()]["remaining"] == 1  # given back
    with hub.client(other_token) as other:
        theirs, _ = pull_all(other, other_cursor)
    assert not [c for c in theirs if c["kind"] == "exam_event" and c["data"]["booking_no"] == number]
    assert [c for c in theirs if c["kind"] == "exam_pool"]  # the pools reach every clinic
    with hub.engine.connect() as conn:
        assert [r.booking_no for r in exam_desk.unacknowledged_critical(conn)].count(number) == 1


def test_a_return_needs_its_reason_and_gives_the_slot_back(hub):
    day = _day(hub, 8)
    _open(hub, "DR_CHEST", day, total=3, reserved=1)
    code, token = hub.new_clinic()
    with hub.client(token) as client:
        booking = make_booking(code, day, "DR_CHEST")
        assert push(client, [booking]).json()["results"][0]["status"] == "accepted"
    number, desk = booking["data"]["booking_no"], _staff(hub)
    with hub.engine.begin() as conn, pytest.raises(ApiError) as bare:
        exam_desk.return_booking(conn, desk, number, "  ")
    assert (bare.value.status, bare.value.code) == (422, "reason_required")
    with hub.engine.begin() as conn:
        exam_desk.return_booking(conn, desk, number, "妊娠期，禁忌放射检查")
    assert _used(hub, "DR_CHEST", day) == (0, 0)
    with hub.engine.begin() as conn, pytest.raises(ApiError) as taken:
        exam_desk.confirm(conn, desk, number, expected="booked")
    assert taken.value.code == "exam_taken"
