"""The web desk's lab pages (issue 18, tests at the lead hospital), over real HTTP on SQLite and
PostgreSQL: the queue urgent first, an order's page, receive, results per test with a critical
value flagged from the catalogue's ranges, reject with a reason, the exceptions list, roles, the
audit log; each move published to the clinic's next pull."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clinic_hub import lab_desk

from .conftest import pull_all, push
from .lab_support import make_order
from .remote_support import revised
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


@pytest.fixture
def clinic(hub):
    code, token = hub.new_clinic()
    client = hub.client(token)
    yield code, client
    client.close()


def _send(clinic, **fields) -> tuple[str, dict]:
    code, client = clinic
    record = make_order(code, **fields)
    assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    return record["data"]["order_no"], record


def _status(hub, number: str) -> str:
    with hub.engine.connect() as conn:
        return lab_desk.get_order(conn, number).status


def test_the_queue_puts_urgent_first_and_a_viewer_is_refused(hub, clinic):
    now = datetime.now(UTC)
    old, _ = _send(clinic, ordered_at=now - timedelta(hours=5))
    urgent, _ = _send(clinic, priority="urgent", ordered_at=now - timedelta(minutes=1))
    desk = _staff(hub, "desk")
    html = desk.get("/desk/lab").text
    assert html.index(urgent) < html.index(old)
    assert "等待标本" in html and "血钾、血钠、肌酐" in html and "血清" in html and "急" in html
    assert "检验" in desk.get("/desk/queue").text  # the nav link
    assert desk.get("/desk/language/en").status_code == 303
    assert "Awaiting the specimen" in desk.get("/desk/lab").text
    viewer = _staff(hub, "viewer")
    assert viewer.get("/desk/lab").status_code == 403
    assert viewer.post(f"/desk/lab/{old}/receive", {"status": "sent"}).status_code == 403
    assert _status(hub, old) == "sent"
    actions = audit_actions(hub.engine, desk.staff_id)
    assert ("web.lab", 200) == actions[-1][:2] and urgent not in str(actions)
    for client in (desk, viewer):
        client.close()


def test_a_lab_nurse_receives_and_enters_results_with_a_critical_value(hub, clinic):
    number, record = _send(clinic, priority="urgent")
    cursor = hub.cursor_now()
    nurse = _staff(hub, "desk")
    page = nurse.get(f"/desk/lab/{number}").text
    assert "李秀英" in page and "S0012345" in page and "王护士" in page and "接收标本" in page
    received = nurse.post(f"/desk/lab/{number}/receive", {"status": "sent"})
    assert received.status_code == 303 and _status(hub, number) == "received"
    form = nurse.get(received.headers["location"]).text
    assert "录入结果" in form and "3.5-5.3" in form and "mmol/L" in form
    missing = nurse.post(f"/desk/lab/{number}/results", {"status": "received", "value_K": "6.8", "value_NA": "139"})
    assert missing.status_code == 422 and "还没有结果" in missing.text and "CREA" in missing.text
    assert 'value="6.8"' in missing.text  # what was typed is kept
    done = nurse.post(
        f"/desk/lab/{number}/results",
        {
            "status": "received",
            "value_K": "6.8",
            "value_NA": "139",
            "value_CREA": "130",
            "reviewer": "赵主任",
            "recognised": "1",
        },
    )
    assert done.status_code == 303 and _status(hub, number) == "reported"
    shown = nurse.get(done.headers["location"]).text
    assert "危急值" in shown and "机构尚未确认" in shown and "互认" in shown and "赵主任" in shown
    assert number in nurse.get("/desk/lab").text.split("</section>")[0]  # the critical list, first
    assert "检验周转时间" in nurse.get("/desk/indicators").text  # turnaround, ordered -> reported
    code, client = clinic
    changes, _ = pull_all(client, cursor)
    events = [c["data"] for c in changes if c["kind"] == "lab_event" and c["data"]["order_no"] == number]
    assert [e["to_status"] for e in events] == ["received", "reported"]
    assert [r["flag"] for r in events[1]["results"]] == ["critical", "N", "H"] and events[1]["reporter"] == nurse.name
    acked = revised(record, critical_ack_at=datetime.now(UTC).isoformat(), critical_ack_by="张医生")
    assert push(client, [acked]).json()["results"][0]["status"] == "accepted"
    assert "张医生" in nurse.get(f"/desk/lab/{number}").text
    actions = [(a, s) for a, s, _ids in audit_actions(hub.engine, nurse.staff_id)]
    assert ("web.lab.order", 422) in actions and ("web.lab.report", 200) in actions
    nurse.close()


def test_a_rejection_needs_a_reason_and_a_stale_page_is_told(hub, clinic):
    number, _ = _send(clinic)
    first, second = _staff(hub, "desk"), _staff(hub, "doctor")
    blank = first.post(f"/desk/lab/{number}/reject", {"status": "sent", "reason": " "})
    assert blank.status_code == 422 and "请填写原因" in blank.text and _status(hub, number) == "sent"
    assert first.post(f"/desk/lab/{number}/reject", {"status": "sent", "reason": "标本溶血"}).status_code == 303
    late = second.post(f"/desk/lab/{number}/receive", {"status": "sent"})
    assert late.status_code == 409 and "已由他人处理" in late.text and "已拒收" in late.text
    assert "标本溶血" in second.get(f"/desk/lab/{number}").text
    missing = second.get("/desk/lab/C1-20250101-L0009")
    assert missing.status_code == 404
    first.close()
    second.close()


def test_a_cancellation_after_receipt_shows_on_the_exceptions_list(hub, clinic):
    number, record = _send(clinic)
    desk = _staff(hub, "admin")
    assert desk.post(f"/desk/lab/{number}/receive", {"status": "sent"}).status_code == 303
    _code, client = clinic
    late = revised(record, status="cancelled")
    assert push(client, [late]).json()["results"][0]["code"] == "illegal_transition"
    listed = desk.get("/desk/lab?tab=exceptions").text
    assert number in listed and "撤销或删除" in listed
    assert "开单机构已撤销" in desk.get(f"/desk/lab/{number}").text
    desk.close()
