"""Issue 17, seed 001: an inpatient referral accepted at the hub books a reserved bed; the clinic
pulls the bed pools and the acceptance with its admission day, and shows the admission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from clinic_tui import clock
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import BedPool, Clinic, Department, Referral, ReferralEvent, Resident, SlotPool
from clinic_tui.data.referral_queries import referral_detail
from clinic_tui.screens.referral_page import answer_line, history_text
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register


def test_an_inpatient_acceptance_reaches_the_clinic_with_its_admission_day_and_the_bed_pools(
    hub, small_clinic, clinic_settings
):
    engine = small_clinic
    code, token = register(hub, engine)
    department = hub.new_department(daily_slots=9, beds=8)  # 2 beds of 8 reserved for primary care
    with unit_of_work(engine) as session:
        clinic = session.execute(select(Clinic)).scalar_one()
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        slip = records.create(
            session,
            Referral(
                clinic_id=clinic.id,
                referral_no=f"{code}-20261203-0001",
                status="sent",
                purpose="inpatient",
                resident_id=resident.id,
                referral_date=date(2026, 12, 3),
                patient_name=resident.name,
                to_department_code=department,
            ),
            None,
        )
    settings = clinic_settings(hub, database_path(engine))
    assert run_sync(engine, settings, token=token).outcome == "ok"

    admission = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    with hub.desk() as desk:
        answer = desk.post(
            f"/referrals/{slip.referral_no}/accept",
            json={"department_code": department, "appointment_at": admission.isoformat(), "doctor": "王主任"},
        )
        assert answer.status_code == 200, answer.text
        booked = answer.json()["slot"]
    assert booked["booking"] == "inpatient" and booked["bed_number"] == 1 and booked["over_quota"] is False

    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    (event,) = [e for e in _rows(engine, ReferralEvent) if e.origin == "hub"]
    assert (event.to_status, event.appointment_doctor, event.appointment_department_code) == (
        "accepted",
        "王主任",
        department,
    )
    assert event.admission_at == admission and event.appointment_at is None
    assert event.bed_pool_id == booked["bed_pool_id"]
    with read_session(engine) as session:
        department_id = session.execute(select(Department.id).where(Department.code == department)).scalar_one()
        pools = session.execute(select(BedPool).where(BedPool.department_id == department_id)).scalars().all()
        assert session.get(Referral, slip.id).status == "accepted"
        # a bed, not an outpatient slot: no slot pool of the department was opened to take one
        assert session.execute(select(SlotPool).where(SlotPool.department_id == department_id)).first() is None
    booked_pool = {pool.id: pool for pool in pools}[event.bed_pool_id]
    assert (booked_pool.total, booked_pool.reserved_for_primary, booked_pool.remaining) == (8, 2, 1)

    detail = referral_detail(engine, slip.id)
    shown = clock.local(admission).strftime("%Y-%m-%d %H:%M")
    line = answer_line(detail)
    assert "王主任" in line and shown in line and "appointment" not in line.lower()
    assert shown in history_text(detail).plain


def _rows(engine, model):
    with read_session(engine) as session:
        return list(session.execute(select(model)).scalars())
