"""The web desk's work, over real HTTP on SQLite and PostgreSQL: the queue's order and pages, one
referral's page, and each answer going through the desk's functions (state machine, reserved
slots taken atomically, published to the clinic's next pull, audited)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from clinic_hub import directory
from clinic_hub.web import pages

from .conftest import BACKENDS, HubServer, make_record, make_referral, pull_all, push
from .web_support import DeskClient, add_staff, audit_actions, referral_status

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture(scope="module", params=BACKENDS)
def own_hub(request, tmp_path_factory):
    """A hub of this module alone: the queue shows every clinic's referrals."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web-hub') / 'hub.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    server = HubServer(request.param, url)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clinic(own_hub):
    code, token = own_hub.new_clinic()
    client = own_hub.client(token)
    yield code, client
    client.close()


def _nurse(hub, role: str = "desk") -> DeskClient:
    staff_id, login = add_staff(hub.engine, role)
    client = DeskClient(hub.base_url)
    client.sign_in(login)
    client.staff_id = staff_id
    return client


def _send(clinic, **fields) -> str:
    code, client = clinic
    record = make_referral(code, **fields)
    answer = push(client, [record])
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted", answer.text
    return record["data"]["referral_no"]


def _numbers(html: str) -> list[str]:
    return re.findall(r'<a href="/desk/referrals/[^"]+">([^<]+)</a>', html)


def _pool(hub, department: str, total: int, reserved: int):
    day = directory.today_in_china() + timedelta(days=2)
    with hub.engine.begin() as conn:
        directory.set_slots(conn, department, day, total, reserved)
    return day


def test_the_queue_puts_the_green_channel_first_then_waiting_time_and_pages(own_hub, clinic, monkeypatch):
    normal_old = _send(clinic, urgency="normal")
    urgent = _send(clinic, urgency="urgent")
    normal_new = _send(clinic, urgency="normal")
    emergency = _send(clinic, urgency="emergency")
    _send(clinic, status="draft")  # not sent yet: not in the queue
    nurse = _nurse(own_hub)
    page = nurse.get("/desk/queue")
    assert page.status_code == 200
    assert _numbers(page.text) == [emergency, urgent, normal_old, normal_new]
    assert "急诊（绿色通道）" in page.text and "已等待" in page.text
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    first, second = nurse.get("/desk/queue?page=1").text, nurse.get("/desk/queue?page=2").text
    assert _numbers(first) == [emergency, urgent, normal_old] and _numbers(second) == [normal_new]
    assert "下一页" in first and "下一页" not in second and "上一页" in second
    ((action, status, ids),) = [a for a in audit_actions(own_hub.engine, nurse.staff_id) if a[0] == "web.queue"][-1:]
    assert status == 200 and len(ids) == 1  # the patient data shown is audited, by record id
    nurse.close()


def test_the_referral_page_shows_the_slip_the_follow_ups_and_is_audited(own_hub, clinic):
    code, client = clinic
    resident = str(uuid.uuid4())
    followup = make_record(
        "followup",
        code,
        resident_id=resident,
        disease="hypertension",
        followup_date="2026-11-01",
        sbp=168,
        dbp=102,
        classification="2",
    )
    assert push(client, [followup]).status_code == 200
    number = _send(
        clinic,
        resident_id=resident,
        chief_complaint="头晕三天<script>alert(1)</script>",
        diagnoses=[{"code": "I10", "name": "原发性高血压"}],
        medications=[{"drug": "氨氯地平", "dose": "5", "unit": "mg", "frequency": "qd"}],
    )
    nurse = _nurse(own_hub)
    page = nurse.get(f"/desk/referrals/{number}")
    assert page.status_code == 200
    for shown in (
        "王小明",
        "11010519491231002X",
        "血压控制不佳",
        "I10 原发性高血压",
        "氨氯地平",
        "5 mg",
        "168/102",
        "控制不满意",
        "接收并预约基层预留号",
        "拒绝转诊",
    ):
        assert shown in page.text, shown
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    actions = audit_actions(own_hub.engine, nurse.staff_id)
    assert actions[-1][0] == "web.referral" and followup["id"] in actions[-1][2]
    assert nurse.get("/desk/referrals/NOPE-20250101-0001").status_code == 404
    nurse.close()


