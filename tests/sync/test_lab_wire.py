"""Lab orders on the wire, without a hub: the outbox sends ``lab_order`` in the contract's shape
(docs/protocol.md), pulled ``lab_event`` pages apply in order and once, an answer about an older
specimen does not count for the recollected one, and an answer for an order not on this PC is kept."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lab_orders import detail, order, recollect
from clinic_tui.data.models import LabEvent, OutboxEntry, Resident
from clinic_tui.sync import outbox
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.apply import apply_pull_page
from clinic_tui.sync.wire import PullChange

CONTRACT_FIELDS = {
    "order_no", "status", "items", "specimen", "priority", "fasting", "clinical_diagnosis", "resident_id",
    "patient_name", "patient_sex", "patient_birth_date", "patient_id_number", "ordered_at", "ordering_doctor",
    "attempt", "collected_at", "collected_by", "barcode", "sent_at", "critical_ack_at", "critical_ack_by",
    "critical_ack_event",
}  # fmt: skip
COMMON_FIELDS = {"id", "clinic_id", "author_id", "created_at", "updated_at", "revision", "deleted"}
AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
E1, E2, E3, E4 = (f"00000000-0000-4000-8000-00000000010{n}" for n in range(1, 5))


@pytest.fixture
def order_id(engine, clinic, doctor) -> str:
    with unit_of_work(engine) as session:
        resident = records.create(
            session, Resident(clinic_id=clinic.id, name="刘芳", sex="2", birth_date=date(1960, 5, 1)), doctor.id
        )
    values = {
        "items": [{"code": "K"}, {"code": "NA"}],
        "specimen": "serum",
        "priority": "urgent",
        "fasting": True,
        "clinical_diagnosis": "乏力",
        "collected_at": AT,
        "collected_by": "王护士",
        "barcode": "S0012345",
    }
    return order(engine, resident_id=resident.id, values=values, user_id=doctor.id, send=True, now=AT)[0]


def _change(seq: int, event_id: str, order_id: str, to_status: str, **data) -> PullChange:
    return PullChange(
        seq=seq,
        kind="lab_event",
        id=event_id,
        revision=1,
        updated_at=AT,
        deleted=False,
        data={
            "origin": "hub",
            "order_id": order_id,
            "order_no": "X",
            "to_status": to_status,
            "at": AT.isoformat(),
            **data,
        },
    )


def test_the_outbox_sends_lab_order_in_the_contract_shape(engine, order_id):
    _sent, texts = outbox.build_batch(engine, outbox.pending_items(engine))
    (record,) = [json.loads(t) for t in texts if json.loads(t)["kind"] == "lab_order"]
    data = record["data"]
    assert set(data) == CONTRACT_FIELDS | COMMON_FIELDS
    assert (data["status"], data["specimen"], data["attempt"], data["barcode"]) == ("sent", "serum", 1, "S0012345")
    assert data["items"] == [{"code": "K", "name": "血钾"}, {"code": "NA", "name": "血钠"}]
    assert data["collected_at"] == "2026-11-24T01:00:00+00:00" and data["fasting"] is True
    assert "lab_order" in sync_state.owned_kinds()


def test_pulled_answers_apply_in_order_once(engine, order_id):
    results = [
        {
            "code": "K",
            "name": "血钾",
            "value": "6.8",
            "unit": "mmol/L",
            "reference_range": "3.5-5.3",
            "flag": "critical",
        },
        {"code": "NA", "name": "血钠", "value": "139", "unit": "mmol/L", "reference_range": "137-147", "flag": "N"},
    ]
    page = [
        _change(1, E1, order_id, "received", attempt=1),
        _change(2, E2, order_id, "reported", attempt=1, results=results, critical=True, recognised=True,
                institution="县人民医院检验科", reporter="张护士", reported_at=AT.isoformat()),
    ]  # fmt: skip
    assert apply_pull_page(engine, page, "c1", "epoch").applied == 2
    shown = detail(engine, order_id)
    assert shown.status == "reported" and shown.needs_critical_ack and shown.report.recognised
    assert [r.flag for r in shown.report.results] == ["critical", "N"]
    with read_session(engine) as session:
        assert session.get(OutboxEntry, ("lab_event", E1)) is None
    again = apply_pull_page(engine, page, "c1", "epoch")
    assert again.applied == 0 and again.skipped == 2
    with read_session(engine) as session:
        events = session.execute(select(LabEvent).order_by(LabEvent.arrival)).scalars()
        assert [(e.id, e.arrival) for e in events] == [(E1, 1), (E2, 2)]


def test_an_answer_about_the_old_specimen_does_not_count_for_the_new_one(engine, order_id, doctor):
    apply_pull_page(engine, [_change(1, E1, order_id, "rejected", attempt=1, reason="溶血")], "c1", "epoch")
    assert detail(engine, order_id).status == "rejected"
    recollect(
        engine, order_id, values={"collected_at": AT, "collected_by": "王护士", "barcode": "S0099"}, user_id=doctor.id
    )
    assert detail(engine, order_id).status == "collected"
    apply_pull_page(engine, [_change(2, E2, order_id, "received", attempt=2)], "c2", "epoch")
    assert detail(engine, order_id).status == "received"


def test_an_answer_for_an_order_not_held_is_kept(engine, order_id):
    unknown = "11111111-1111-4111-8111-111111111111"
    assert apply_pull_page(engine, [_change(1, E3, unknown, "received")], "c1", "epoch").applied == 1
    with read_session(engine) as session:
        assert session.get(LabEvent, E3).order_id == unknown
