"""Results reported in parts and corrected (issue 18, 更正报告) through the lab desk's JSON API, on
SQLite and PostgreSQL: a partial report keeps the order received and reaches the clinic with the
tests still pending, its critical value at once; the last part reports the order; a correction
keeps the earlier value, says who, when and why, raises the critical alert again when it makes a
value critical (the clinic's old acknowledgement no longer covers it) and says when it clears one;
each refusal has its code."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic_hub import lab_desk
from tests.hub.conftest import pull_all, push
from tests.hub.lab_support import make_order
from tests.hub.remote_support import revised

API = "/api/v1/lab/orders"


def _received(hub):
    code, token = hub.new_clinic()
    record = make_order(code)
    with hub.client(token) as client:
        assert push(client, [record]).json()["results"][0]["status"] == "accepted"
    number = record["data"]["order_no"]
    desk = hub.new_staff("desk")
    with hub.client(desk) as nurse:
        assert nurse.post(f"{API}/{number}/receive").status_code == 200
    return code, token, number, record, desk


def _events(changes, number):
    return [c["data"] for c in changes if c["kind"] == "lab_event" and c["data"]["order_no"] == number]


def _pending(hub, code):
    with hub.engine.connect() as conn:
        return [o.order_no for o in lab_desk.unacknowledged_critical(conn) if o.clinic_code == code]


def test_a_partial_report_stays_received_and_the_last_part_reports(hub):
    code, token, number, _record, desk = _received(hub)
    cursor = hub.cursor_now()
    with hub.client(desk) as nurse:
        first = nurse.post(
            f"{API}/{number}/results", json={"results": [{"code": "K", "value": "4.2"}], "partial": True}
        )
        assert first.status_code == 200, first.text
        assert first.json()["order"]["status"] == "received" and first.json()["order"]["partial"] is True
        one = nurse.get(f"{API}/{number}").json()
        assert [r["code"] for r in one["results"]] == ["K"] and one["pending"] == ["NA", "CREA"]
        again = nurse.post(
            f"{API}/{number}/results", json={"results": [{"code": "K", "value": "4.3"}], "partial": True}
        )
        assert again.status_code == 422 and again.json()["code"] == "result_already_reported"
        short = nurse.post(f"{API}/{number}/results", json={"results": [{"code": "NA", "value": "140"}]})
        assert short.status_code == 422 and short.json()["code"] == "results_incomplete"
        rest = nurse.post(
            f"{API}/{number}/results",
            json={"results": [{"code": "NA", "value": "140"}, {"code": "CREA", "value": "80"}]},
        )
        assert rest.status_code == 200 and rest.json()["order"]["status"] == "reported"
        done = nurse.get(f"{API}/{number}").json()
        assert [(r["code"], r["value"]) for r in done["results"]] == [("K", "4.2"), ("NA", "140"), ("CREA", "80")]
        assert done["pending"] == [] and done["partial"] is False
    with hub.client(token) as clinic:
        events = _events(pull_all(clinic, cursor)[0], number)
    assert [(e["to_status"], e["partial"], e["pending"]) for e in events] == [
        ("received", True, ["NA", "CREA"]),
        ("reported", False, []),
    ]
    assert [r["code"] for r in events[0]["results"]] == ["K"] and len(events[1]["results"]) == 3
    assert _pending(hub, code) == []


def test_a_critical_value_in_a_partial_report_is_raised_at_once(hub):
    code, _token, number, _record, desk = _received(hub)
    with hub.client(desk) as nurse:
        part = nurse.post(f"{API}/{number}/results", json={"results": [{"code": "K", "value": "6.9"}], "partial": True})
        assert part.json()["order"]["critical"] is True and part.json()["order"]["critical_pending"] is True
    assert _pending(hub, code) == [number]


def test_a_correction_keeps_the_earlier_value_and_raises_the_alert_again(hub):
    code, token, number, record, desk = _received(hub)
    results = [{"code": "K", "value": "6.8"}, {"code": "NA", "value": "139"}, {"code": "CREA", "value": "130"}]
    with hub.client(desk) as nurse:
        assert nurse.post(f"{API}/{number}/results", json={"results": results}).status_code == 200
    cursor = hub.cursor_now()
    with hub.client(token) as clinic:
        acked = revised(record, critical_ack_at=datetime.now(UTC).isoformat(), critical_ack_by="张医生")
        assert push(clinic, [acked]).json()["results"][0]["status"] == "accepted"
    assert _pending(hub, code) == []
    with hub.client(desk) as nurse:
        # The sodium was mistyped: 119 is critical (<= 120), so the alert is raised again.
        fixed = nurse.post(
            f"{API}/{number}/corrections", json={"code": "NA", "value": "119", "reason": "录入错误，复核"}
        )
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["order"]["critical_pending"] is True
        one = nurse.get(f"{API}/{number}").json()
        na = next(r for r in one["results"] if r["code"] == "NA")
        assert (na["value"], na["flag"], na["corrected"]) == ("119", "critical", True)
        [c] = one["corrections"]
        assert (c["previous_value"], c["previous_flag"], c["value"], c["flag"], c["reason"], c["corrected_by"]) == (
            "139",
            "N",
            "119",
            "critical",
            "录入错误，复核",
            "desk user",
        )
    assert _pending(hub, code) == [number]
    with hub.client(token) as clinic:
        [event] = _events(pull_all(clinic, cursor)[0], number)
        assert event["to_status"] == "reported" and event["critical_raised"] is True
        assert event["correction"]["previous_value"] == "139" and event["correction"]["reason"] == "录入错误，复核"
        # An old revision again (naming no event) does not acknowledge the new alert...
        again = revised(acked)
        assert push(clinic, [again]).json()["results"][0]["status"] == "accepted"
        assert _pending(hub, code) == [number]
        # ...the acknowledgement naming the correction's event does.
        named = revised(again, critical_ack_event=fixed.json()["event_id"])
        assert push(clinic, [named]).json()["results"][0]["status"] == "accepted"
    assert _pending(hub, code) == []


def test_a_correction_away_from_critical_says_so(hub):
    code, token, number, _record, desk = _received(hub)
    results = [{"code": "K", "value": "6.8"}, {"code": "NA", "value": "139"}, {"code": "CREA", "value": "130"}]
    cursor = hub.cursor_now()
    with hub.client(desk) as nurse:
        assert nurse.post(f"{API}/{number}/results", json={"results": results}).status_code == 200
        fixed = nurse.post(
            f"{API}/{number}/corrections", json={"code": "K", "value": "4.8", "reason": "标本溶血致假性升高，复测"}
        )
        assert fixed.status_code == 200 and fixed.json()["order"]["critical"] is False
    assert _pending(hub, code) == []
    with hub.client(token) as clinic:
        events = _events(pull_all(clinic, cursor)[0], number)
    assert events[-1]["critical_cleared"] is True and events[-1]["critical"] is False


def test_corrections_are_refused_with_their_codes(hub):
    _code, _token, number, _record, desk = _received(hub)
    with hub.client(desk) as nurse:
        early = nurse.post(f"{API}/{number}/corrections", json={"code": "K", "value": "4", "reason": "x"})
        assert early.status_code == 422 and early.json()["code"] == "result_not_reported"
        nurse.post(f"{API}/{number}/results", json={"results": [{"code": "K", "value": "4.2"}], "partial": True})
        not_ordered = nurse.post(f"{API}/{number}/corrections", json={"code": "GLU", "value": "4", "reason": "x"})
        assert not_ordered.status_code == 422 and not_ordered.json()["code"] == "result_not_ordered"
        same = nurse.post(f"{API}/{number}/corrections", json={"code": "K", "value": "4.2", "reason": "x"})
        assert same.status_code == 422 and same.json()["code"] == "correction_unchanged"
        blank = nurse.post(f"{API}/{number}/corrections", json={"code": "K", "value": "4.4", "reason": " "})
        assert blank.status_code == 422
        text = nurse.post(f"{API}/{number}/corrections", json={"code": "K", "value": "溶血", "reason": "x"})
        assert text.status_code == 422 and text.json()["code"] == "result_flag_required"
        # A correction of a partial result: the order stays received.
        ok = nurse.post(f"{API}/{number}/corrections", json={"code": "K", "value": "4.4", "reason": "复测"})
        assert ok.status_code == 200 and ok.json()["order"]["status"] == "received"
        unknown = nurse.post(f"{API}/C1-20250101-L0009/corrections", json={"code": "K", "value": "4", "reason": "x"})
        assert unknown.status_code == 404 and unknown.json()["code"] == "lab_not_found"
