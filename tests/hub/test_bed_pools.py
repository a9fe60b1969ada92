"""Seed 001: a quarter of the beds reserved for primary care. Accepting an inpatient referral books a
bed of the admission day (desk.accept, the same for the JSON API, the CLI and the web desk), over
the quota only with a reason; the pools and the admission reach the clinics by pull. SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from clinic_hub import directory
from clinic_hub.cli import main
from clinic_hub.db import make_engine
from clinic_hub.models import BedPool, Department, SlotPool
from tests.hub.conftest import pull_all, push
from tests.hub.test_desk import _setup

ADMISSION = "2025-08-03T23:30:00+08:00"  # 15:30 UTC: the China day decides the bed pool


def _accept(desk, number: str, department: str, **extra):
    return desk.post(
        f"/api/v1/desk/referrals/{number}/accept",
        json={"department_code": department, "appointment_at": ADMISSION, **extra},
    )


def test_an_inpatient_referral_takes_reserved_beds_then_over_quota_only_with_a_reason(hub):
    department = hub.new_department(daily_slots=4, beds=4)  # 4 beds -> 1 reserved for primary care
    _, token, staff, refs = _setup(hub, {"purpose": "inpatient"}, {"purpose": "inpatient"}, {"purpose": "inpatient"})
    first, second, third = (r["data"]["referral_no"] for r in refs)
    cursor = hub.cursor_now()
    with hub.client(staff) as desk, hub.client(token) as clinic:
        booked = _accept(desk, first, department, doctor="王主任")
        assert booked.status_code == 200, booked.text
        bed = booked.json()["slot"]
        assert (bed["booking"], bed["bed_number"], bed["over_quota"]) == ("inpatient", 1, False)
        full = _accept(desk, second, department)
        assert full.status_code == 409 and full.json()["code"] == "no_beds_left"
        assert department in full.json()["message"] and "2025-08-03" in full.json()["message"]
        no_reason = _accept(desk, second, department, over_quota=True, note="  ")
        assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason_required"
        assert desk.get(f"/api/v1/desk/referrals/{second}").json()["status"] == "sent"
        over = _accept(desk, second, department, over_quota=True, note="急性心梗，需立即收治")
        assert over.status_code == 200 and over.json()["slot"]["over_quota"] is True
        assert over.json()["slot"]["bed_number"] == 2
        changes, _ = pull_all(clinic, cursor)
    with hub.engine.connect() as conn:
        pool = conn.execute(sa.select(BedPool.__table__).where(BedPool.__table__.c.department_code == department)).one()
        slots = conn.execute(sa.select(SlotPool.__table__).where(SlotPool.__table__.c.department_code == department))
        assert slots.first() is None  # a bed, not an outpatient slot
    assert (pool.day, pool.total, pool.reserved, pool.used, pool.over_quota) == (date(2025, 8, 3), 4, 1, 1, 1)
    beds = [c["data"] for c in changes if c["kind"] == "bed_pool" and c["data"]["department_code"] == department]
    assert beds[-1] == {
        **beds[-1],
        "day": "2025-08-03",
        "total": 4,
        "reserved_for_primary": 1,
        "used": 1,
        "remaining": 0,
        "over_quota": 1,
    }
    events = [c["data"] for c in changes if c["kind"] == "referral_event" and c["data"]["to_status"] == "accepted"]
    by_number = {e["referral_no"]: e for e in events}
    admitted = by_number[first]
    assert admitted["admission_at"] == "2025-08-03T15:30:00+00:00" and "appointment_at" not in admitted
    assert admitted["bed_pool_id"] == bed["bed_pool_id"] and admitted["over_quota"] is False
    assert (admitted["appointment_department_code"], admitted["appointment_doctor"]) == (department, "王主任")
    assert by_number[second]["over_quota"] is True and by_number[second]["reason"] == "急性心梗，需立即收治"
    assert third not in by_number


def test_the_desk_may_book_a_bed_or_a_slot_whatever_the_slip_asked(hub):
    department = hub.new_department(daily_slots=3, beds=8)
    _, _, staff, refs = _setup(hub, {"purpose": "outpatient"}, {"purpose": "inpatient"})
    outpatient, inpatient = (r["data"]["referral_no"] for r in refs)
    with hub.client(staff) as desk:
        admitted = _accept(desk, outpatient, department, booking="inpatient")
        assert admitted.status_code == 200 and admitted.json()["slot"]["bed_pool_id"]
        seen = _accept(desk, inpatient, department, booking="outpatient")
        assert seen.status_code == 200 and seen.json()["slot"]["slot_number"] == 1
        bad = _accept(desk, outpatient, department, booking="ward")
        assert bad.status_code == 422


def test_a_pool_set_for_a_range_is_published_and_keeps_what_was_taken(hub):
    department = hub.new_department(beds=10)
    code, token = hub.new_clinic()
    cursor = hub.cursor_now()
    with hub.engine.begin() as conn:
        directory.take_bed(conn, department, date(2025, 9, 1), over_quota=False)
        ids = directory.set_range(conn, directory.BEDS, department, date(2025, 9, 1), date(2025, 9, 3), 20)
        directory.set_range(conn, directory.SLOTS, department, date(2025, 9, 1), date(2025, 9, 1), 30, reserved=12)
    with hub.client(token) as clinic:
        changes, _ = pull_all(clinic, cursor)
    latest = {c["id"]: c["data"] for c in changes if c["kind"] in ("bed_pool", "slot_pool")}
    assert [latest[i]["reserved_for_primary"] for i in ids] == [5, 5, 5]  # a quarter of 20
    assert [latest[i]["remaining"] for i in ids] == [4, 5, 5]  # the bed already taken stays taken
    slot_id = directory.pool_id(directory.SLOTS, department, date(2025, 9, 1))
    assert (latest[slot_id]["total"], latest[slot_id]["reserved_for_primary"]) == (30, 12)


def test_the_directory_import_reads_beds_from_toml_and_csv(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["migrate", "--db", url]) == 0
    toml = tmp_path / "directory.toml"
    toml.write_text(
        '[[departments]]\ncode = "NEI"\nname = "心血管内科"\ndaily_outpatient_slots = 30\nbeds = 40\n\n'
        '[[departments]]\ncode = "EYE"\nname = "眼科"\ndaily_outpatient_slots = 10\n\n'
        '[[beds]]\ndepartment = "NEI"\ndate = 2025-07-02\ntotal = 50\nreserved = 20\n',
        encoding="utf-8",
    )
    csv_file = tmp_path / "directory.csv"
    csv_file.write_text(
        "department_code,department_name,daily_outpatient_slots,beds,date,total,reserved,bed_total,bed_reserved\n"
        "WAI,普外科,6,9,,,,,\nWAI,普外科,,,2025-07-03,,,12,\n",
        encoding="utf-8",
    )
    assert main(["directory", "import", "--db", url, str(toml), "--days", "0"]) == 0
    assert "1 bed days" in capsys.readouterr().out
    assert main(["directory", "import", "--db", url, str(csv_file), "--days", "0"]) == 0
    assert (
        main(["directory", "set-beds", "--db", url, "--department", "EYE", "--date", "2025-07-04", "--total", "7"]) == 0
    )
    with make_engine(url).begin() as conn:
        beds = dict(conn.execute(sa.select(Department.__table__.c.code, Department.__table__.c.beds)).all())
        assert beds == {"NEI": 40, "EYE": 0, "WAI": 9}  # no beds given: 0
        table = BedPool.__table__
        pools = {(r.department_code, r.day.isoformat()): (r.total, r.reserved) for r in conn.execute(sa.select(table))}
        assert pools == {("NEI", "2025-07-02"): (50, 20), ("WAI", "2025-07-03"): (12, 3), ("EYE", "2025-07-04"): (7, 2)}
        assert conn.execute(sa.select(SlotPool.__table__)).first() is None  # a beds-only CSV row sets no slots
        directory.open_days(conn, date(2025, 7, 10), 2)
        opened = {
            (r.department_code, r.total, r.reserved)
            for r in conn.execute(sa.select(table).where(table.c.day == date(2025, 7, 11)))
        }
    assert opened == {("NEI", 40, 10), ("EYE", 0, 0), ("WAI", 9, 3)}
    assert (
        main(["directory", "set-beds", "--db", url, "--department", "EYE", "--date", "2025-07-04", "--total", "-1"])
        == 1
    )


def test_an_inpatient_push_keeps_its_purpose(hub):
    """The hub reads the slip's purpose from the clinic's record (referral_intake)."""
    code, token = hub.new_clinic()
    staff = hub.new_staff("desk")
    from tests.hub.conftest import make_referral

    slip = make_referral(code, purpose="inpatient")
    with hub.client(token) as clinic:
        assert push(clinic, [slip]).json()["results"][0]["status"] == "accepted"
    with hub.client(staff) as desk:
        got = desk.get(f"/api/v1/desk/referrals/{slip['data']['referral_no']}").json()
    assert got["purpose"] == "inpatient"


def test_the_indicators_give_reserved_bed_use_per_department_beside_the_slots(hub):
    department = hub.new_department(daily_slots=3, beds=8)  # 2 beds a day reserved
    _, _, staff, refs = _setup(hub, {"purpose": "inpatient"}, {"purpose": "inpatient"}, {"purpose": "inpatient"})
    reader = hub.new_staff("viewer")
    with hub.engine.begin() as conn:
        directory.set_range(conn, directory.BEDS, department, date(2025, 11, 1), date(2025, 11, 30), 8)
    with hub.client(staff) as desk:
        for number, over in zip((r["data"]["referral_no"] for r in refs), (False, False, True), strict=True):
            body = {"department_code": department, "appointment_at": "2025-11-05T09:00:00+08:00"}
            answer = desk.post(
                f"/api/v1/desk/referrals/{number}/accept", json={**body, "over_quota": over, "note": "病情危重"}
            )
            assert answer.status_code == 200, answer.text
    with hub.client(reader) as client:
        november = client.get("/api/v1/indicators", params={"month": "2025-11"}).json()
    (beds,) = [b for b in november["reserved_beds"] if b["department_code"] == department]
    assert (beds["reserved"], beds["used"], beds["over_quota"]) == (60, 2, 1)  # 30 days x 2 reserved
    assert beds["used_share"] == round(2 / 60, 4)
    assert not [s for s in november["reserved_slots"] if s["department_code"] == department]  # no slot taken


def test_the_cli_accepts_into_a_bed_and_asks_for_a_reason_over_the_quota(tmp_path, capsys):
    import json

    from clinic_hub import accounts
    from clinic_hub import push as push_service
    from tests.hub.conftest import make_referral

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["migrate", "--db", url]) == 0
    engine = make_engine(url)
    with engine.begin() as conn:
        _, token = accounts.add_clinic(conn, "C03", "南村卫生室")
        clinic = accounts.authenticate(conn, token)
        directory.upsert_department(conn, "NEI", "心血管内科", 3, beds=4)
    slips = [make_referral("C03", purpose="inpatient") for _ in range(2)]
    push_service.handle_push(engine, clinic, {"batch_id": "cli-beds", "records": slips}, "zh", 500)
    first, second = (s["data"]["referral_no"] for s in slips)
    capsys.readouterr()
    at = ["--department", "NEI", "--at", "2025-07-02T09:30+08:00"]
    assert main(["referrals", "accept", "--db", url, first, *at]) == 0
    assert json.loads(capsys.readouterr().out)["slot"]["bed_number"] == 1
    assert main(["referrals", "accept", "--db", url, second, *at, "--over-quota"]) == 1
    refused = capsys.readouterr().err
    assert refused.strip() and "Traceback" not in refused
    assert main(["referrals", "accept", "--db", url, second, *at, "--over-quota", "--note", "心衰加重"]) == 0
    assert json.loads(capsys.readouterr().out)["slot"]["over_quota"] is True
