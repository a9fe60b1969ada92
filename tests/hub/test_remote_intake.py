"""Remote requests pushed by clinics (issue 18): stored, each bad field refused alone with its code,
the same answers by the hub's fast and careful readers, numbers owned by their clinic, withdrawal
before and after the hospital accepted, idempotent re-push. Real hub, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from clinic_hub import remote_desk
from clinic_hub.accounts import Principal
from clinic_hub.errors import ApiError
from clinic_hub.incoming import read_well_formed
from clinic_hub.models import RemoteRequest, SyncConflict, table_of
from tests.hub.conftest import make_record, push
from tests.hub.remote_support import make_remote, request_number, revised

_requests = table_of(RemoteRequest)


def _row(hub, record_id: str):
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(_requests).where(_requests.c.id == record_id)).first()


def _results(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(r["status"], r["code"]) for r in response.json()["results"]]


def test_a_good_request_is_stored_with_its_typed_row(hub):
    code, token = hub.new_clinic()
    record = make_remote(code, service="imaging_ct", urgency="urgent", request_no=request_number(code).lower())
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
    row = _row(hub, record["id"])
    assert (row.service, row.urgency, row.status, row.clinic_status) == (
        "imaging_ct",
        "urgent",
        "requested",
        "requested",
    )
    assert row.request_no == record["data"]["request_no"].upper()
    with hub.engine.connect() as conn:
        detail = remote_desk.get_request(conn, row.request_no)
    assert detail.data["question"].startswith("胸闷") and [h.to_status for h in detail.history] == ["requested"]


BAD_FIELDS = [
    ({"service": "mri"}, "invalid_value", "service"),
    ({"service": None}, "missing_field", "service"),
    ({"urgency": "emergency"}, "invalid_value", "urgency"),
    ({"urgency": 1}, "invalid_value", "urgency"),
    ({"question": ""}, "missing_field", "question"),
    ({"question": "问" * 2001}, "invalid_value", "question"),
    ({"question": 7}, "invalid_value", "question"),
    ({"findings": "x" * 4001}, "invalid_value", "findings"),
    ({"history": ["高血压"]}, "invalid_value", "history"),
    ({"consent": False}, "invalid_value", "consent"),
    ({"consent": "yes"}, "invalid_value", "consent"),
    ({"status": "draft"}, "status_not_clinic_owned", None),
    ({"status": "accepted"}, "status_not_clinic_owned", None),
    ({"request_no": "C1-2025-R1"}, "invalid_value", "request_no"),
    ({"request_no": None}, "missing_field", "request_no"),
    ({"requested_at": "yesterday"}, "invalid_value", "requested_at"),
    ({"requested_at": None}, "missing_field", "requested_at"),
    ({"time_wished": 1700000000}, "invalid_value", "time_wished"),
    ({"preliminary_diagnoses": [{"code": "I10"}]}, "invalid_value", "preliminary_diagnoses"),
    ({"preliminary_diagnoses": "I10"}, "invalid_value", "preliminary_diagnoses"),
    ({"source_kind": "referral"}, "invalid_value", "source_kind"),
    ({"source_id": "not-a-uuid"}, "invalid_value", "source_id"),
    ({"patient_name": "名" * 101}, "invalid_value", "patient_name"),
    ({"critical_ack_at": "soon"}, "invalid_value", "critical_ack_at"),
    ({"report_read_by": 3}, "invalid_value", "report_read_by"),
]


@pytest.mark.parametrize("fields, code, field", BAD_FIELDS)
def test_each_bad_field_is_refused_alone_and_both_readers_agree(hub, fields, code, field):
    clinic, token = hub.new_clinic()
    # The first batch is read the fast way (every record plain); a lone surrogate in a visit
    # sends the second batch the careful way: the bad request must get the same answer from both.
    careful_only = make_record("visit", clinic, note="\ud800")
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        for first in (make_record("visit", clinic), careful_only):
            bad, good = make_remote(clinic), make_remote(clinic)
            bad["data"].update(fields)
            body = json.dumps({"batch_id": uuid.uuid4().hex, "records": [first, bad, good]}).encode()
            assert (read_well_formed(body, 500) is None) == (first is careful_only)  # the path taken
            answer = client.post("/api/v1/sync/push", content=body, headers={"Content-Type": "application/json"})
            results = answer.json()["results"]
            assert [(r["status"], r["code"]) for r in results[1:]] == [("rejected", code), ("accepted", None)]
            if field:
                assert field in results[1]["message"]
            assert _row(hub, bad["id"]) is None and _row(hub, good["id"]) is not None


def test_another_clinics_prefix_and_a_used_number_are_refused(hub):
    code, token = hub.new_clinic()
    other, _ = hub.new_clinic()
    mine = make_remote(code)
    theirs = make_remote(code, request_no=request_number(other))
    again = make_remote(code, request_no=mine["data"]["request_no"])
    with hub.client(token, **{"Accept-Language": "en"}) as client:
        answer = push(client, [mine, theirs, again])
        assert _results(answer) == [
            ("accepted", None),
            ("rejected", "invalid_value"),
            ("rejected", "duplicate_request_no"),
        ]
        assert "request_no" in answer.json()["results"][1]["message"]


def test_withdraw_before_acceptance_moves_it_and_after_is_a_conflict(hub):
    code, token = hub.new_clinic()
    early, late = make_remote(code), make_remote(code)
    with hub.client(token) as client:
        assert _results(push(client, [early, late])) == [("accepted", None)] * 2
        assert _results(push(client, [revised(early, status="withdrawn")])) == [("accepted", None)]
        assert _row(hub, early["id"]).status == "withdrawn"
        with hub.engine.begin() as conn:
            remote_desk.accept(conn, Principal("cli", "test"), late["data"]["request_no"])
        withdrawn_late = revised(late, status="withdrawn")
        assert _results(push(client, [withdrawn_late])) == [("conflict", "illegal_transition")]
        gone_late = {**revised(withdrawn_late, status="withdrawn"), "deleted": True}
        assert _results(push(client, [gone_late])) == [("conflict", "illegal_transition")]
        # The clinic cannot take back its withdrawal either.
        assert _results(push(client, [revised(revised(early, status="withdrawn"), status="requested")])) == [
            ("conflict", "illegal_transition")
        ]
        # Nor can it move what the hospital took on to another room.
        moved_room = revised(gone_late, status="withdrawn", service="pathology", urgency="urgent")
        moved_room["deleted"] = False
        assert _results(push(client, [moved_room])) == [("accepted", None)]
    row = _row(hub, late["id"])
    assert (row.status, row.clinic_status, row.deleted) == ("accepted", "withdrawn", False)
    assert (row.service, row.urgency) == ("ecg", "routine")
    with hub.engine.connect() as conn:
        conflicts = conn.execute(
            sa.select(table_of(SyncConflict).c.code).where(table_of(SyncConflict).c.record_id == late["id"])
        ).all()
    assert [c.code for c in conflicts] == ["illegal_transition", "illegal_transition"]


def test_a_request_first_seen_withdrawn_is_stored_as_withdrawn(hub):
    code, token = hub.new_clinic()
    record = make_remote(code, status="withdrawn")
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
    with hub.engine.connect() as conn:
        detail = remote_desk.get_request(conn, record["data"]["request_no"])
    assert detail.status == "withdrawn" and [h.to_status for h in detail.history] == ["requested", "withdrawn"]


def test_a_re_push_is_a_duplicate_and_changes_nothing(hub):
    code, token = hub.new_clinic()
    record = make_remote(code)
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
        assert _results(push(client, [record])) == [("duplicate", None)]
        assert _results(push(client, [{**record, "data": {**record["data"], "question": "改了"}}])) == [
            ("duplicate", None)
        ]
    with hub.engine.connect() as conn:
        detail = remote_desk.get_request(conn, record["data"]["request_no"])
    assert detail.data["question"].startswith("胸闷") and len(detail.history) == 1


def test_acknowledgements_are_copied_and_reading_the_report_marks_it_read(hub):
    code, token = hub.new_clinic()
    record = make_remote(code)
    staff = Principal("cli", "test")
    with hub.client(token) as client:
        push(client, [record])
        number = record["data"]["request_no"]
        from clinic_hub.schemas.remote import ReportRemote

        with hub.engine.begin() as conn:
            remote_desk.accept(conn, staff, number)
            remote_desk.report(
                conn,
                staff,
                number,
                ReportRemote(findings="ST段抬高", conclusion="急性下壁心梗", critical=True, critical_note="立即转诊"),
            )
        seen = revised(
            record,
            report_read_at="2025-07-01T03:00:00Z",
            report_read_by="张医生",
            critical_ack_at="2025-07-01T03:01:00+08:00",
            critical_ack_by="张医生",
        )
        assert _results(push(client, [seen])) == [("accepted", None)]
    row = _row(hub, record["id"])
    assert row.status == "read" and row.report_read_by == "张医生" and row.critical_ack_by == "张医生"
    assert row.critical_ack_at.isoformat().startswith("2025-06-30T19:01")


def test_a_tombstone_before_acceptance_takes_it_off_the_queue(hub):
    code, token = hub.new_clinic()
    record = make_remote(code)
    with hub.client(token) as client:
        push(client, [record])
        assert _results(push(client, [{**revised(record), "deleted": True}])) == [("accepted", None)]
    assert _row(hub, record["id"]).deleted is True
    with hub.engine.connect() as conn:
        assert record["id"] not in {r.id for r in remote_desk.list_requests(conn, clinic_code=code)}
    with hub.engine.begin() as conn, pytest.raises(ApiError) as refused:
        remote_desk.accept(conn, Principal("cli", "test"), record["data"]["request_no"])
    assert refused.value.code == "remote_deleted"
