"""Lab orders pushed by clinics (issue 18, tests at the lead hospital): stored with a typed row,
each bad field refused alone with its code, numbers owned by their clinic, cancellation before
and after the lab received the specimen (then listed as an exception), a recollection after a
rejection, idempotent re-push. Real hub, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from clinic_hub import lab_desk
from clinic_hub.accounts import Principal
from clinic_hub.models import LabOrder, SyncConflict, table_of
from tests.hub.conftest import push
from tests.hub.lab_support import make_order, order_number
from tests.hub.remote_support import revised

_orders = table_of(LabOrder)
LAB = Principal("cli", "test-lab")


def _row(hub, record_id: str):
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(_orders).where(_orders.c.id == record_id)).first()


def _results(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(r["status"], r["code"]) for r in response.json()["results"]]


def test_a_good_order_is_stored_with_its_typed_row_and_a_repush_is_a_duplicate(hub):
    code, token = hub.new_clinic()
    record = make_order(code, priority="urgent", order_no=order_number(code).lower())
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
        assert _results(push(client, [record])) == [("duplicate", None)]
    row = _row(hub, record["id"])
    assert (row.status, row.clinic_status, row.priority, row.specimen, row.barcode, row.attempt) == (
        "sent",
        "sent",
        "urgent",
        "serum",
        "S0012345",
        1,
    )
    assert row.order_no == record["data"]["order_no"].upper()
    with hub.engine.connect() as conn:
        detail = lab_desk.get_order(conn, row.order_no)
    assert [i["code"] for i in detail.items] == ["K", "NA", "CREA"] and detail.patient_name == "李秀英"
    assert [h.to_status for h in detail.history] == ["sent"]


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"items": []}, "missing_field", "items"),
        ({"items": [{"code": "XX"}]}, "invalid_value", "items"),
        ({"items": "K"}, "invalid_value", "items"),
        ({"items": [{"code": "K"}, {"code": "WBC"}]}, "invalid_value", "items"),
        ({"specimen": "csf"}, "invalid_value", "specimen"),
        ({"priority": None}, "missing_field", "priority"),
        ({"fasting": "yes"}, "invalid_value", "fasting"),
        ({"barcode": None}, "missing_field", "barcode"),  # sent without its barcode
        ({"barcode": "a b"}, "invalid_value", "barcode"),
        ({"collected_by": ""}, "missing_field", "collected_by"),
        ({"collected_at": "yesterday"}, "invalid_value", "collected_at"),
        ({"attempt": 0}, "invalid_value", "attempt"),
        ({"sent_at": "x"}, "invalid_value", "sent_at"),
        ({"order_no": "C1-20250101-R0001"}, "invalid_value", "order_no"),
        ({"status": "reported"}, "status_not_clinic_owned", None),
    ],
)
def test_each_bad_field_is_refused_alone_with_its_code(hub, fields, code, field):
    clinic, token = hub.new_clinic()
    good, bad = make_order(clinic), make_order(clinic, **fields)
    with hub.client(token) as client:
        answer = push(client, [good, bad]).json()["results"]
    assert answer[0]["status"] == "accepted"
    assert (answer[1]["status"], answer[1]["code"]) == ("rejected", code)
    if field:
        assert answer[1]["params"]["field"] == field
    assert _row(hub, bad["id"]) is None


def test_a_number_must_be_the_pushing_clinics_and_unique(hub):
    mine, token = hub.new_clinic()
    other, _ = hub.new_clinic()
    first = make_order(mine)
    with hub.client(token) as client:
        foreign = push(client, [make_order(mine, order_no=order_number(other))]).json()["results"][0]
        assert (foreign["status"], foreign["params"]["field"]) == ("rejected", "order_no")
        assert _results(push(client, [first])) == [("accepted", None)]
        again = push(client, [make_order(mine, order_no=first["data"]["order_no"])]).json()["results"][0]
        assert (again["status"], again["code"]) == ("rejected", "duplicate_order_no")


def test_an_order_moves_ahead_and_is_cancelled_before_receipt(hub):
    code, token = hub.new_clinic()
    ordered = make_order(code, status="ordered")
    with hub.client(token) as client:
        assert _results(push(client, [ordered])) == [("accepted", None)]
        sent = revised(ordered, status="sent", collected_at=ordered["data"]["ordered_at"], collected_by="王护士")
        sent = revised(sent, barcode="S0099887", sent_at=ordered["data"]["ordered_at"])
        sent["revision"] = sent["data"]["revision"] = 2
        assert _results(push(client, [sent])) == [("accepted", None)]  # collected and sent offline: skips ahead
        assert _row(hub, ordered["id"]).status == "sent"
        cancelled = revised(sent, status="cancelled")
        assert _results(push(client, [cancelled])) == [("accepted", None)]
        assert _row(hub, ordered["id"]).status == "cancelled"
        back = revised(cancelled, status="sent")
        assert _results(push(client, [back])) == [("conflict", "illegal_transition")]
    assert _row(hub, ordered["id"]).status == "cancelled"


def test_a_cancellation_after_receipt_is_a_conflict_and_an_exception_on_the_desk(hub):
    code, token = hub.new_clinic()
    record = make_order(code)
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
        with hub.engine.begin() as conn:
            lab_desk.receive(conn, LAB, record["data"]["order_no"])
        late = revised(record, status="cancelled")
        assert _results(push(client, [late])) == [("conflict", "illegal_transition")]
    row = _row(hub, record["id"])
    assert (row.status, row.clinic_status) == ("received", "cancelled")
    with hub.engine.connect() as conn:
        assert [o.order_no for o in lab_desk.exceptions(conn) if o.clinic_code == code] == [row.order_no]
        conflicts = conn.execute(
            sa.select(table_of(SyncConflict)).where(table_of(SyncConflict).c.record_id == record["id"])
        )
        assert [c.code for c in conflicts] == ["illegal_transition"]


def test_a_rejected_specimen_is_recollected_as_the_next_attempt(hub):
    code, token = hub.new_clinic()
    record = make_order(code)
    number = record["data"]["order_no"]
    with hub.client(token) as client:
        assert _results(push(client, [record])) == [("accepted", None)]
        with hub.engine.begin() as conn:
            lab_desk.reject(conn, LAB, number, "标本溶血")
        assert _row(hub, record["id"]).status == "rejected"
        again = revised(record, status="sent", attempt=2, barcode="S0012399")
        assert _results(push(client, [again])) == [("accepted", None)]
    row = _row(hub, record["id"])
    assert (row.status, row.attempt, row.barcode, row.rejected_reason) == ("sent", 2, "S0012399", None)
    with hub.engine.begin() as conn:
        lab_desk.receive(conn, LAB, number)
        assert [(h.attempt, h.to_status) for h in lab_desk.get_order(conn, number).history] == [
            (1, "sent"),
            (1, "rejected"),
            (2, "sent"),
            (2, "received"),
        ]
