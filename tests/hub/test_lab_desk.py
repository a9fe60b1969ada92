"""The lab desk (issue 18, tests at the lead hospital) through its JSON API, on SQLite and
PostgreSQL: the queues urgent first, receive, reject with a reason, results per test with flags
computed from the catalogue and critical values listed until the clinic acknowledges, each move
published to the ordering clinic's pull (and no other's), unknown and cancelled orders refused
with codes, roles enforced, every call audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from clinic_hub import lab_desk
from clinic_hub.models import AuditLog, table_of
from tests.hub.conftest import pull_all, push
from tests.hub.lab_support import RESULTS, make_order
from tests.hub.remote_support import revised

API = "/api/v1/lab/orders"


def _setup(hub, *orders_kwargs):
    code, token = hub.new_clinic()
    records = [make_order(code, **kw) for kw in orders_kwargs]
    with hub.client(token) as client:
        for record in records:
            assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    return code, token, [r["data"]["order_no"] for r in records], records


def _events(changes, number):
    return [c["data"] for c in changes if c["kind"] == "lab_event" and c["data"]["order_no"] == number]


def test_the_queues_put_urgent_first_then_the_oldest(hub):
    now = datetime.now(UTC)
    code, _, numbers, _ = _setup(
        hub,
        {"ordered_at": now - timedelta(hours=3)},
        {"priority": "urgent", "ordered_at": now - timedelta(minutes=5)},
        {"ordered_at": now - timedelta(hours=30)},
        {"status": "ordered"},  # not sent yet: in no queue of the lab
    )
    with hub.client(hub.new_staff("desk")) as desk:
        awaiting = desk.get(API, params={"queue": "awaiting", "clinic": code}).json()["orders"]
        assert [o["order_no"] for o in awaiting] == [numbers[1], numbers[2], numbers[0]]
        assert awaiting[0]["patient_name"] == "李秀英" and awaiting[0]["barcode"] == "S0012345"
        assert desk.post(f"{API}/{numbers[1]}/receive").status_code == 200
        received = desk.get(API, params={"queue": "received", "clinic": code}).json()["orders"]
        assert [o["order_no"] for o in received] == [numbers[1]]
        assert desk.get(API, params={"queue": "lost"}).status_code == 422
        missing = desk.get(f"{API}/C1-20250101-L0001")
        assert missing.status_code == 404 and missing.json()["code"] == "lab_not_found"
    with hub.engine.connect() as conn:
        assert lab_desk.queue_counts(conn)["received"] >= 1


def test_results_with_a_critical_value_reach_the_clinics_pull_and_no_other(hub):
    code, token, (number,), records = _setup(hub, {})
    _, other_token = hub.new_clinic()
    cursor = hub.cursor_now()
    with hub.client(hub.new_staff("desk")) as nurse:
        early = nurse.post(f"{API}/{number}/results", json=RESULTS)
        assert early.status_code == 409 and early.json()["code"] == "illegal_transition"  # received first
        assert nurse.post(f"{API}/{number}/receive").status_code == 200
        partial = nurse.post(f"{API}/{number}/results", json={"results": RESULTS["results"][:2]})
        assert partial.status_code == 422 and partial.json()["code"] == "results_incomplete"
        extra = nurse.post(
            f"{API}/{number}/results", json={"results": [*RESULTS["results"], {"code": "GLU", "value": "5"}]}
        )
        assert extra.status_code == 422 and extra.json()["code"] == "result_not_ordered"
        reported = nurse.post(f"{API}/{number}/results", json={**RESULTS, "institution": "县人民医院检验科"})
        assert reported.status_code == 200, reported.text
        assert reported.json()["order"]["status"] == "reported" and reported.json()["order"]["critical"] is True
        one = nurse.get(f"{API}/{number}").json()
        assert [(r["code"], r["value"], r["flag"], r["unit"], r["reference_range"]) for r in one["results"]] == [
            ("K", "6.8", "critical", "mmol/L", "3.5-5.3"),
            ("NA", "139", "N", "mmol/L", "137-147"),
            ("CREA", "130", "H", "μmol/L", "57-111"),
        ]
        assert one["reporter"] == "desk user" and one["reviewer"] == "赵主任" and one["recognised"] is True
        assert [h["to_status"] for h in one["history"]] == ["sent", "received", "reported"]
        again = nurse.post(f"{API}/{number}/results", json=RESULTS)
        assert again.status_code == 409
    with hub.engine.connect() as conn:
        assert [o.order_no for o in lab_desk.unacknowledged_critical(conn) if o.clinic_code == code] == [number]
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
        events = _events(changes, number)
        assert [e["to_status"] for e in events] == ["received", "reported"]
        assert events[1]["critical"] is True and events[1]["institution"] == "县人民医院检验科"
        assert events[1]["results"][0]["flag"] == "critical" and events[1]["attempt"] == 1
        # The clinic acknowledges: who and when reach the hub; the desk's list empties.
        acked = revised(records[0], critical_ack_at=datetime.now(UTC).isoformat(), critical_ack_by="张医生")
        assert push(clinic, [acked]).json()["results"][0]["status"] == "accepted"
    with hub.engine.connect() as conn:
        assert [o for o in lab_desk.unacknowledged_critical(conn) if o.clinic_code == code] == []
        assert lab_desk.get_order(conn, number).critical_ack_by == "张医生"
    with hub.client(other_token) as other:
        assert _events(pull_all(other, cursor)[0], number) == []


def test_a_rejection_needs_its_reason_and_a_cancelled_order_takes_no_results(hub):
    _, token, (number, cancelled_no), records = _setup(hub, {}, {})
    with hub.client(token) as clinic:
        cancelled = revised(records[1], status="cancelled")
        assert push(clinic, [cancelled]).json()["results"][0]["status"] == "accepted"
    with hub.client(hub.new_staff("desk")) as nurse:
        assert nurse.post(f"{API}/{number}/reject", json={"reason": " "}).status_code == 422
        rejected = nurse.post(f"{API}/{number}/reject", json={"reason": "标本溶血"})
        assert rejected.status_code == 200 and rejected.json()["order"]["rejected_reason"] == "标本溶血"
        refused = nurse.post(f"{API}/{cancelled_no}/receive")
        assert refused.status_code == 409 and refused.json()["code"] == "lab_cancelled"
        refused = nurse.post(f"{API}/{cancelled_no}/results", json=RESULTS)
        assert refused.status_code == 409 and refused.json()["code"] == "lab_cancelled"
        unknown = nurse.post(f"{API}/C1-20250101-L0009/results", json=RESULTS)
        assert unknown.status_code == 404 and unknown.json()["code"] == "lab_not_found"


def test_roles_are_enforced_and_calls_audited(hub):
    _, token, (number,), _ = _setup(hub, {})
    with hub.client(hub.new_staff("viewer")) as viewer:
        assert viewer.get(API).status_code == 403
        assert viewer.post(f"{API}/{number}/receive").status_code == 403
    with hub.client(token) as clinic:
        assert clinic.get(API).status_code == 403
    with hub.client(hub.new_staff("doctor")) as doctor:
        assert doctor.post(f"{API}/{number}/receive").status_code == 200
    with hub.engine.connect() as conn:
        audit = table_of(AuditLog)
        actions = conn.execute(sa.select(audit.c.action).where(audit.c.action.like("lab.%"))).scalars().all()
    assert "lab.receive" in actions


def test_turnaround_counts_the_months_reported_orders(hub):
    month = datetime.now(UTC).astimezone(lab_desk.directory.CHINA_TZ).strftime("%Y-%m")
    with hub.engine.connect() as conn:
        before, _ = lab_desk.turnaround(conn, month)
    _, _, (number,), _ = _setup(hub, {"ordered_at": datetime.now(UTC) - timedelta(hours=2)})
    with hub.client(hub.new_staff("desk")) as nurse:
        nurse.post(f"{API}/{number}/receive")
        assert nurse.post(f"{API}/{number}/results", json=RESULTS).status_code == 200
    with hub.engine.connect() as conn:
        count, median = lab_desk.turnaround(conn, month)
    assert count == before + 1 and median is not None and median > 0
