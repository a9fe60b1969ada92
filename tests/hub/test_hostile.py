"""A careless or hostile clinic (issue 16): every input below is refused with a 4xx and a code, or
stored where valid; nothing a clinic sends blocks another clinic or the hospital. On SQLite and
PostgreSQL (the ``hub`` fixture)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from clinic_hub import desk as desk_service, directory
from clinic_hub.models import Referral
from tests.hub.conftest import make_record, make_referral, push


def _send_down(desk, code: str):
    return desk.post("/api/v1/desk/downward-referrals", json={"clinic_code": code, "patient_name": "赵六"})


# --- 1. the hub's downward numbers: its own sequence, a space no clinic number can enter -----------

def test_a_clinic_cannot_squat_the_hubs_next_downward_number(hub):
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    with hub.engine.connect() as conn:
        hospital_code, _ = directory.hospital(conn)
    with hub.client(staff) as desk, hub.client(token) as clinic:
        first = _send_down(desk, code)
        assert first.status_code == 201, first.text
        made = first.json()["referral"]["referral_no"]
        assert "-" not in made and made.startswith(hospital_code)
        day, sequence = made[len(hospital_code):].split("D")
        squats = [desk_service.down_number(hospital_code, f"{day[:4]}-{day[4:6]}-{day[6:]}", int(sequence) + n)
                  for n in (1, 2)]
        results = push(clinic, [make_referral(code, referral_no=no) for no in squats]).json()["results"]
        assert [r["code"] for r in results] == ["foreign_referral_no"] * 2
        nexts = [_send_down(desk, code) for _ in range(2)]
        assert [r.status_code for r in nexts] == [201, 201]
        assert [r.json()["referral"]["referral_no"] for r in nexts] == squats


def test_a_number_already_taken_before_the_check_is_skipped(hub):
    """Rows squatted before clinic numbers were checked do not block the desk: skipped."""
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    with hub.engine.connect() as conn:
        hospital_code, _ = directory.hospital(conn)
    today = directory.today_in_china().isoformat()
    with hub.client(staff) as desk:
        made = _send_down(desk, code).json()["referral"]["referral_no"]
        sequence = int(made.rsplit("D", 1)[1])
        squatted = desk_service.down_number(hospital_code, today, sequence + 1)
        with hub.engine.begin() as conn:  # as an old hub would have stored it
            clinic_id = conn.execute(sa.text("SELECT id FROM clinic WHERE code = :c"), {"c": code}).scalar()
            conn.execute(sa.insert(Referral.__table__).values(
                id=str(uuid.uuid4()), clinic_id=clinic_id, direction="up", referral_no=squatted, urgency="normal",
                status="sent", clinic_status="sent", created_at=sa.func.now(), updated_at=sa.func.now()))
        after = _send_down(desk, code)
        assert after.status_code == 201, after.text
        assert after.json()["referral"]["referral_no"] == desk_service.down_number(hospital_code, today, sequence + 2)


# --- 2. a clinic's numbers carry its own code -------------------------------------------------------

def test_a_clinic_cannot_take_another_clinics_numbers(hub):
    code_a, token_a = hub.new_clinic()
    code_b, token_b = hub.new_clinic()
    tomorrow_first = f"{code_a}-20991231-0001"
    with hub.client(token_b, **{"Accept-Language": "en"}) as b, hub.client(token_a) as a:
        stolen = push(b, [make_referral(code_b, referral_no=tomorrow_first),
                          make_referral(code_b, referral_no=code_b),  # the bare code, nothing after it
                          make_referral(code_b, referral_no=f"x{code_b}-20991231-0001")]).json()["results"]
        assert [r["code"] for r in stolen] == ["foreign_referral_no"] * 3
        assert f"{code_b}-" in stolen[0]["message"]
        own = push(b, [make_referral(code_b, referral_no=f"{code_b.lower()}-20991231-0001")]).json()["results"]
        assert own[0]["status"] == "accepted"  # letter case aside, as the clinic app upper-cases codes
        mine = push(a, [make_referral(code_a, referral_no=tomorrow_first)]).json()["results"]
        assert mine[0]["status"] == "accepted"
