"""A lab order end to end with a real clinic-hub on loopback (issue 18, tests at the lead
hospital): ordered at the clinic with its specimen collected and sent, pushed, received by the
lab and reported through its JSON API with a critical potassium, pulled, shown at the clinic with
units, ranges, flags, the performing institution and the 互认 mark, counted in the header's
critical mark, acknowledged, and the acknowledgement pushed back to the hub."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lab_orders import acknowledge_critical, detail, order, recollect, send
from clinic_tui.data.models import LabOrder, OutboxEntry, Resident, Staff
from clinic_tui.data.store import Store
from clinic_tui.sync.engine import run_sync

from .conftest import database_path
from .sync_helpers import register

PREFIX = "/api/v1/lab/orders"


def _lab(hub) -> httpx.Client:
    headers = {"Authorization": f"Bearer {hub.new_staff_token('desk')}"}
    return httpx.Client(base_url=hub.base_url, headers=headers, timeout=30, verify=False)


def _post(client: httpx.Client, order_no: str, move: str, body: dict | None = None) -> dict:
    answer = client.post(f"{PREFIX}/{order_no}/{move}", json=body or {})
    assert answer.status_code == 200, (move, answer.status_code, answer.text)
    return answer.json()


def _setup(hub, engine, clinic_settings):
    _code, token = register(hub, engine)
    settings = clinic_settings(hub, database_path(engine))
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).limit(1)).scalar_one()
        doctor = session.execute(select(Staff)).scalars().first()
    return token, settings, resident, doctor


VALUES = {
    "items": [{"code": "K"}, {"code": "NA"}, {"code": "CREA"}],
    "specimen": "serum",
    "priority": "urgent",
    "fasting": False,
    "clinical_diagnosis": "乏力，服用利尿剂",
}


def test_results_with_a_critical_value_come_back_and_the_acknowledgement_goes_to_the_hub(
    hub, small_clinic, clinic_settings
):
    engine = small_clinic
    token, settings, resident, doctor = _setup(hub, engine, clinic_settings)
    collected = {
        "collected_at": datetime.now(UTC).replace(microsecond=0),
        "collected_by": "王护士",
        "barcode": "S0012345",
    }
    order_id, order_no = order(
        engine, resident_id=resident.id, values={**VALUES, **collected}, user_id=doctor.id, send=True
    )
    first = run_sync(engine, settings, token=token)
    assert first.outcome == "ok", first.message
    with read_session(engine) as session:
        assert session.get(OutboxEntry, ("lab_order", order_id)) is None  # confirmed by the hub

    lab = _lab(hub)
    try:
        assert lab.get(f"{PREFIX}/{order_no}").json()["status"] == "sent"
        _post(lab, order_no, "receive")
        reported = _post(
            lab,
            order_no,
            "results",
            {
                "results": [
                    {"code": "K", "value": "6.9", "method": "离子选择电极法"},
                    {"code": "NA", "value": "139"},
                    {"code": "CREA", "value": "130"},
                ],
                "reviewer": "赵主任",
                "institution": "县人民医院检验科",
                "recognised": True,
            },
        )
        assert reported["order"]["critical"] is True

        pulled = run_sync(engine, settings, token=token)
        assert pulled.outcome == "ok", pulled.message
        shown = detail(engine, order_id)
        assert shown.status == "reported" and shown.needs_critical_ack
        assert [(r.code, r.value, r.unit, r.reference_range, r.flag) for r in shown.report.results] == [
            ("K", "6.9", "mmol/L", "3.5-5.3", "critical"),
            ("NA", "139", "mmol/L", "137-147", "N"),
            ("CREA", "130", "μmol/L", "57-111", "H"),
        ]
        assert shown.report.institution == "县人民医院检验科" and shown.report.recognised
        assert shown.report.reporter == "desk user" and shown.report.reviewer == "赵主任"
        assert [a.to_status for a in shown.answers] == ["received", "reported"]
        store = Store(Path(database_path(engine)), engine)
        assert store.critical_values() == 1  # the header's red mark
        with read_session(engine) as session:
            assert session.get(LabOrder, order_id).revision == 1  # the lab's moves: no clinic edit

        acknowledge_critical(engine, order_id, user_id=doctor.id)
        assert store.critical_values() == 0
        back = run_sync(engine, settings, token=token)
        assert back.outcome == "ok", back.message
        with read_session(engine) as session:
            assert session.get(OutboxEntry, ("lab_order", order_id)) is None
        at_hub = lab.get(f"{PREFIX}/{order_no}").json()
        assert at_hub["critical_ack_by"] == doctor.name and at_hub["critical_ack_at"]
    finally:
        lab.close()


def test_a_rejected_specimen_is_recollected_sent_again_and_received(hub, small_clinic, clinic_settings):
    engine = small_clinic
    token, settings, resident, doctor = _setup(hub, engine, clinic_settings)
    collected = {
        "collected_at": datetime.now(UTC).replace(microsecond=0),
        "collected_by": "王护士",
        "barcode": "S0077001",
    }
    order_id, order_no = order(
        engine, resident_id=resident.id, values={**VALUES, **collected}, user_id=doctor.id, send=True
    )
    assert run_sync(engine, settings, token=token).outcome == "ok"
    lab = _lab(hub)
    try:
        _post(lab, order_no, "reject", {"reason": "标本溶血"})
        assert run_sync(engine, settings, token=token).outcome == "ok"
        shown = detail(engine, order_id)
        assert shown.status == "rejected" and shown.rejection == "标本溶血" and shown.can_recollect
        recollect(engine, order_id, values={**collected, "barcode": "S0077002"}, user_id=doctor.id)
        send(engine, order_id, user_id=doctor.id)
        assert run_sync(engine, settings, token=token).outcome == "ok"
        at_hub = lab.get(f"{PREFIX}/{order_no}").json()
        assert (at_hub["status"], at_hub["attempt"], at_hub["barcode"]) == ("sent", 2, "S0077002")
        _post(lab, order_no, "receive")
        assert run_sync(engine, settings, token=token).outcome == "ok"
        assert detail(engine, order_id).status == "received"
    finally:
        lab.close()
