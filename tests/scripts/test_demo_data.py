"""The demo data generator: realistic, valid, complete, deterministic; the shipped demo at head."""

from __future__ import annotations

import sqlite3
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from clinic_tui.data import models
from clinic_tui.data.db import open_engine, read_session
from clinic_tui.data.maintenance import integrity_problems
from clinic_tui.data.migrate import current_revision, head_revision
from clinic_tui.domain.contract import check_fee_split
from clinic_tui.domain.idnumber import validate_citizen_id
from clinic_tui.domain.referral import Status, transition

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from demo.build import Size, generate  # noqa: E402

TODAY = date(2026, 11, 20)
UP = {"draft", "review", "sent", "accepted", "rejected", "cancelled", "expired", "arrived", "no_show", "completed"}
DOWN = {"received", "acknowledged", "in_followup", "completed", "lost"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    generate(path, Size(residents=150, visits=300, referrals_per_status=1, audit=True), today=TODAY)
    return path


def _dump(path: Path) -> dict[str, list[tuple]]:
    connection = sqlite3.connect(path)
    tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    dump = {t: sorted(map(repr, connection.execute(f"SELECT * FROM {t}"))) for t in tables}
    connection.close()
    return dump


# Tables the demo leaves empty, and why: a demo copy synced with a fresh hub resends all it holds,
# and a hub that opened no examination pool refuses every booking (scripts/demo/exams.py).
EMPTY_ON_PURPOSE = {"exam_booking", "exam_event"}


def test_every_table_has_rows_and_the_file_is_sound(demo):
    dump = _dump(demo)
    assert [t for t, rows in dump.items() if not rows] == sorted(EMPTY_ON_PURPOSE)
    assert integrity_problems(demo) == []


def test_the_same_seed_gives_the_same_records(demo, tmp_path):
    again = tmp_path / "again.db"
    generate(again, Size(residents=150, visits=300, referrals_per_status=1, audit=True), today=TODAY)
    assert _dump(again) == _dump(demo)


def test_every_record_loads_through_the_models(demo):
    engine = open_engine(demo)
    with read_session(engine) as session:
        for model in [*models.SYNCED_KINDS.values(), models.Clinic, models.Hospital, models.SlotPool]:
            rows = session.exec(select(model)).all()
            assert rows or model.__tablename__ in EMPTY_ON_PURPOSE, model.__name__
        visit = session.exec(select(models.Visit)).first()
        assert visit.visit_at.tzinfo is not None and visit.diagnoses[0]["code"]
    engine.dispose()


def test_id_numbers_are_valid_and_agree_with_sex_and_birth_date(demo):
    engine = open_engine(demo)
    with read_session(engine) as session:
        residents = session.exec(select(models.Resident)).all()
    engine.dispose()
    with_id = [r for r in residents if r.id_type == "01"]
    assert len(with_id) > 100
    for resident in with_id:
        check = validate_citizen_id(resident.id_number, today=TODAY)
        assert check.ok, (resident.id_number, [p.code for p in check.problems])
        assert (check.sex, check.birth_date) == (resident.sex, resident.birth_date)
    assert all(r.id_number is None for r in residents if r.id_type != "01")  # never a fake number


def test_referrals_cover_every_status_with_a_legal_history(demo):
    engine = open_engine(demo)
    with read_session(engine) as session:
        referrals = session.exec(select(models.Referral)).all()
        events = session.exec(select(models.ReferralEvent).order_by(models.ReferralEvent.at)).all()
    engine.dispose()
    assert {r.status for r in referrals if r.direction == "up"} == UP
    assert {r.status for r in referrals if r.direction == "down"} == DOWN
    for referral in referrals:
        history = [e for e in events if e.referral_id == referral.id]
        status = None
        for event in history:
            assert event.from_status == status
            transition(referral.direction, status, event.to_status, event.actor, event.reason)
            status = event.to_status
        assert status == referral.status
    assert Status.ACCEPTED in {e.to_status for e in events if e.appointment_at is not None}


def test_contracts_cover_every_status_and_fees_add_up(demo):
    engine = open_engine(demo)
    with read_session(engine) as session:
        contracts = session.exec(select(models.Contract)).all()
    engine.dispose()
    assert {c.status for c in contracts} == {"pending", "active", "expiring", "renewed", "expired", "terminated"}
    for c in contracts:
        assert check_fee_split(c.fee_total_fen, c.fee_insurance_fen, c.fee_public_health_fen, c.fee_self_fen) == []
    renewals = [c for c in contracts if c.kind == "renewal"]
    assert renewals and all(c.previous_contract_id for c in renewals)


def test_the_shipped_demo_database_is_at_the_current_schema_with_data_everywhere():
    shipped = ROOT / "local.db.example"
    engine = open_engine(shipped, read_only=True)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    assert [t for t, rows in _dump(shipped).items() if not rows] == sorted(EMPTY_ON_PURPOSE)
