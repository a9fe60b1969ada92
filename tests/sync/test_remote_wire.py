"""Remote requests on the wire, without a hub: the outbox sends ``remote_request`` in the contract's
shape (docs/protocol.md), and pulled ``remote_event`` pages apply in order, once, and are kept when
the request is not on this PC."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import AuditEntry, OutboxEntry, RemoteEvent, RemoteRequest, Resident
from clinic_tui.data.remote_requests import critical_count, detail, submit, withdraw
from clinic_tui.sync import outbox
from clinic_tui.sync import state as sync_state
from clinic_tui.sync.apply import apply_pull_page
from clinic_tui.sync.wire import PullChange

# Every field of the contract's remote_request data, besides the common ones.
CONTRACT_FIELDS = {
    "request_no", "service", "urgency", "status", "resident_id", "patient_name", "patient_sex",
    "patient_birth_date", "patient_id_type", "patient_id_number", "patient_phone", "requested_at",
    "requesting_doctor", "department_wished", "expert_wished", "time_wished", "question",
    "chief_complaint", "present_illness", "history", "findings", "preliminary_diagnoses", "consent",
    "source_kind", "source_id", "report_read_at", "report_read_by", "critical_ack_at", "critical_ack_by",
    "attachments",  # [{sha256, size, media_type, name}]: docs/protocol.md, "Attachments"
}  # fmt: skip
COMMON_FIELDS = {"id", "clinic_id", "author_id", "created_at", "updated_at", "revision", "deleted"}
WISHED = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)


@pytest.fixture
def request_id(engine, clinic, doctor) -> str:
    with unit_of_work(engine) as session:
        resident = records.create(
            session, Resident(clinic_id=clinic.id, name="刘芳", sex="2", birth_date=date(1960, 5, 1)), doctor.id
        )
    values = {
        "service": "consult_video",
        "urgency": "routine",
        "question": "血压控制不佳，请调整方案",
        "consent": True,
        "time_wished": WISHED,
        "department_wished": "0301",
        "preliminary_diagnoses": [{"code": "I10", "name": "高血压", "system": "ICD-10"}],
    }
    return submit(engine, resident_id=resident.id, values=values, user_id=doctor.id)[0]


def _change(seq, event_id, request_id, to_status, revision=1, **data):
    body = {"origin": "hub", "request_id": request_id, "request_no": "X-20261123-R0001", "to_status": to_status}
    body |= {"actor": "hospital", "actor_name": "王护士", "at": "2026-11-23T03:00:00Z"} | data
    return PullChange(
        seq=seq, kind="remote_event", id=event_id, revision=revision, updated_at="2026-11-23T03:00:00Z",
        deleted=False, data=body,
    )  # fmt: skip


E1, E2, E3, E4 = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 5))


def test_the_outbox_sends_remote_request_in_the_contract_shape(engine, request_id):
    sent, texts = outbox.build_batch(engine, outbox.pending_items(engine))
    (record,) = [json.loads(t) for t in texts if json.loads(t)["kind"] == "remote_request"]
    assert record["id"] == request_id and record["revision"] == 1 and record["deleted"] is False
    data = record["data"]
    assert set(data) == CONTRACT_FIELDS | COMMON_FIELDS
    assert data["status"] == "requested" and data["service"] == "consult_video" and data["consent"] is True
    assert data["time_wished"] == "2026-11-24T06:30:00+00:00"
    assert data["preliminary_diagnoses"] == [{"code": "I10", "name": "高血压", "system": "ICD-10"}]
    assert data["report_read_at"] is None and data["critical_ack_by"] is None
    assert data["patient_name"] == "刘芳" and data["patient_birth_date"] == "1960-05-01"
    assert "remote_request" in sync_state.owned_kinds()

    withdraw(engine, request_id, user_id=None)
    _, texts = outbox.build_batch(engine, outbox.pending_items(engine))
    (again,) = [json.loads(t) for t in texts if json.loads(t)["kind"] == "remote_request"]
    assert (again["revision"], again["data"]["status"]) == (2, "withdrawn")


def test_pulled_answers_apply_in_order_once_and_a_critical_report_shows(engine, request_id):
    page = [
        _change(1, E1, request_id, "accepted", from_status="requested"),
        _change(
            2, E2, request_id, "scheduled", from_status="accepted", scheduled_at="2026-11-24T07:00:00Z", expert="陈主任"
        ),  # fmt: skip
        _change(
            3,
            E3,
            request_id,
            "reported",
            from_status="scheduled",
            findings="左室肥厚",
            conclusion="高血压心脏病",
            advice="加用 ARB",
            reporting_doctor="陈主任",
            reviewing_doctor=None,
            signed_at="2026-11-24T08:00:00Z",
            critical=True,
            critical_note="血钾 6.8",
            service_item_code="310701",
            fee="35.00",
        ),  # fmt: skip
    ]
    result = apply_pull_page(engine, page, "c1", "epoch")
    assert result.applied == 3
    shown = detail(engine, request_id)
    assert shown.status == "reported"
    assert [a.to_status for a in shown.answers] == ["accepted", "scheduled", "reported"]
    assert (
        shown.answers[1].scheduled_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
        and shown.answers[1].expert == "陈主任"
    )
    report = shown.report
    assert (report.conclusion, report.critical, report.critical_note, report.fee) == (
        "高血压心脏病",
        True,
        "血钾 6.8",
        "35.00",
    )
    assert report.signed_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert critical_count(engine) == 1
    with read_session(engine) as session:
        request = session.get(RemoteRequest, request_id)
        assert request.revision == 1  # the hospital's moves are not clinic edits
        assert session.get(OutboxEntry, ("remote_request", request_id)).revision == 1
        assert session.get(OutboxEntry, ("remote_event", E1)) is None
        received = session.execute(select(AuditEntry).where(AuditEntry.action == "receive")).scalars().all()
        assert {entry.record_id for entry in received} == {E1, E2, E3}

    # The same page again (a cursor lost): nothing changes, the order stays.
    again = apply_pull_page(engine, page, "c1", "epoch")
    assert again.applied == 0 and again.skipped == 3
    with read_session(engine) as session:
        events = session.execute(select(RemoteEvent).order_by(RemoteEvent.arrival)).scalars()
        assert [(e.id, e.arrival) for e in events] == [(E1, 1), (E2, 2), (E3, 3)]


def test_an_answer_for_a_request_not_held_is_kept_and_named(engine, request_id):
    stranger = "11111111-1111-4111-8111-111111111111"
    result = apply_pull_page(
        engine, [_change(1, E4, stranger, "returned", reason="资料不全", request_no="C9-20261123-R0003")], "c1", "e"
    )
    assert result.applied == 1
    with read_session(engine) as session:
        kept = session.get(RemoteEvent, E4)
        assert (kept.request_id, kept.to_status, kept.reason) == (stranger, "returned", "资料不全")
    assert sync_state.unmatched_remote_answers(engine) == ["C9-20261123-R0003"]
    assert sync_state.overview(engine, 3).unmatched == ["C9-20261123-R0003"]
    assert detail(engine, request_id).status == "requested"  # another request is not touched
