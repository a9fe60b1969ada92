"""The web desk's remote reading rooms (issue 18), over real HTTP on SQLite and PostgreSQL: the
queues per room, a request's page, accept, return, schedule, a report with a critical value,
roles, CSRF and the audit log; each answer published to the clinic's next pull."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_hub import remote_desk

from .conftest import pull_all, push
from .remote_support import make_remote
from .web_support import DeskClient, add_staff, audit_actions

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def _staff(hub, role: str) -> DeskClient:
    name = f"{role}医生{uuid.uuid4().hex[:4]}"
    staff_id, login = add_staff(hub.engine, role, name=name)
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    client.staff_id = staff_id  # type: ignore[attr-defined]
    client.name = name  # type: ignore[attr-defined]
    return client


@pytest.fixture
def clinic(hub):
    code, token = hub.new_clinic()
    client = hub.client(token)
    yield code, client
    client.close()


def _send(clinic, **fields) -> str:
    code, client = clinic
    record = make_remote(code, **fields)
    assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    return record["data"]["request_no"]


def _status(hub, number: str) -> str:
    with hub.engine.connect() as conn:
        return remote_desk.get_request(conn, number).status


def test_the_queue_shows_a_room_urgent_first_overdue_marked(hub, clinic):
    now = datetime.now(UTC)
    old = _send(clinic, service="ecg", requested_at=now - timedelta(hours=30))
    urgent = _send(clinic, service="ecg", urgency="urgent", requested_at=now - timedelta(minutes=1))
    ct = _send(clinic, service="imaging_ct")
    desk = _staff(hub, "desk")
    page = desk.get("/desk/remote?room=ecg")
    assert page.status_code == 200
    html = page.text
    assert html.index(urgent) < html.index(old) and ct not in html
    assert "已超时" in html and "心电诊断中心" in html and "待接收" in html
    assert "远程会诊与诊断" in desk.get("/desk/queue").text  # the nav link
    imaging = desk.get("/desk/remote?room=imaging&tab=all").text
    assert ct in imaging and old not in imaging
    assert desk.get("/desk/language/en").status_code == 303
    english = desk.get("/desk/remote?room=ecg").text
    assert "ECG room" in english and "Overdue" in english
    actions = audit_actions(hub.engine, desk.staff_id)
    assert ("web.remote", 200) == actions[-1][:2] and urgent not in str(actions)  # ids, never numbers
    desk.close()


def test_accept_then_report_with_a_critical_value_reaches_the_clinic(hub, clinic):
    number = _send(clinic, service="ecg", urgency="urgent")
    cursor = hub.cursor_now()
    desk, doctor = _staff(hub, "desk"), _staff(hub, "doctor")
    shown = desk.get(f"/desk/remote/{number}").text
    assert "胸闷两小时" in shown and "李秀英" in shown and "心绞痛" in shown and "患者已同意" in shown
    assert "签发报告" not in shown  # the desk does not report
    accepted = desk.post(f"/desk/remote/{number}/accept", {"status": "requested", "note": "已收到"})
    assert accepted.status_code == 303 and _status(hub, number) == "accepted"
    assert "已接收" in desk.get(accepted.headers["location"]).text
    refused = desk.post(f"/desk/remote/{number}/report", {"findings": "x", "conclusion": "y"})
    assert refused.status_code == 403
    form = doctor.get(f"/desk/remote/{number}").text
    assert "签发报告" in form and f"以{doctor.name}的名义签发" in form
    missing_note = doctor.post(
        f"/desk/remote/{number}/report",
        {"status": "accepted", "findings": "ST段抬高", "conclusion": "急性下壁心梗", "critical": "1"},
    )
    assert missing_note.status_code == 422 and "请填写危急值内容" in missing_note.text
    assert "ST段抬高" in missing_note.text  # what was typed is kept
    bad_fee = doctor.post(
        f"/desk/remote/{number}/report",
        {"status": "accepted", "findings": "ST段抬高", "conclusion": "急性下壁心梗", "fee": "三十"},
    )
    assert bad_fee.status_code == 422 and "30.00" in bad_fee.text
    signed = doctor.post(
        f"/desk/remote/{number}/report",
        {
            "status": "accepted",
            "findings": "II、III、aVF 导联 ST 段抬高",
            "conclusion": "急性下壁心肌梗死",
            "advice": "立即转诊",
            "critical": "1",
            "critical_note": "急性心梗",
            "service_item_code": "310701001",
            "fee": "30",
        },
    )
    assert signed.status_code == 303 and _status(hub, number) == "reported"
    page = doctor.get(signed.headers["location"]).text
    assert "急性下壁心肌梗死" in page and "机构尚未确认" in page and "30.00" in page
    assert number in desk.get("/desk/remote?room=ecg&tab=reported").text
    queue = desk.get("/desk/remote?room=consult").text
    assert "机构尚未确认的危急值" in queue and number in queue  # listed from every room
    code, client = clinic
    changes, _ = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "remote_event" and c["data"]["request_no"] == number]
    assert [e["to_status"] for e in events] == ["accepted", "reported"]
    assert (
        events[1]["critical"] is True and events[1]["reporting_doctor"] == doctor.name and events[1]["fee"] == "30.00"
    )
    actions = [(a, s) for a, s, _ids in audit_actions(hub.engine, doctor.staff_id)]
    # The two refused forms: the page shown again with the reason, audited with its status.
    assert actions.count(("web.remote.request", 422)) == 2 and actions.count(("web.remote.report", 200)) == 1
    desk.close()
    doctor.close()


def test_return_needs_a_reason_and_a_stale_page_is_told_it_was_answered(hub, clinic):
    number = _send(clinic, service="pathology")
    first, second = _staff(hub, "desk"), _staff(hub, "admin")
    blank = first.post(f"/desk/remote/{number}/return", {"status": "requested", "reason": " "})
    assert blank.status_code == 422 and "请填写原因" in blank.text and _status(hub, number) == "requested"
    assert first.post(f"/desk/remote/{number}/return", {"status": "requested", "reason": "切片不清"}).status_code == 303
    late = second.post(f"/desk/remote/{number}/accept", {"status": "requested"})
    assert late.status_code == 409 and "已由他人处理" in late.text and "已退回" in late.text
    assert _status(hub, number) == "returned"
    assert "该申请当前无需处理" in second.get(f"/desk/remote/{number}").text
    first.close()
    second.close()


def test_a_video_consultation_is_scheduled(hub, clinic):
    number = _send(clinic, service="consult_video")
    desk = _staff(hub, "desk")
    assert desk.post(f"/desk/remote/{number}/accept", {"status": "requested"}).status_code == 303
    bad = desk.post(f"/desk/remote/{number}/schedule", {"status": "accepted", "date": "tomorrow", "expert": "王"})
    assert bad.status_code == 422 and "请填写会诊日期和时间" in bad.text
    done = desk.post(
        f"/desk/remote/{number}/schedule",
        {"status": "accepted", "date": "2030-01-02", "time": "10:30", "expert": "王主任"},
    )
    assert done.status_code == 303
    page = desk.get(done.headers["location"]).text
    assert "2030-01-02 10:30" in page and "王主任" in page
    desk.close()


def test_roles_csrf_and_unknown_numbers(hub, clinic):
    number = _send(clinic, service="ecg")
    desk = _staff(hub, "desk")
    viewer = _staff(hub, "viewer")
    assert viewer.get("/desk/remote").status_code == 403
    assert viewer.get(f"/desk/remote/{number}").status_code == 403
    assert viewer.post(f"/desk/remote/{number}/accept", {"status": "requested"}).status_code == 403
    assert desk.post(f"/desk/remote/{number}/accept", {"status": "requested"}, csrf=None).status_code == 403
    assert desk.post(f"/desk/remote/{number}/accept", {"status": "requested"}, csrf="forged").status_code == 403
    assert _status(hub, number) == "requested"
    anonymous = DeskClient(hub.base_url)
    assert anonymous.get("/desk/remote").status_code == 303
    assert anonymous.post(f"/desk/remote/{number}/accept", {}).status_code == 401
    missing = desk.get("/desk/remote/C1-20250101-R0001")
    assert missing.status_code == 404 and "未找到申请号" in missing.text
    assert desk.post("/desk/remote/C1-20250101-R0001/accept", {"status": "requested"}).status_code == 404
    odd = desk.get("/desk/remote?room=lab&tab=nothing&page=1")
    assert odd.status_code == 200  # an unknown room or tab shows the first one
    for client in (desk, viewer, anonymous):
        client.close()


def test_the_indicators_show_each_rooms_turnaround(hub, clinic):
    from clinic_hub import directory
    from clinic_hub.accounts import Principal
    from clinic_hub.schemas.remote import ReportRemote

    now = datetime.now(UTC)
    numbers = [
        _send(clinic, service="pathology", requested_at=now - timedelta(minutes=minutes)) for minutes in (30, 90, 600)
    ]
    staff = Principal("cli", "test")
    with hub.engine.begin() as conn:
        before = remote_desk.turnaround(conn, directory.today_in_china().strftime("%Y-%m"))["pathology"][0]
        for number in numbers:
            remote_desk.accept(conn, staff, number)
            remote_desk.report(conn, staff, number, ReportRemote(findings="镜下所见", conclusion="慢性炎症"))
        count, median = remote_desk.turnaround(conn, directory.today_in_china().strftime("%Y-%m"))["pathology"]
    assert count == before + 3
    if before == 0:  # alone in this room this month (the hub is shared by the session's tests)
        assert median is not None and 89 <= median <= 92
    admin = _staff(hub, "admin")
    page = admin.get("/desk/indicators").text
    assert "远程诊断周转时间" in page and "病理诊断中心" in page
    admin.close()
