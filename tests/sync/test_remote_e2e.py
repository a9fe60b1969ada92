"""A remote request end to end with a real clinic-hub on loopback (issue 18): written at the
clinic, pushed, moved by the hospital's remote desk (accepted, scheduled, reported with a critical
value), pulled, shown at the clinic with its critical value, acknowledged, pushed back.

Needs the hub half of issue 18 (clinic_hub/remote_desk.py and its JSON API, built in parallel on
branch remote-hub): until both are merged the desk calls below answer 404. The hub-facing calls
are in the small helper right below, so they are easy to adjust to the hub's API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import Clinic, OutboxEntry, RemoteRequest, Resident, Staff
from clinic_tui.data.remote_requests import acknowledge_critical, critical_count, detail, submit
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register


# --- the hub's remote desk (clinic_hub/remote_desk.py through its JSON API) ---------------------
class RemoteDesk:
    """The hospital's side: its desk staff (accept, schedule) and a doctor who signs reports."""

    PREFIX = "/api/v1/remote/requests"

    def __init__(self, hub):
        self.hub = hub
        self.desk = self._client(hub.new_staff_token("desk"))
        self.doctor = self._client(hub.new_staff_token("doctor"))

    def _client(self, token: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.Client(base_url=self.hub.base_url, headers=headers, timeout=30, verify=False)

    def close(self) -> None:
        self.desk.close()
        self.doctor.close()

    def _post(self, client: httpx.Client, request_no: str, move: str, body: dict) -> dict:
        answer = client.post(f"{self.PREFIX}/{request_no}/{move}", json=body)
        assert answer.status_code == 200, (move, answer.status_code, answer.text)
        return answer.json()

    def accept(self, request_no: str) -> dict:
        return self._post(self.desk, request_no, "accept", {})

    def schedule(self, request_no: str, at: datetime, expert: str) -> dict:
        return self._post(self.desk, request_no, "schedule", {"scheduled_at": at.isoformat(), "expert": expert})

    def report(self, request_no: str, **fields) -> dict:
        return self._post(self.doctor, request_no, "report", fields)

    def get(self, request_no: str) -> dict:
        answer = self.desk.get(f"{self.PREFIX}/{request_no}")
        assert answer.status_code == 200, answer.text
        return answer.json()


# ------------------------------------------------------------------------------------------------


def test_a_video_consultation_reported_with_a_critical_value_comes_back_and_is_acknowledged(
    hub, small_clinic, clinic_settings
):
    engine = small_clinic
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        doctor = session.execute(select(Staff)).scalars().first()
        clinic = session.execute(select(Clinic)).scalar_one()
        assert clinic.code == _code
    wished = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    request_id, request_no = submit(
        engine,
        resident_id=resident.id,
        values={
            "service": "consult_video",
            "urgency": "urgent",
            "question": "血压 190/120，头痛，请会诊调整用药",
            "findings": "BP 190/120 mmHg",
            "preliminary_diagnoses": [{"code": "I10", "name": "高血压", "system": "ICD-10"}],
            "time_wished": wished,
            "consent": True,
        },
        user_id=doctor.id,
    )
    report = run_sync(engine, settings, token=token)
    assert report.outcome == "ok", report.message
    with read_session(engine) as session:
        assert session.get(OutboxEntry, ("remote_request", request_id)) is None  # confirmed by the hub

    desk = RemoteDesk(hub)
    try:
        assert desk.get(request_no)["status"] == "requested"
        desk.accept(request_no)
        appointment = (datetime.now(UTC) + timedelta(days=1, hours=2)).replace(microsecond=0)
        desk.schedule(request_no, appointment, "心内科 陈主任")
        desk.report(
            request_no,
            findings="血压 188/118 mmHg，视乳头水肿",
            conclusion="高血压急症",
            advice="立即上转，静脉降压",
            critical=True,
            critical_note="高血压急症",
            service_item_code="310701",
            fee="50.00",
        )

        pulled = run_sync(engine, settings, token=token)
        assert pulled.outcome == "ok", pulled.message
        shown = detail(engine, request_id)
        assert shown.status == "reported"
        assert [a.to_status for a in shown.answers] == ["accepted", "scheduled", "reported"]
        assert shown.answers[1].scheduled_at == appointment and shown.answers[1].expert == "心内科 陈主任"
        assert shown.report.conclusion == "高血压急症" and shown.report.critical is True
        assert shown.report.critical_note == "高血压急症" and shown.report.fee == "50.00"
        assert shown.needs_critical_ack and critical_count(engine) == 1
        with read_session(engine) as session:
            assert session.get(RemoteRequest, request_id).revision == 1  # the hospital's moves: no clinic edit

        acknowledge_critical(engine, request_id, user_id=doctor.id)
        assert critical_count(engine) == 0
        back = run_sync(engine, settings, token=token)
        assert back.outcome == "ok", back.message
        with read_session(engine) as session:
            assert session.get(OutboxEntry, ("remote_request", request_id)) is None
        at_hub = desk.get(request_no)
        assert at_hub["critical_ack_by"] == doctor.name and at_hub["critical_ack_at"]
    finally:
        desk.close()


def test_pushing_the_same_request_again_changes_nothing_at_the_hub(hub, small_clinic, clinic_settings):
    """A clinic's remote request is accepted once; after a new epoch (all queued again) it is a duplicate."""
    engine = small_clinic
    code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).limit(1)).scalar_one()
    request_id, _ = submit(
        engine,
        resident_id=resident.id,
        values={"service": "ecg", "urgency": "routine", "question": "请判读心电图", "consent": True},
        user_id=None,
    )
    assert run_sync(engine, settings, token=token).outcome == "ok"
    assert ("remote_request", request_id, 1) in hub.clinic_records(code)
    with unit_of_work(engine) as session:
        records.queue_for_sync(session, "remote_request", request_id, 1)
    again = run_sync(engine, settings, token=token)
    assert again.outcome == "ok" and again.duplicate >= 1
    assert [r for r in hub.clinic_records(code) if r[1] == request_id] == [("remote_request", request_id, 1)]
