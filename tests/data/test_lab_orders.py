"""data/lab_orders.py on a migrated database: ordering with numbering, problems by field, the
specimen's collection, sending, cancelling as domain.lab allows, a rejection and the recollection,
results with a critical value counted in the header and the dashboard until acknowledged; every
change with its outbox row and audit entry in the same transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.lab_orders import (
    LabRefused,
    acknowledge_critical,
    cancel,
    collect,
    detail,
    for_resident,
    order,
    page,
    recollect,
    send,
)
from clinic_tui.data.models import AuditEntry, LabEvent, LabOrder, OutboxEntry, Resident
from clinic_tui.data.store import Store
from clinic_tui.domain.problems import DomainError

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in the clinic


@pytest.fixture
def resident(engine, clinic, doctor) -> Resident:
    with unit_of_work(engine) as session:
        return records.create(
            session, Resident(clinic_id=clinic.id, name="张三", sex="1", birth_date=date(1958, 3, 1)), doctor.id
        )


def _values(**changes):
    return {
        "items": [{"code": "K"}, {"code": "NA"}, {"code": "CREA"}],
        "specimen": "serum",
        "priority": "urgent",
        "fasting": False,
        "clinical_diagnosis": "乏力，服用利尿剂",
    } | changes


COLLECTION = {"collected_at": NOW, "collected_by": "王护士", "barcode": "S0012345"}


def _event(engine, order_id, to_status, arrival, **data) -> None:
    with unit_of_work(engine) as session:
        session.add(
            LabEvent(
                id=f"00000000-0000-4000-8000-{arrival:012d}",
                arrival=arrival,
                order_id=order_id,
                to_status=to_status,
                at=NOW,
                received_at=NOW,
                **data,
            )
        )


def _outbox(engine, order_id):
    with read_session(engine) as session:
        return session.get(OutboxEntry, ("lab_order", order_id))


def test_an_order_is_numbered_per_clinic_and_day_named_from_the_catalogue_and_queued(engine, clinic, doctor, resident):
    first_id, first_no = order(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    _, second_no = order(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    assert (first_no, second_no) == (f"{clinic.code}-20261123-L0001", f"{clinic.code}-20261123-L0002")
    with read_session(engine) as session:
        row = session.get(LabOrder, first_id)
        assert row.status == "ordered" and row.patient_name == "张三" and row.ordering_doctor == doctor.name
        assert [i["name"] for i in row.items] == ["血钾", "血钠", "肌酐"]
        audit = session.exec(select(AuditEntry).where(AuditEntry.record_id == first_id)).all()
        assert [a.action for a in audit] == ["create"]
    assert _outbox(engine, first_id).revision == 1


def test_problems_name_their_fields_and_nothing_is_written(engine, doctor, resident):
    with pytest.raises(LabRefused) as refused:
        order(engine, resident_id=resident.id, values=_values(items=[{"code": "K"}, {"code": "WBC"}]), user_id=None)
    assert [p.code for p in refused.value.problems] == ["lab.specimen_mismatch"]
    with pytest.raises(LabRefused) as refused:
        order(engine, resident_id=resident.id, values=_values(), user_id=None, send=True)
    assert [p.field for p in refused.value.problems] == ["collected_at", "collected_by", "barcode"]
    assert page(engine)[1]["all"] == 0


def test_collect_then_send_and_cancel_only_before_the_lab_received(engine, doctor, resident):
    order_id, _ = order(engine, resident_id=resident.id, values=_values(), user_id=doctor.id, now=NOW)
    with pytest.raises(DomainError):
        send(engine, order_id, user_id=doctor.id)  # no specimen yet
    with pytest.raises(LabRefused) as refused:
        collect(engine, order_id, values={**COLLECTION, "barcode": ""}, user_id=doctor.id)
    assert [p.field for p in refused.value.problems] == ["barcode"]
    collect(engine, order_id, values=COLLECTION, user_id=doctor.id)
    assert detail(engine, order_id).can_send
    send(engine, order_id, user_id=doctor.id)
    shown = detail(engine, order_id)
    assert shown.status == "sent" and shown.can_cancel and shown.order.barcode == "S0012345"
    assert _outbox(engine, order_id).revision == 3
    _event(engine, order_id, "received", 1)
    shown = detail(engine, order_id)
    assert shown.status == "received" and not shown.can_cancel
    with pytest.raises(DomainError):
        cancel(engine, order_id, user_id=doctor.id)


def test_a_rejected_specimen_is_recollected_and_sent_again(engine, doctor, resident):
    order_id, _ = order(engine, resident_id=resident.id, values=_values(**COLLECTION), user_id=doctor.id, send=True)
    _event(engine, order_id, "rejected", 1, reason="标本溶血")
    shown = detail(engine, order_id)
    assert shown.status == "rejected" and shown.rejection == "标本溶血" and shown.can_recollect
    assert page(engine, "rejected")[1]["rejected"] == 1
    recollect(engine, order_id, values={**COLLECTION, "barcode": "S0012399"}, user_id=doctor.id)
    shown = detail(engine, order_id)
    assert shown.status == "collected" and shown.order.attempt == 2 and shown.rejection is None
    send(engine, order_id, user_id=doctor.id)
    assert detail(engine, order_id).status == "sent"


def test_critical_results_count_until_a_doctor_acknowledges(engine, doctor, resident):
    order_id, _ = order(engine, resident_id=resident.id, values=_values(**COLLECTION), user_id=doctor.id, send=True)
    store = Store(Path(engine.url.database), engine)  # the header and the dashboard read plain SQLite
    with pytest.raises(DomainError):
        acknowledge_critical(engine, order_id, user_id=doctor.id)
    _event(engine, order_id, "received", 1)
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
    _event(
        engine,
        order_id,
        "reported",
        2,
        results=results,
        critical=True,
        institution="县人民医院检验科",
        recognised=True,
        reporter="李检验",
        reviewer="赵主任",
        reported_at=NOW,
    )
    shown = detail(engine, order_id)
    assert shown.status == "reported" and shown.needs_critical_ack
    assert [(r.code, r.value, r.flag) for r in shown.report.results] == [("K", "6.8", "critical"), ("NA", "139", "N")]
    assert shown.report.recognised and shown.report.institution == "县人民医院检验科"
    assert store.critical_values() == 1
    assert [i.kind for i in store.dashboard(date(2026, 11, 23)).critical_values] == ["lab_order"]
    assert page(engine, "critical")[1]["critical"] == 1
    assert [r.status for r in for_resident(engine, resident.id)] == ["reported"]
    acknowledge_critical(engine, order_id, user_id=doctor.id)
    with read_session(engine) as session:
        row = session.get(LabOrder, order_id)
        assert row.critical_ack_by == doctor.name and row.critical_ack_at is not None
    assert store.critical_values() == 0 and _outbox(engine, order_id).revision == 2
    with pytest.raises(DomainError):
        acknowledge_critical(engine, order_id, user_id=doctor.id)
