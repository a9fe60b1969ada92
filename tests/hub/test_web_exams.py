"""The web desk's examination pages (/desk/exams) and the examination pools on /desk/pools (issue
18, 检查预约), over real HTTP on SQLite and PostgreSQL: an administrator opens an examination's
slots for a range of days (published to the clinics); the queue by day, urgent first; a booking's
page: confirm, reschedule (a full day needs a reason to go over the quota), examined, the report
signed by the signed-in user; a return needs its reason; a viewer is refused; every move audited."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from clinic_hub import exam_desk, exam_pools
from clinic_hub.models import ExamBooking, table_of

from .conftest import pull_all, push
from .exam_support import make_booking
from .web_support import DeskClient, add_staff, audit_actions

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def _staff(hub, role: str) -> DeskClient:
    name = f"{role}{uuid.uuid4().hex[:4]}"
    staff_id, login = add_staff(hub.engine, role, name=name)
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    client.staff_id = staff_id  # type: ignore[attr-defined]
    client.name = name  # type: ignore[attr-defined]
    return client


def _day(hub, offset: int) -> date:
    return exam_desk.today() + timedelta(days=offset + 3 * (hub.backend == "postgresql"))


def test_an_administrator_opens_an_examinations_slots_and_the_clinics_receive_them(hub):
    admin = _staff(hub, "admin")
    first = _day(hub, 1)
    cursor = hub.cursor_now()
    form = {"item": "MRI_LSPINE", "first": first.isoformat(), "last": (first + timedelta(days=2)).isoformat()}
    saved = admin.post("/desk/pools/exams", {**form, "total": "9", "reserved": ""})
    assert saved.status_code == 303, saved.text[:400]
    page = admin.get(saved.headers["location"]).text
    assert "已保存 腰椎MRI 的 3 天" in page and "检查号源" in page
    refused = admin.post("/desk/pools/exams", {**form, "total": "3", "reserved": "5"})
    assert refused.status_code == 422 and "预留" in refused.text
    _code, token = hub.new_clinic()
    with hub.client(token) as client:
        changes, _ = pull_all(client, cursor)
    pools = {c["data"]["day"]: c["data"] for c in changes if c["kind"] == "exam_pool"}
    assert pools[first.isoformat()]["reserved_for_primary"] == 3  # a third of 9 by default
    assert pools[first.isoformat()]["item_name"] == "腰椎MRI"
    desk = _staff(hub, "desk")
    assert desk.post("/desk/pools/exams", {**form, "total": "9"}).status_code == 403  # only the admin sets


def test_the_desk_confirms_reschedules_over_quota_examines_and_reports(hub):
    day, later = _day(hub, 20), _day(hub, 21)
    with hub.engine.begin() as conn:
        exam_pools.set_pool(conn, "GASTRO", day, 4, 2)
        exam_pools.set_pool(conn, "GASTRO", later, 1, 0)  # nothing reserved that day
    code, token = hub.new_clinic()
    cursor = hub.cursor_now()
    routine, urgent = make_booking(code, day, "GASTRO"), make_booking(code, day, "GASTRO", priority="urgent")
    with hub.client(token) as client:
        assert [r["status"] for r in push(client, [routine, urgent]).json()["results"]] == ["accepted", "accepted"]
    number = routine["data"]["booking_no"]
    desk = _staff(hub, "doctor")
    queue = desk.get(f"/desk/exams?day={day.isoformat()}").text
    assert queue.index(urgent["data"]["booking_no"]) < queue.index(number)
    assert "胃镜" in queue and "李秀英" in queue and "已预约" in queue
    page = desk.get(f"/desk/exams/{number}").text
    assert "空腹 8 小时" in page and "头痛待查" in page  # the preparation and the clinic's diagnosis
    assert desk.post(f"/desk/exams/{number}/confirmed", {"status": "booked"}).status_code == 303
    full = desk.post(f"/desk/exams/{number}/rescheduled", {"status": "confirmed", "day": later.isoformat()})
    assert full.status_code == 409 and "已用完" in full.text
    moved = desk.post(
        f"/desk/exams/{number}/rescheduled",
        {"status": "confirmed", "day": later.isoformat(), "over_quota_reason": "内镜室周六加班"},
    )
    assert moved.status_code == 303
    assert desk.post(f"/desk/exams/{number}/examined", {"status": "rescheduled"}).status_code == 303
    bare = desk.post(f"/desk/exams/{number}/reported", {"status": "examined", "findings": "", "impression": "x"})
    assert bare.status_code == 422
    report = {"status": "examined", "findings": "胃窦黏膜充血水肿", "impression": "慢性非萎缩性胃炎", "recognised": "1"}
    assert desk.post(f"/desk/exams/{number}/reported", report).status_code == 303
    shown = desk.get(f"/desk/exams/{number}?done=reported").text
    assert "慢性非萎缩性胃炎" in shown and desk.name in shown and "已报告" in shown  # type: ignore[attr-defined]
    with hub.client(token) as client:
        changes, _ = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "exam_event" and c["data"]["booking_no"] == number]
    assert [e["to_status"] for e in events] == ["confirmed", "rescheduled", "examined", "reported"]
    assert events[-1]["reporter"] == desk.name and events[-1]["day"] == later.isoformat()  # type: ignore[attr-defined]
    actions = [a for a, _status, _ids in audit_actions(hub.engine, desk.staff_id)]  # type: ignore[attr-defined]
    assert {"web.exams", "web.exams.booking", "web.exams.confirmed", "web.exams.reported"} <= set(actions)


def test_a_return_needs_its_reason_and_a_viewer_is_refused(hub):
    day = _day(hub, 30)
    with hub.engine.begin() as conn:
        exam_pools.set_pool(conn, "CT_HEAD", day, 3, 1)
    code, token = hub.new_clinic()
    booking = make_booking(code, day)
    with hub.client(token) as client:
        assert push(client, [booking]).json()["results"][0]["status"] == "accepted"
    number = booking["data"]["booking_no"]
    desk = _staff(hub, "desk")
    bare = desk.post(f"/desk/exams/{number}/returned", {"status": "booked", "reason": " "})
    assert bare.status_code == 422 and "原因" in bare.text
    assert (
        desk.post(f"/desk/exams/{number}/returned", {"status": "booked", "reason": "对比剂过敏史"}).status_code == 303
    )
    late = desk.post(f"/desk/exams/{number}/confirmed", {"status": "booked"})
    assert late.status_code == 409
    viewer = _staff(hub, "viewer")
    assert viewer.get("/desk/exams").status_code == 403
    assert viewer.post(f"/desk/exams/{number}/confirmed", {"status": "returned"}).status_code == 403
    assert desk.get("/desk/exams/C1-20250101-E0001").status_code == 404
    desk.http.cookies.set("desk_lang", "en")
    english = desk.get(f"/desk/exams/{number}").text
    assert "Examination booking" in english and "Returned" in english and "对比剂过敏史" in english


def test_the_indicators_show_the_examination_queues_turnaround(hub):
    """Issue 18: bookings reported in the month, the median booked -> reported and examined ->
    reported. The desk's real moves, then the times set into a month no other test reports in."""
    day = _day(hub, 40)
    with hub.engine.begin() as conn:
        exam_pools.set_pool(conn, "DR_CHEST", day, 6, 3)
    code, token = hub.new_clinic()
    bookings = [make_booking(code, day, "DR_CHEST") for _ in range(2)]
    with hub.client(token) as client:
        assert [r["status"] for r in push(client, bookings).json()["results"]] == ["accepted", "accepted"]
    desk = _staff(hub, "doctor")
    report = {"status": "examined", "findings": "双肺纹理清晰", "impression": "胸部未见明显异常"}
    for booking in bookings:
        number = booking["data"]["booking_no"]
        assert desk.post(f"/desk/exams/{number}/confirmed", {"status": "booked"}).status_code == 303
        assert desk.post(f"/desk/exams/{number}/examined", {"status": "confirmed"}).status_code == 303
        assert desk.post(f"/desk/exams/{number}/reported", report).status_code == 303
    table = table_of(ExamBooking)
    reported = datetime(2024, 2, 10, 8, tzinfo=UTC)  # 16:00 in China, February 2024
    with hub.engine.begin() as conn:
        for booking, (waited, read) in zip(bookings, ((timedelta(days=3), 30), (timedelta(days=1), 90)), strict=True):
            conn.execute(
                table.update()
                .where(table.c.booking_no == booking["data"]["booking_no"])
                .values(
                    booked_at=reported - waited,
                    examined_at=reported - timedelta(minutes=read),
                    reported_at=reported,
                )
            )
    with hub.engine.connect() as conn:
        assert exam_desk.turnaround(conn, "2024-02") == (2, 2 * 24 * 60, 60)
        assert exam_desk.turnaround(conn, "2024-01") == (0, None, None)
    page = desk.get("/desk/indicators?month=2024-02").text
    assert "检查周转时间（预约至报告）" in page
    assert 'data-key="exam-turnaround">2<' in page
    assert 'data-key="exam-turnaround.booked">2天0小时<' in page
    assert 'data-key="exam-turnaround.examined">1小时0分钟<' in page
    desk.http.cookies.set("desk_lang", "en")
    english = desk.get("/desk/indicators?month=2024-02").text
    assert "Examinations: turnaround (booked to reported)" in english and "2 d 0 h" in english
