"""The data layer's face to the screens: each method is one read or one user action.

Screens never open a session nor see the engine; they call a ``Store``: its own methods for what
the first frames show, and one door per feature for the rest (``store.residents.search(...)``,
``store.referrals.submit(...)``: data/features.py). Every write runs in one transaction.
What an ordinary start shows before the doctor can work (the staff list, the clinic, the header's
sync state, the dashboard) is read with plain SQLite; the ORM engine is made on first use, in the
background once the first search is shown, a form opens or the keys pause (``warm_up``, started by
``ClinicApp.start_background_work``), so the first frames and the first search do not wait for
SQLAlchemy nor share the core with its load.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_tui import clock
from clinic_tui.data.dashboard import CRITICAL_COUNT_SQL, Dashboard, load_dashboard
from clinic_tui.data.sqlite_file import read_datetime, reading

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from clinic_tui.data.drafts import DraftStore
    from clinic_tui.data.features import (
        Contracts,
        Diagnoses,
        Downward,
        Exam,
        Followups,
        Indicators,
        Lab,
        Referrals,
        Remote,
        Residents,
        Visits,
    )


@dataclass(frozen=True)
class SyncSummary:
    pending: int
    rejected: int
    last_pull_at: str | None


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str
    role: str
    has_pin: bool


@dataclass(frozen=True)
class ClinicInfo:
    id: str
    code: str
    name: str


class Store:
    def __init__(self, path: Path, engine: Engine | None = None):
        self.path = Path(path)
        self._engine = engine
        self._engine_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The ORM's engine, made (and SQLAlchemy imported) on first use, by whichever thread comes first."""
        with self._engine_lock:
            if self._engine is None:
                from clinic_tui.data.db import open_engine

                self._engine = open_engine(self.path)
            return self._engine

    def warm_up(self) -> None:
        """Import the table models and set up their mappers now, so the first form opens at once."""
        from sqlalchemy.orm import configure_mappers

        import clinic_tui.data.models  # noqa: F401

        self.engine.connect().close()
        configure_mappers()

    # One door per feature (data/features.py), made on first use.
    @cached_property
    def residents(self) -> Residents:
        from clinic_tui.data.features import Residents

        return Residents(self)

    @cached_property
    def diagnoses(self) -> Diagnoses:
        from clinic_tui.data.features import Diagnoses

        return Diagnoses(self)

    @cached_property
    def visits(self) -> Visits:
        from clinic_tui.data.features import Visits

        return Visits(self)

    @cached_property
    def followups(self) -> Followups:
        from clinic_tui.data.features import Followups

        return Followups(self)

    @cached_property
    def referrals(self) -> Referrals:
        from clinic_tui.data.features import Referrals

        return Referrals(self)

    @cached_property
    def remote(self) -> Remote:
        from clinic_tui.data.features import Remote

        return Remote(self)

    @cached_property
    def exam(self) -> Exam:
        from clinic_tui.data.features import Exam

        return Exam(self)

    @cached_property
    def lab(self) -> Lab:
        from clinic_tui.data.features import Lab

        return Lab(self)

    @cached_property
    def contracts(self) -> Contracts:
        from clinic_tui.data.features import Contracts

        return Contracts(self)

    @cached_property
    def downward(self) -> Downward:
        from clinic_tui.data.features import Downward

        return Downward(self)

    @cached_property
    def indicators(self) -> Indicators:
        from clinic_tui.data.features import Indicators

        return Indicators(self)

    @cached_property
    def drafts(self) -> DraftStore:
        """Form drafts, in plain SQLite (read at sign-in, before the ORM loads)."""
        from clinic_tui.data.drafts import DraftStore

        return DraftStore(self.path)

    def staff(self) -> list[StaffMember]:
        with reading(self.path) as connection:
            rows = connection.execute(
                "SELECT id, name, role, pin_hash FROM staff WHERE active AND NOT deleted ORDER BY name"
            ).fetchall()
        return [StaffMember(r["id"], r["name"], r["role"], bool(r["pin_hash"])) for r in rows]

    def check_pin(self, staff_id: str, pin: str) -> bool:
        from clinic_tui.data.staff import verify_pin

        with reading(self.path) as connection:
            row = connection.execute("SELECT pin_hash FROM staff WHERE id = ?", (staff_id,)).fetchone()
        return row is not None and verify_pin(pin, row["pin_hash"])

    def dashboard(self, today: date) -> Dashboard:
        with reading(self.path) as connection:
            return load_dashboard(connection, today)

    def clinic(self) -> ClinicInfo | None:
        with reading(self.path) as connection:
            row = (
                connection.execute(
                    "SELECT id, code, name FROM clinic "
                    "WHERE id = (SELECT value FROM app_setting WHERE key = 'clinic_id')"
                ).fetchone()
                or connection.execute("SELECT id, code, name FROM clinic LIMIT 1").fetchone()
            )
        return ClinicInfo(row["id"], row["code"], row["name"]) if row else None

    def sync_marks(self) -> tuple[int, int]:
        """(the last finished sync, the last one that changed records here: received some from the
        hub or sent some again), as ``sync_run`` ids, 0 for none: whoever ran it, the app or
        ``clinic-tui sync``. The app compares them with what it saw to know when to refresh."""
        with reading(self.path) as connection:
            latest, changed = connection.execute(
                "SELECT coalesce(max(id), 0), coalesce(max(CASE WHEN pulled > 0 OR resent > 0 THEN id END), 0)"
                " FROM sync_run WHERE finished_at IS NOT NULL"
            ).fetchone()
        return latest, changed

    def critical_values(self) -> int:
        """Remote reports and lab results with a critical value (危急值) no doctor has acknowledged yet: the header's
        red mark, read in plain SQLite like the rest of the header (it is drawn before the ORM loads)."""
        with reading(self.path) as connection:
            return int(connection.execute(CRITICAL_COUNT_SQL).fetchone()[0])

    def sync_summary(self) -> SyncSummary:
        with reading(self.path) as connection:
            counts = dict(connection.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
            # The last sync the hub confirmed (a receipt); a database older than receipts: its last pull.
            receipt = connection.execute(
                "SELECT finished_at FROM sync_run WHERE outcome IN ('ok', 'rejected') AND finished_at IS NOT NULL"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
            pull = connection.execute(
                "SELECT updated_at FROM sync_cursor WHERE name = 'pull' AND value IS NOT NULL AND value != ''"
            ).fetchone()
        finished = read_datetime(receipt[0] if receipt else pull[0] if pull else None)
        return SyncSummary(
            pending=counts.get("pending", 0),
            rejected=counts.get("rejected", 0),
            last_pull_at=clock.local(finished).strftime("%m-%d %H:%M") if finished else None,
        )
