"""Referral moves: checked by the state machine, recorded as events, queued by ownership."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from clinic_tui import i18n
from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import AuditEntry, OutboxEntry, Referral, ReferralEvent
from clinic_tui.data.referral_status import effective_status, move
from clinic_tui.domain.problems import DomainError

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _referral(engine, clinic, doctor, *, status="sent", direction="up", origin="clinic") -> str:
    with unit_of_work(engine) as session:
        referral = Referral(
            clinic_id=clinic.id,
            referral_no=f"{clinic.code}-20261101-{status[:2]}{direction[0]}",
            direction=direction,
            origin=origin,
            status=status,
            referral_date=date(2026, 11, 1),
            patient_name="张三",
        )
        if origin == "hub":  # the hub's row arrives by pull: no audit, no outbox
            referral.id = "hub-referral-1"
            session.add(referral)
        else:
            records.create(session, referral, doctor.id)
        session.flush()
        first = "received" if direction == "down" else "draft"
        session.add(
            ReferralEvent(
                clinic_id=clinic.id,
                referral_id=referral.id,
                origin=origin,
                from_status=None,
                to_status=first,
                actor="hospital" if origin == "hub" else "clinic",
                at=T0,
            )
        )
        return referral.id


def _outbox(engine, kind: str, record_id: str) -> OutboxEntry | None:
    with read_session(engine) as session:
        return session.get(OutboxEntry, (kind, record_id))


def test_cancel_sent_referral_writes_event_status_and_outbox(engine, clinic, doctor):
    referral_id = _referral(engine, clinic, doctor, status="sent")

    moved = move(engine, referral_id, "cancelled", user_id=doctor.id, reason="  患者改去省医院  ")

    assert (moved.from_status, moved.to_status) == ("sent", "cancelled")
    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        event = session.get(ReferralEvent, moved.event_id)
        audits = (
            session.execute(
                select(AuditEntry.kind).where(
                    AuditEntry.record_id.in_([referral_id, moved.event_id]), AuditEntry.action != "create"
                )
            )
            .scalars()
            .all()
        )
    assert referral.status == "cancelled" and referral.cancel_reason == "患者改去省医院"
    assert referral.revision == 2
    assert (event.origin, event.actor, event.from_status, event.to_status) == ("clinic", "clinic", "sent", "cancelled")
    assert event.reason == "患者改去省医院" and event.actor_name == "李医生"
    assert audits == ["referral"]  # the status change is audited as an edit of the referral
    assert _outbox(engine, "referral", referral_id).revision == 2
    assert _outbox(engine, "referral_event", moved.event_id).revision == 1


def test_cancel_needs_a_reason(engine, clinic, doctor):
    referral_id = _referral(engine, clinic, doctor, status="sent")

    with pytest.raises(DomainError) as refused:
        move(engine, referral_id, "cancelled", user_id=doctor.id, reason="   ")

    assert refused.value.problem.code == "referral.reason_required"
    with read_session(engine) as session:
        assert session.get(Referral, referral_id).status == "sent"


def test_cancelling_an_accepted_referral_is_refused_and_writes_nothing(engine, clinic, doctor):
    referral_id = _referral(engine, clinic, doctor, status="accepted")
    i18n.set_language("en")

    with pytest.raises(DomainError) as refused:
        move(engine, referral_id, "cancelled", user_id=doctor.id, reason="改主意")

    assert refused.value.message == "A referral cannot go from “Accepted” to “Cancelled”."
    i18n.set_language("zh")
    assert "已接收" in refused.value.message or "接收" in refused.value.message
    with read_session(engine) as session:
        events = session.execute(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)).all()
        assert session.get(Referral, referral_id).revision == 1
    assert len(events) == 1


def test_the_clinic_may_not_make_the_hospitals_moves(engine, clinic, doctor):
    referral_id = _referral(engine, clinic, doctor, status="sent")

    with pytest.raises(DomainError) as refused:
        move(engine, referral_id, "accepted", user_id=doctor.id)

    assert refused.value.problem.code == "referral.wrong_actor"


def test_downward_move_pushes_only_the_clinics_event(engine, clinic, doctor):
    referral_id = _referral(engine, clinic, doctor, status="received", direction="down", origin="hub")

    moved = move(engine, referral_id, "acknowledged", user_id=doctor.id)

    with read_session(engine) as session:
        referral = session.get(Referral, referral_id)
        audited = session.execute(select(AuditEntry).where(AuditEntry.record_id == referral_id)).all()
    assert referral.status == "acknowledged"
    assert referral.revision == 1  # the hub's row is not edited: its status is derived
    assert audited == []
    assert _outbox(engine, "referral", referral_id) is None
    assert _outbox(engine, "referral_event", moved.event_id) is not None

    second = move(engine, referral_id, "in_followup", user_id=doctor.id)
    assert second.from_status == "acknowledged"


def test_missing_referral_is_a_clear_refusal(engine, clinic, doctor):
    with pytest.raises(DomainError) as refused:
        move(engine, "no-such-id", "cancelled", user_id=doctor.id, reason="x")
    assert refused.value.problem.code == "referral.missing"


def _event(from_status, to_status, at, origin="clinic"):
    return ReferralEvent(
        clinic_id="c",
        referral_id="r",
        origin=origin,
        from_status=from_status,
        to_status=to_status,
        actor="clinic",
        at=at,
    )


def test_effective_status_follows_the_chain_not_the_clock():
    # The clinic PC's clock is a day behind the hub's: its acknowledgement looks older.
    events = [
        _event("received", "acknowledged", T0 - timedelta(days=1)),
        _event(None, "received", T0, origin="hub"),
    ]
    assert effective_status("received", events) == "acknowledged"


def test_effective_status_lets_the_hospital_decision_stand():
    events = [
        _event(None, "draft", T0),
        _event("draft", "sent", T0 + timedelta(hours=1)),
        _event("sent", "cancelled", T0 + timedelta(hours=2)),
        _event("sent", "accepted", T0 + timedelta(hours=3), origin="hub"),
    ]
    assert effective_status("cancelled", events) == "accepted"
    assert effective_status("sent", []) == "sent"