def test_two_nurses_booking_the_last_reserved_slot_one_gets_it_the_other_is_told(own_hub, clinic):
    department = own_hub.new_department()
    day = _pool(own_hub, department, total=3, reserved=1)
    first, second = _send(clinic), _send(clinic)
    nurses = [_nurse(own_hub), _nurse(own_hub)]
    start = threading.Barrier(2)
    answers = {}

    def book(nurse, number):
        start.wait()
        answers[number] = nurse.post(
            f"/desk/referrals/{number}/accept", {"department": department, "date": day.isoformat(), "time": "09:30"}
        )

    threads = [threading.Thread(target=book, args=pair) for pair in zip(nurses, (first, second), strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    codes = sorted(answer.status_code for answer in answers.values())
    assert codes == [303, 409]
    loser = next(number for number, answer in answers.items() if answer.status_code == 409)
    assert "基层预留号源已用完" in answers[loser].text
    assert referral_status(own_hub.engine, loser) == "sent"
    winner_nurse = next(n for n, no in zip(nurses, (first, second), strict=False) if no != loser)
    loser_nurse = next(n for n in nurses if n is not winner_nurse)
    form = {"department": department, "date": day.isoformat(), "time": "10:00", "over_quota": "1"}
    no_reason = loser_nurse.post(f"/desk/referrals/{loser}/accept", form)
    assert no_reason.status_code == 422 and "超额预约须填写理由" in no_reason.text
    over = loser_nurse.post(f"/desk/referrals/{loser}/accept", {**form, "over_quota_reason": "急诊绿色通道"})
    assert over.status_code == 303 and over.headers["location"].endswith("?done=accepted")
    assert referral_status(own_hub.engine, loser) == "accepted"
    with own_hub.engine.connect() as conn:
        pool = conn.execute(
            sa.text("SELECT used, over_quota FROM slot_pool WHERE department_code = :d AND day = :day"),
            {"d": department, "day": day},
        ).one()
    assert tuple(pool) == (1, 1)
    assert [a[1] for a in audit_actions(own_hub.engine, loser_nurse.staff_id) if a[0] == "web.accept"] == [409, 200]
    for nurse in nurses:
        nurse.close()


def test_answers_follow_the_state_machine_and_reach_the_clinics_pull(own_hub, clinic):
    code, client = clinic
    cursor = own_hub.cursor_now()
    department = own_hub.new_department()
    day = _pool(own_hub, department, total=9, reserved=3)
    nurse = _nurse(own_hub)
    rejected, accepted = _send(clinic), _send(clinic)
    assert nurse.post(f"/desk/referrals/{rejected}/reject", {"reason": "  "}).status_code == 422
    assert nurse.post(f"/desk/referrals/{rejected}/reject", {"reason": "本院无此专科"}).status_code == 303
    illegal = nurse.post(f"/desk/referrals/{accepted}/arrive")
    assert illegal.status_code == 409 and "不允许的状态变更" in illegal.text
    assert (
        nurse.post(
            f"/desk/referrals/{accepted}/accept",
            {"department": department, "date": day.isoformat(), "time": "08:30", "doctor": "张主任"},
        ).status_code
        == 303
    )
    assert nurse.post(f"/desk/referrals/{accepted}/arrive", {"note": "已到门诊"}).status_code == 303
    page = nurse.get(f"/desk/referrals/{accepted}?done=arrived")
    assert "已登记到诊" in page.text and "下转回基层" in page.text and "08:30" in page.text
    down = nurse.post(
        f"/desk/referrals/{accepted}/send-down",
        {
            "diagnoses": "I10 原发性高血压\n高血压肾病",
            "outcome": "2",
            "treatment_plan": "继续降压",
            "followup": "14 复查血压",
            "department": department,
        },
    )
    assert down.status_code == 303
    number = re.search(r"number=([^&]+)", down.headers["location"]).group(1)
    assert referral_status(own_hub.engine, accepted) == "arrived"

    changes, _cursor = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "referral_event"]
    assert [(e["referral_no"], e["to_status"]) for e in events] == [
        (rejected, "rejected"),
        (accepted, "accepted"),
        (accepted, "arrived"),
    ]
    assert events[0]["reason"] == "本院无此专科" and events[1]["appointment_doctor"] == "张主任"
    (downward,) = [c["data"] for c in changes if c["kind"] == "referral"]
    assert downward["referral_no"] == number and downward["direction"] == "down"
    assert downward["discharge_diagnoses"][0] == {"code": "I10", "name": "原发性高血压", "system": "ICD-10"}
    assert downward["discharge_diagnoses"][1]["name"] == "高血压肾病"
    assert downward["followup_schedule"] == [{"after_days": 14, "what": "复查血压"}]
    assert downward["patient_name"] == "王小明"
    assert [
        a[0]
        for a in audit_actions(own_hub.engine, nurse.staff_id)
        if a[1] == 200 and a[0] not in ("web.referral", "web.queue")
    ][-5:] == ["web.sign_in", "web.reject", "web.accept", "web.arrived", "web.send_down"]
    nurse.close()


def test_a_department_doctor_sends_down_but_does_not_answer(own_hub, clinic):
    department = own_hub.new_department()
    day = _pool(own_hub, department, total=9, reserved=3)
    nurse, doctor = _nurse(own_hub), _nurse(own_hub, "doctor")
    number = _send(clinic)
    nurse.post(f"/desk/referrals/{number}/accept", {"department": department, "date": day.isoformat(), "time": "09:00"})
    assert doctor.post(f"/desk/referrals/{number}/arrive").status_code == 403
    nurse.post(f"/desk/referrals/{number}/arrive")
    assert "下转回基层" in doctor.get(f"/desk/referrals/{number}").text
    assert number in doctor.get("/desk/queue?tab=arrived").text
    answer = doctor.post(
        f"/desk/referrals/{number}/send-down",
        {"diagnoses": "I10 原发性高血压", "treatment_plan": "继续降压", "outcome": "3"},
    )
    assert answer.status_code == 303
    for client in (nurse, doctor):
        client.close()


def test_english_on_request(own_hub):
    nurse = _nurse(own_hub)
    assert nurse.get("/desk/language/en?next=/desk/queue").headers["location"] == "/desk/queue"
    page = nurse.get("/desk/queue")
    assert "Incoming upward referrals" in page.text and 'lang="en"' in page.text
    nurse.get("/desk/language/zh?next=/desk/queue")
    assert "上转转诊申请" in nurse.get("/desk/queue").text
    nurse.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_indexed_queue_pages_match_one_sort_of_everything(fresh_db, monkeypatch, backend):
    """The queue reads a page urgency by urgency from the index; the order is the desk's own: the
    page equals one sort of everything (clinic_hub.desk.QUEUE_ORDER), as the API's list gives it."""
    import importlib.util
    from pathlib import Path

    from clinic_hub import desk, migrate
    from clinic_hub.db import make_engine
    from clinic_hub.web import queue_views

    spec = importlib.util.spec_from_file_location(
        "desk_bench", Path(__file__).resolve().parents[2] / "bench" / "hub_desk_queue.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    monkeypatch.setattr(bench, "REFERRALS", 600)
    engine = make_engine(fresh_db(backend))
    migrate.upgrade(engine)
    bench.fill(engine)
    with engine.begin() as conn:  # ties on sent_at are broken by the referral number
        conn.execute(
            sa.text("UPDATE referral SET sent_at = (SELECT min(sent_at) FROM referral) WHERE referral_no LIKE '%0'")
        )
    with engine.connect() as conn:
        for status in queue_views.INDEXED_TABS:
            total = conn.execute(sa.text("SELECT count(*) FROM referral WHERE status = :s"), {"s": status}).scalar()
            for offset in (0, 7, 30, total - 5, total):
                indexed = [r.referral_no for r in queue_views._indexed_page(conn, status, 20, offset)]
                assert indexed == [r.referral_no for r in queue_views._sorted_page(conn, status, 20, offset)]
                assert indexed == [r.referral_no for r in desk.list_referrals(conn, status, limit=20, offset=offset)]
            assert len(queue_views.queue_page(conn, status, total + 1, 0)) == total
    engine.dispose()


def test_a_doctor_of_a_department_sees_only_the_referrals_booked_into_it(own_hub, clinic):
    mine, other = own_hub.new_department(), own_hub.new_department()
    day = _pool(own_hub, mine, total=9, reserved=3)
    _pool(own_hub, other, total=9, reserved=3)
    nurse = _nurse(own_hub)
    booked_here, booked_there = _send(clinic), _send(clinic)
    for number, department in ((booked_here, mine), (booked_there, other)):
        assert (
            nurse.post(
                f"/desk/referrals/{number}/accept", {"department": department, "date": day.isoformat(), "time": "09:00"}
            ).status_code
            == 303
        )
    staff_id, login = add_staff(own_hub.engine, "doctor")
    from clinic_hub.web import auth as web_auth

    with own_hub.engine.begin() as conn:
        web_auth.set_password(conn, staff_id, "correct horse battery", department_code=mine)
    doctor = DeskClient(own_hub.base_url)
    doctor.sign_in(login)
    queue = doctor.get("/desk/queue").text  # a doctor's queue opens on "awaiting arrival"
    assert _numbers(queue) == [booked_here] and "预约至" in queue
    assert doctor.get(f"/desk/referrals/{booked_here}").status_code == 200
    refused = doctor.get(f"/desk/referrals/{booked_there}")
    assert refused.status_code == 403 and "该转诊预约在其他科室" in refused.text
    assert (
        doctor.post(
            f"/desk/referrals/{booked_there}/send-down", {"diagnoses": "I10 原发性高血压", "treatment_plan": "继续降压"}
        ).status_code
        == 403
    )
    for client in (nurse, doctor):
        client.close()


def test_the_administrator_sees_the_clinics_and_the_audit_log(own_hub, clinic):
    code, _client = clinic
    quiet_code, _token = own_hub.new_clinic("不上传的卫生室")
    admin, nurse = _nurse(own_hub, "admin"), _nurse(own_hub)
    page = admin.get("/desk/admin/clinics")
    assert page.status_code == 200 and code in page.text and quiet_code in page.text and "从未" in page.text
    log = admin.get(f"/desk/admin/audit?actor={nurse.staff_id}")
    assert log.status_code == 200 and "web.queue" in log.text and "web.sign_in" in log.text
    assert "web.queue" not in admin.get(f"/desk/admin/audit?actor={nurse.staff_id}&action=web.sign").text
    for path in ("/desk/admin/clinics", "/desk/admin/audit"):
        assert nurse.get(path).status_code == 403
    for client in (admin, nurse):
        client.close()
