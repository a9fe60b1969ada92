"""The remote desk (issue 18) through its service and its JSON API, on SQLite and PostgreSQL:
each hospital move published to the requesting clinic's pull (and to no other clinic), illegal
moves refused with codes, the overdue sweep, and two staff accepting the same request at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from clinic_hub import remote_desk
from clinic_hub.accounts import Principal
from clinic_hub.models import AuditLog, table_of
from tests.hub.conftest import pull_all, push
from tests.hub.remote_support import make_remote

CLI = Principal("cli", "test-cron")


def _setup(hub, *requests_kwargs):
    code, token = hub.new_clinic()
    records = [make_remote(code, **kw) for kw in requests_kwargs]
    with hub.client(token) as client:
        for record in records:
            assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    return code, token, [r["data"]["request_no"] for r in records], records


def _events(changes, number):
    return [c["data"] for c in changes if c["kind"] == "remote_event" and c["data"]["request_no"] == number]


def test_queue_lists_a_room_urgent_first_then_oldest(hub):
    now = datetime.now(UTC)
    code, _, numbers, _ = _setup(
        hub,
        {"service": "ecg", "requested_at": now - timedelta(hours=3)},
        {"service": "ecg", "urgency": "urgent", "requested_at": now - timedelta(minutes=5)},
        {"service": "ecg", "requested_at": now - timedelta(hours=30)},
        {"service": "imaging_ct", "urgency": "urgent"},
        {"service": "consult_video", "status": "withdrawn"},
    )
    staff = hub.new_staff("desk")
    with hub.client(staff) as desk:
        ecg = desk.get("/api/v1/remote/requests", params={"room": "ecg", "clinic": code}).json()["requests"]
        assert [r["request_no"] for r in ecg] == [numbers[1], numbers[2], numbers[0]]
        assert [r["overdue"] for r in ecg] == [False, True, False]  # routine: 24 h to accept
        assert ecg[0]["patient_name"] == "李秀英" and ecg[0]["room"] == "ecg"
        imaging = desk.get("/api/v1/remote/requests", params={"room": "imaging", "clinic": code}).json()
        assert [r["request_no"] for r in imaging["requests"]] == [numbers[3]]
        withdrawn = desk.get("/api/v1/remote/requests", params={"clinic": code, "status": "withdrawn"}).json()
        assert [r["request_no"] for r in withdrawn["requests"]] == [numbers[4]]
        one = desk.get(f"/api/v1/remote/requests/{numbers[0]}").json()
        assert one["data"]["question"].startswith("胸闷") and one["history"][0]["to_status"] == "requested"
        assert one["report"] is None
        missing = desk.get("/api/v1/remote/requests/C1-20250101-R0001")
        assert missing.status_code == 404 and missing.json()["code"] == "remote_not_found"
        assert desk.get("/api/v1/remote/requests", params={"room": "lab"}).status_code == 422


def test_each_move_reaches_the_clinics_pull_and_no_other(hub):
    code, token, numbers, records = _setup(hub, {"service": "consult_video"}, {"service": "ecg"})
    video, ecg = numbers
    _, other_token = hub.new_clinic()
    desk_token, doctor_token = hub.new_staff("desk"), hub.new_staff("doctor")
    cursor = hub.cursor_now()
    with hub.client(desk_token) as desk, hub.client(doctor_token) as doctor:
        assert desk.post(f"/api/v1/remote/requests/{video}/accept").status_code == 200
        when = {"scheduled_at": "2025-08-01T10:00:00+08:00", "expert": "王主任"}
        scheduled = desk.post(f"/api/v1/remote/requests/{video}/schedule", json=when)
        assert scheduled.status_code == 200 and scheduled.json()["request"]["status"] == "scheduled"
        moved = desk.post(f"/api/v1/remote/requests/{video}/schedule", json={**when, "expert": "刘主任"})
        assert moved.status_code == 200  # scheduled again: another time or expert
        report = {
            "findings": "窦性心律，II、III、aVF 导联 ST 段抬高",
            "conclusion": "急性下壁心肌梗死",
            "advice": "立即转上级医院",
            "reviewing_doctor": "陈主任",
            "critical": True,
            "critical_note": "急性心梗，已电话通知",
            "service_item_code": "310701001",
            "fee": "30",
        }
        assert desk.post(f"/api/v1/remote/requests/{ecg}/accept", json={"note": "已收到"}).status_code == 200
        assert desk.post(f"/api/v1/remote/requests/{ecg}/report", json=report).status_code == 403  # desk: no
        signed = doctor.post(f"/api/v1/remote/requests/{ecg}/report", json=report)
        assert signed.status_code == 200, signed.text
        assert signed.json()["request"]["critical"] is True
        detail = doctor.get(f"/api/v1/remote/requests/{ecg}").json()
        assert detail["report"]["reporting_doctor"] == "doctor user" and detail["report"]["fee"] == "30.00"
        assert [h["to_status"] for h in detail["history"]] == ["requested", "accepted", "reported"]
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
    video_events = _events(changes, video)
    assert [(e["from_status"], e["to_status"]) for e in video_events] == [
        ("requested", "accepted"),
        ("accepted", "scheduled"),
        ("scheduled", "scheduled"),
    ]
    assert video_events[1]["scheduled_at"] == "2025-08-01T02:00:00+00:00" and video_events[2]["expert"] == "刘主任"
    assert all(e["actor"] == "hospital" and e["actor_name"] == "desk user" for e in video_events)
    assert all(e["request_id"] == records[0]["id"] and e["clinic_id"] == code for e in video_events)
    reported = _events(changes, ecg)[-1]
    assert reported["to_status"] == "reported" and reported["findings"].startswith("窦性心律")
    assert reported["conclusion"] == "急性下壁心肌梗死" and reported["advice"] == "立即转上级医院"
    assert reported["reporting_doctor"] == "doctor user" and reported["reviewing_doctor"] == "陈主任"
    assert reported["critical"] is True and reported["critical_note"] == "急性心梗，已电话通知"
    assert reported["service_item_code"] == "310701001" and reported["fee"] == "30.00"
    assert reported["signed_at"] and reported["actor_name"] == "doctor user"
    with hub.client(other_token) as other:
        theirs, _ = pull_all(other, cursor)
    assert not [c for c in theirs if c["kind"] == "remote_event"]
    with hub.engine.connect() as conn:
        audit = table_of(AuditLog)
        actions = conn.execute(sa.select(audit.c.action).where(audit.c.action.like("remote.%"))).scalars().all()
    assert {"remote.accept", "remote.schedule", "remote.report", "remote.get"} <= set(actions)


def test_bad_input_and_illegal_moves_are_refused_with_codes(hub):
    _, _, numbers, _ = _setup(hub, {"service": "ecg"}, {"service": "ecg"}, {"service": "pathology"})
    ecg, spare, pathology = numbers
    staff, doctor = hub.new_staff("desk"), hub.new_staff("doctor")
    viewer = hub.new_staff("viewer")
    with hub.client(staff) as desk, hub.client(doctor) as doc, hub.client(viewer) as view:
        assert view.get("/api/v1/remote/requests").status_code == 403
        early = doc.post(f"/api/v1/remote/requests/{ecg}/report", json={"findings": "x", "conclusion": "y"})
        assert early.status_code == 409 and early.json()["code"] == "illegal_transition"
        blank = desk.post(f"/api/v1/remote/requests/{ecg}/return", json={"reason": "  "})
        assert blank.status_code == 422 and blank.json()["code"] == "invalid_request"
        not_video = desk.post(
            f"/api/v1/remote/requests/{ecg}/schedule",
            json={"scheduled_at": "2025-08-01T10:00:00+08:00", "expert": "王"},
        )
        assert not_video.status_code == 409 and not_video.json()["code"] == "not_video"
        naive = desk.post(
            f"/api/v1/remote/requests/{ecg}/schedule", json={"scheduled_at": "2025-08-01T10:00:00", "expert": "王"}
        )
        assert naive.status_code == 422
        returned = desk.post(f"/api/v1/remote/requests/{ecg}/return", json={"reason": "心电图图片不清晰，请重新上传"})
        assert returned.status_code == 200 and returned.json()["request"]["status"] == "returned"
        again = desk.post(f"/api/v1/remote/requests/{ecg}/accept")
        assert again.status_code == 409 and again.json()["code"] == "illegal_transition"
        assert desk.post(f"/api/v1/remote/requests/{pathology}/accept").status_code == 200
        no_note = doc.post(
            f"/api/v1/remote/requests/{pathology}/report", json={"findings": "x", "conclusion": "y", "critical": True}
        )
        assert no_note.status_code == 422 and no_note.json()["code"] == "missing_field"
        bad_fee = doc.post(
            f"/api/v1/remote/requests/{pathology}/report", json={"findings": "x", "conclusion": "y", "fee": "thirty"}
        )
        assert bad_fee.status_code == 422
        nul = doc.post(f"/api/v1/remote/requests/{pathology}/report", json={"findings": "x\x00", "conclusion": "y"})
        assert nul.status_code == 422
        extra = desk.post(f"/api/v1/remote/requests/{spare}/accept", json={"note": "x", "surprise": 1})
        assert extra.status_code == 422
        assert desk.post(
            f"/api/v1/remote/requests/{spare}/accept", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code in (400, 422)
        assert desk.get(f"/api/v1/remote/requests/{spare}").json()["status"] == "requested"


def test_the_sweep_marks_late_requests_overdue_and_a_later_accept_still_works(hub):
    now = datetime.now(UTC)
    code, token, numbers, _ = _setup(
        hub,
        {"service": "ecg", "urgency": "urgent", "requested_at": now - timedelta(minutes=31)},
        {"service": "imaging_dr", "urgency": "urgent", "requested_at": now - timedelta(minutes=31)},
        {"service": "imaging_dr", "urgency": "urgent", "requested_at": now - timedelta(hours=2, minutes=1)},
        {"service": "ecg", "requested_at": now - timedelta(hours=23)},
        {"service": "ecg", "requested_at": now - timedelta(hours=25)},
    )
    cursor = hub.cursor_now()
    with hub.engine.begin() as conn:
        swept = remote_desk.sweep_overdue(conn, CLI)
        again = remote_desk.sweep_overdue(conn, CLI)
    assert sorted(n for n in swept if n in numbers) == sorted([numbers[0], numbers[2], numbers[4]])
    assert not [n for n in again if n in numbers]
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
    late = _events(changes, numbers[0])
    assert [(e["to_status"], e["actor"]) for e in late] == [("timed_out", "system")]
    assert "30" in late[0]["reason"]
    staff = hub.new_staff("desk")
    with hub.client(staff) as desk:
        assert desk.get(f"/api/v1/remote/requests/{numbers[0]}").json()["overdue"] is True
        accepted = desk.post(f"/api/v1/remote/requests/{numbers[0]}/accept")
        assert accepted.status_code == 200 and accepted.json()["request"]["overdue"] is False


def test_two_staff_accepting_at_once_one_wins_the_other_is_told(hub):
    _, token, numbers, _ = _setup(hub, *({"service": "ecg"} for _ in range(6)))
    tokens = [hub.new_staff("desk"), hub.new_staff("doctor")]
    cursor = hub.cursor_now()

    def accept(pair):
        number, staff = pair
        with hub.client(staff) as desk:
            return number, desk.post(f"/api/v1/remote/requests/{number}/accept")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(accept, [(n, t) for n in numbers for t in tokens]))
    for number in numbers:
        codes = sorted(r.status_code for n, r in answers if n == number)
        assert codes == [200, 409], (number, codes)
        loser = next(r for n, r in answers if n == number and r.status_code == 409)
        assert loser.json()["code"] == "illegal_transition"
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
    for number in numbers:
        assert [e["to_status"] for e in _events(changes, number)] == ["accepted"]
