"""The referral desk and the indicators over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from clinic_tui.domain import contract as contract_domain
from tests.hub.conftest import make_record, make_referral, pull_all, push


def _setup(hub, *referrals_args):
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    referrals = [make_referral(code, **kw) for kw in referrals_args]
    with hub.client(token) as client:
        for referral in referrals:  # one batch each: distinct arrival times make "oldest first" exact
            assert push(client, [referral]).json()["results"][0]["status"] == "accepted"
    return code, token, staff, referrals


def test_list_orders_emergency_first_then_oldest_and_filters(hub):
    code, _, staff, refs = _setup(
        hub,
        {"urgency": "normal"},
        {"urgency": "urgent"},
        {"urgency": "emergency"},
        {"urgency": "normal", "status": "review"},
        {"urgency": "normal"},
    )
    with hub.client(staff) as desk:
        listed = desk.get("/api/v1/desk/referrals", params={"clinic": code}).json()["referrals"]
        assert [r["urgency"] for r in listed] == ["emergency", "urgent", "normal", "normal"]  # none in review
        in_review = desk.get("/api/v1/desk/referrals", params={"clinic": code, "status": "review"}).json()
        assert [r["referral_no"] for r in in_review["referrals"]] == [refs[3]["data"]["referral_no"]]
        sent = desk.get("/api/v1/desk/referrals", params={"clinic": code, "status": "sent", "urgency": "normal"})
        oldest_first = [refs[0]["data"]["referral_no"], refs[4]["data"]["referral_no"]]
        assert [r["referral_no"] for r in sent.json()["referrals"]] == oldest_first
        assert listed[0]["patient_name"] == "王小明"
        one = desk.get(f"/api/v1/desk/referrals/{refs[1]['data']['referral_no']}").json()
        assert one["data"]["reason"] == "血压控制不佳" and one["history"][0]["to_status"] == "sent"
        assert desk.get("/api/v1/desk/referrals/NOPE").status_code == 404


def test_accept_takes_reserved_slots_until_none_are_left(hub):
    department = hub.new_department(daily_slots=4)  # 4 a day -> 2 reserved for primary care
    _, token, staff, refs = _setup(hub, {}, {}, {}, {"urgency": "emergency"})
    body = {"department_code": department, "appointment_at": "2025-08-01T08:00:00+08:00"}
    cursor = hub.cursor_now()
    with hub.client(staff) as desk, hub.client(token) as clinic:
        numbers = [r["data"]["referral_no"] for r in refs]
        first = desk.post(f"/api/v1/desk/referrals/{numbers[0]}/accept", json=body)
        assert first.status_code == 200 and first.json()["slot"]["slot_number"] == 1
        assert desk.post(f"/api/v1/desk/referrals/{numbers[1]}/accept", json=body).status_code == 200
        full = desk.post(f"/api/v1/desk/referrals/{numbers[2]}/accept", json=body)
        assert full.status_code == 409 and full.json()["code"] == "no_slots_left"
        assert desk.get(f"/api/v1/desk/referrals/{numbers[2]}").json()["status"] == "sent"
        green = desk.post(f"/api/v1/desk/referrals/{numbers[3]}/accept", json={**body, "over_quota": True})
        assert green.status_code == 200 and green.json()["slot"]["over_quota"] is True
        twice = desk.post(f"/api/v1/desk/referrals/{numbers[0]}/accept", json=body)
        assert twice.status_code == 409 and twice.json()["code"] == "illegal_transition"
        changes, _ = pull_all(clinic, cursor)
    pool = [c["data"] for c in changes if c["kind"] == "slot_pool" and c["data"]["department_code"] == department]
    assert pool[-1]["day"] == "2025-08-01" and pool[-1]["remaining"] == 0 and pool[-1]["over_quota"] == 1


def test_reject_needs_a_reason_and_moves_follow_the_state_machine(hub):
    department = hub.new_department()
    _, token, staff, refs = _setup(hub, {}, {})
    a, b = (r["data"]["referral_no"] for r in refs)
    cursor = hub.cursor_now()
    with hub.client(staff) as desk, hub.client(token) as clinic:
        assert desk.post(f"/api/v1/desk/referrals/{a}/reject", json={"reason": " "}).status_code == 422
        assert desk.post(f"/api/v1/desk/referrals/{a}/reject", json={}).status_code == 422
        early = desk.post(f"/api/v1/desk/referrals/{a}/arrive")
        assert early.status_code == 409 and "sent" in early.json()["message"]
        assert desk.post(f"/api/v1/desk/referrals/{a}/reject", json={"reason": "非本院诊疗范围"}).status_code == 200
        accept = {"department_code": department, "appointment_at": "2025-08-02T10:00:00+08:00"}
        assert desk.post(f"/api/v1/desk/referrals/{b}/accept", json=accept).status_code == 200
        assert desk.post(f"/api/v1/desk/referrals/{b}/arrive", json={}).status_code == 200
        assert desk.post(f"/api/v1/desk/referrals/{b}/no-show").status_code == 409
        done = desk.post(f"/api/v1/desk/referrals/{b}/complete", json={"note": "已出院"})
        assert done.status_code == 200 and done.json()["referral"]["status"] == "completed"
        events, _ = pull_all(clinic, cursor)
    moves = [(e["data"]["referral_no"], e["data"]["to_status"]) for e in events if e["kind"] == "referral_event"]
    assert moves == [(a, "rejected"), (b, "accepted"), (b, "arrived"), (b, "completed")]
    assert [e["data"]["reason"] for e in events if e["kind"] == "referral_event"][0] == "非本院诊疗范围"


def test_no_show(hub):
    department = hub.new_department()
    _, _, staff, refs = _setup(hub, {})
    no = refs[0]["data"]["referral_no"]
    with hub.client(staff) as desk:
        desk.post(
            f"/api/v1/desk/referrals/{no}/accept",
            json={"department_code": department, "appointment_at": "2025-08-03T10:00:00+08:00"},
        )
        assert desk.post(f"/api/v1/desk/referrals/{no}/no-show").json()["referral"]["status"] == "no_show"


def test_send_down_reaches_the_clinic_which_acknowledges_it(hub):
    code, token, staff, refs = _setup(hub, {})
    up_no = refs[0]["data"]["referral_no"]
    with hub.client(staff) as desk, hub.client(token) as clinic:
        cursor = hub.cursor_now()
        made = desk.post(
            "/api/v1/desk/downward-referrals",
            json={
                "clinic_code": code,
                "up_referral_no": up_no,
                "outcome": "2",
                "discharge_diagnoses": [{"code": "I10", "name": "原发性高血压"}],
                "treatment_plan": "继续降压治疗",
                "rehab_guidance": "低盐饮食",
                "medication_to_continue": "氨氯地平 5mg qd",
                "followup_schedule": [{"after_days": 14, "what": "复查血压"}],
            },
        )
        assert made.status_code == 201, made.text
        down_no = made.json()["referral"]["referral_no"]
        changes, _ = pull_all(clinic, cursor)
        down = [c for c in changes if c["kind"] == "referral"]
        assert len(down) == 1
        data = down[0]["data"]
        assert (data["direction"], data["status"], data["referral_no"]) == ("down", "received", down_no)
        assert data["patient_name"] == "王小明" and data["discharge_diagnoses"][0]["code"] == "I10"
        assert data["followup_schedule"] == [{"after_days": 14, "what": "复查血压"}] and data["origin"] == "hub"
        ack = make_record(
            "referral_event",
            code,
            referral_id=down[0]["id"],
            from_status="received",
            to_status="acknowledged",
            actor="clinic",
            at="2025-08-05T01:00:00Z",
        )
        assert push(clinic, [ack]).json()["results"][0]["status"] == "accepted"
        listed = desk.get("/api/v1/desk/referrals", params={"direction": "down", "clinic": code}).json()
        assert listed["referrals"][0]["status"] == "acknowledged"
        backwards = make_record("referral_event", code, referral_id=down[0]["id"], to_status="received")
        assert push(clinic, [backwards]).json()["results"][0]["code"] == "illegal_transition"
        missing = desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": "NOWHERE"})
        assert missing.status_code == 422 and missing.json()["code"] == "clinic_not_found"
        nameless = desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": code})
        assert nameless.status_code == 422 and nameless.json()["code"] == "missing_field"
        # PostgreSQL cannot store a NUL character: refused as bad input, never a 500.
        for field in ("treatment_plan", "patient_name", "clinic_code"):
            nul = desk.post(
                "/api/v1/desk/downward-referrals",
                json={"clinic_code": code, "patient_name": "赵六", field: "低盐\x00饮食"},
            )
            assert nul.status_code == 422, (field, nul.text)
        nested = desk.post(
            "/api/v1/desk/downward-referrals",
            json={
                "clinic_code": code,
                "patient_name": "赵六",
                "followup_schedule": [{"after_days": 7, "what": "\x00"}],
            },
        )
        assert nested.status_code == 422, nested.text


def test_indicators_per_clinic_and_month(hub):
    department = hub.new_department()
    code, token, staff, refs = _setup(hub, {}, {}, {"status": "review"})
    residents = [
        make_record("resident", code, birth_date="1950-03-01", sex="1", chronic_conditions=["02"]),
        make_record("resident", code, birth_date="1980-03-01", sex="2", chronic_conditions=["02", "03"]),
        make_record("resident", code, birth_date="1990-03-01", sex="2", manual_population_tags=["maternal"]),
    ]
    contracts = [
        make_record("contract", code, resident_id=residents[0]["id"], status="active", signed_date="2025-07-02"),
        make_record("contract", code, resident_id=residents[2]["id"], status="pending", signed_date="2025-06-30"),
    ]
    viewer = hub.new_staff("viewer")
    with hub.client(token) as clinic, hub.client(staff) as desk, hub.client(viewer) as reader:
        push(clinic, residents + contracts)
        desk.post(
            f"/api/v1/desk/referrals/{refs[0]['data']['referral_no']}/accept",
            json={"department_code": department, "appointment_at": "2025-08-04T10:00:00+08:00"},
        )
        desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": code, "patient_name": "赵六"})
        july = reader.get("/api/v1/indicators", params={"month": "2025-07", "clinic": code})
        august = reader.get("/api/v1/indicators", params={"month": "2025-08", "clinic": code})
        assert reader.get("/api/v1/indicators", params={"month": "2025-13"}).status_code == 422
        assert reader.get("/api/v1/indicators", params={"month": "2025-07", "clinic": "NONE"}).status_code == 404
    assert july.status_code == 200, july.text
    got = july.json()["clinics"][0]
    assert got["upward"] == {"total": 3, "by_status": {"accepted": 1, "sent": 1, "review": 1}}
    assert (got["upward_sent"], got["answered_within_24h"], got["answered_within_24h_share"]) == (2, 1, 0.5)
    assert (got["upward_to_hospital"], got["upward_accepted"], got["upward_arrived"]) == (2, 1, 0)
    assert (got["accepted_share"], got["effective_share"]) == (0.5, 0.0)
    (slots,) = [s for s in august.json()["reserved_slots"] if s["department_code"] == department]
    assert (slots["used"], slots["over_quota"], slots["department_name"]) == (1, 0, "心血管内科")
    assert slots["reserved"] >= 1 and slots["used_share"] == round(1 / slots["reserved"], 4)
    assert not [s for s in july.json()["reserved_slots"] if s["department_code"] == department]
    c = got["contracts"]
    assert c["by_status"] == {"active": 1, "pending": 1} and c["signed_in_month"] == 1
    assert (c["residents"], c["signed_residents"], c["coverage"]) == (3, 1, 0.3333)
    populations = c["key_populations"]
    hypertension, elderly = (
        str(contract_domain.KeyPopulation.HYPERTENSION),
        str(contract_domain.KeyPopulation.ELDERLY_65),
    )
    assert populations[hypertension] == {"residents": 2, "signed": 1, "coverage": 0.5}
    assert populations[elderly] == {"residents": 1, "signed": 1, "coverage": 1.0}
    assert populations[str(contract_domain.KeyPopulation.MATERNAL)]["signed"] == 0
