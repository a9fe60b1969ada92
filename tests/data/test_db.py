"""The SQLite connection settings, the unit of work and timestamps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from clinic_tui.data import records
from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.maintenance import integrity_problems
from clinic_tui.data.models import AuditEntry, OutboxEntry, Resident, Visit


def test_connection_uses_wal_full_sync_foreign_keys_and_busy_timeout(engine):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_a_failed_action_leaves_nothing_behind(engine, clinic, doctor):
    with pytest.raises(RuntimeError):
        with unit_of_work(engine) as session:
            records.create(session, Resident(clinic_id=clinic.id, name="王五"), doctor.id)
            raise RuntimeError("power cut in the middle of saving")
    with read_session(engine) as session:
        assert len(session.exec(select(Resident)).all()) == 0
        assert len(session.exec(select(OutboxEntry).where(OutboxEntry.kind == "resident")).all()) == 0
        assert len(session.exec(select(AuditEntry).where(AuditEntry.kind == "resident")).all()) == 0


def test_foreign_keys_are_enforced(engine, clinic):
    with pytest.raises(IntegrityError):
        with unit_of_work(engine) as session:
            session.add(Visit(clinic_id=clinic.id, resident_id="no-such-resident", visit_at=datetime.now(UTC)))


def test_timestamps_are_utc_aware_and_naive_ones_are_refused(engine, clinic):
    with pytest.raises(StatementError, match="naive datetime"):
        with unit_of_work(engine) as session:
            session.add(Resident(clinic_id=clinic.id, name="赵六", created_at=datetime(2026, 1, 1)))
    with unit_of_work(engine) as session:
        resident = records.create(session, Resident(clinic_id=clinic.id, name="赵六"), None)
    with read_session(engine) as session:
        stored = session.get(Resident, resident.id)
        assert stored.created_at.tzinfo is UTC
        assert abs((stored.created_at - datetime.now(UTC)).total_seconds()) < 60


def test_a_process_killed_mid_transaction_loses_only_that_transaction(engine, clinic, tmp_path):
    """Simulates a power cut: SIGKILL while a write transaction is open."""
    with unit_of_work(engine) as session:
        records.create(session, Resident(clinic_id=clinic.id, name="已保存"), None)
    db_path = engine.url.database
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from clinic_tui.data.db import open_engine, unit_of_work
        from clinic_tui.data import records
        from clinic_tui.data.models import Resident
        engine = open_engine({db_path!r})
        with unit_of_work(engine) as session:
            for i in range(200):
                records.create(session, Resident(clinic_id={clinic.id!r}, name=f"未保存{{i}}"), None)
            session.flush()
            print("flushed", flush=True)
            sys.stdin.readline()
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "flushed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    engine.dispose()
    assert integrity_problems(db_path) == []
    with read_session(engine) as session:
        names = [r.name for r in session.exec(select(Resident))]
        assert names == ["已保存"]
        assert session.execute(text("SELECT count(*) FROM outbox WHERE kind='resident'")).scalar() == 1
