"""Revisions, audit trail, outbox and tombstones of clinic-owned records."""

from __future__ import annotations

from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import AuditEntry, OutboxEntry, Resident, Staff


def _outbox(engine, record_id):
    with read_session(engine) as session:
        return session.exec(select(OutboxEntry).where(OutboxEntry.record_id == record_id)).one_or_none()


def _audit(engine, record_id):
    with read_session(engine) as session:
        return session.exec(select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.id)).all()


def test_create_sets_revision_author_audit_and_outbox(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="张三", phone="13800138000"), doctor.id)
    assert resident.revision == 1 and resident.author_id == doctor.id
    assert len(resident.id) == 36
    entry = _outbox(engine, resident.id)
    assert (entry.kind, entry.revision, entry.state) == ("resident", 1, "pending")
    (audit,) = _audit(engine, resident.id)
    assert audit.action == "create" and audit.user_id == doctor.id
    assert audit.changes["name"] == [None, "张三"]


def test_update_bumps_revision_and_audits_only_what_changed(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="张三"), doctor.id)
    with unit_of_work(engine) as session:
        resident = session.get(Resident, resident.id)
        records.update(session, resident, {"phone": "13900139000", "name": "张三"}, doctor.id)
    assert resident.revision == 2
    assert _outbox(engine, resident.id).revision == 2
    last = _audit(engine, resident.id)[-1]
    assert last.action == "update"
    assert last.changes["phone"] == [None, "13900139000"]
    assert "name" not in last.changes


def test_an_update_that_changes_nothing_writes_nothing(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="张三"), doctor.id)
    with unit_of_work(engine) as session:
        resident = records.update(session, session.get(Resident, resident.id), {"name": "张三"}, doctor.id)
    assert resident.revision == 1
    assert len(_audit(engine, resident.id)) == 1


def test_an_edit_after_rejection_makes_the_record_pending_again(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="张三"), doctor.id)
    with unit_of_work(engine) as session:
        entry = session.get(OutboxEntry, ("resident", resident.id))
        entry.state, entry.reject_code, entry.reject_message = "rejected", "invalid", "bad"
    with unit_of_work(engine) as session:
        records.update(session, session.get(Resident, resident.id), {"phone": "13700137000"}, doctor.id)
    entry = _outbox(engine, resident.id)
    assert (entry.state, entry.revision, entry.reject_code) == ("pending", 2, None)


def test_tombstone_keeps_the_row_and_syncs_the_deletion(engine, clinic, doctor):
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="张三"), doctor.id)
    with unit_of_work(engine) as session:
        records.tombstone(session, session.get(Resident, resident.id), doctor.id)
    with read_session(engine) as session:
        stored = session.get(Resident, resident.id)
        assert stored.deleted and stored.revision == 2
    assert _outbox(engine, resident.id).revision == 2
    assert _audit(engine, resident.id)[-1].action == "delete"


def test_a_pin_never_reaches_the_audit_trail_or_the_wire(engine, clinic):
    with unit_of_work(engine) as session:
        nurse = records.create(session, Staff(clinic_id=clinic.id, name="护士", pin_hash="scrypt$aa$bb"), None)
    assert "pin_hash" not in records.sync_payload(nurse)
    assert all("pin_hash" not in entry.changes for entry in _audit(engine, nurse.id))
