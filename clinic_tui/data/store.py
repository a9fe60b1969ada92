"""The data layer's face to the screens: each method is one read or one user action.

Screens never open a session; they call a ``Store``. Every write method runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from datetime import date

from clinic_tui.data.dashboard import Dashboard, load_dashboard
from clinic_tui.data.db import read_session
from clinic_tui.data.models import AppSetting, Clinic, OutboxEntry, Resident, Staff, SyncCursor
from clinic_tui.data.residents import ResidentHit, search_residents


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


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine

    def staff(self) -> list[StaffMember]:
        with read_session(self.engine) as session:
            rows = session.execute(
                select(Staff).where(Staff.active == True, Staff.deleted == False).order_by(Staff.name)  # noqa: E712
            ).scalars()
            return [StaffMember(s.id, s.name, s.role, bool(s.pin_hash)) for s in rows]

    def check_pin(self, staff_id: str, pin: str) -> bool:
        from clinic_tui.data.staff import verify_pin

        with read_session(self.engine) as session:
            member = session.get(Staff, staff_id)
            return member is not None and verify_pin(pin, member.pin_hash)

    def resident_of(self, kind: str, record_id: str) -> str | None:
        """The resident a visit, follow-up, referral, contract or task belongs to."""
        from clinic_tui.data.models import SYNCED_KINDS

        with read_session(self.engine) as session:
            record = session.get(SYNCED_KINDS[kind], record_id)
            return getattr(record, "resident_id", None) if record is not None else None

    def dashboard(self, today: date) -> Dashboard:
        with read_session(self.engine) as session:
            return load_dashboard(session, today)

    def clinic(self) -> Clinic | None:
        with read_session(self.engine) as session:
            setting = session.get(AppSetting, "clinic_id")
            if setting is not None:
                return session.get(Clinic, setting.value)
            return session.execute(select(Clinic).limit(1)).scalar_one_or_none()

    def resident_count(self) -> int:
        with read_session(self.engine) as session:
            return session.execute(
                select(func.count()).select_from(Resident).where(Resident.deleted == False)  # noqa: E712
            ).scalar_one()

    def search_residents(self, query: str, *, limit: int = 50, offset: int = 0) -> list[ResidentHit]:
        with read_session(self.engine) as session:
            return search_residents(session, query, limit=limit, offset=offset)

    def sync_summary(self) -> SyncSummary:
        with read_session(self.engine) as session:
            counts = dict(session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all())
            cursor = session.get(SyncCursor, "pull")
        from clinic_tui.data.sync_state import last_success_at

        # The last sync the hub confirmed (a receipt); a database older than receipts: its last pull.
        finished = last_success_at(self.engine) or (cursor.updated_at if cursor and cursor.value else None)
        return SyncSummary(
            pending=counts.get("pending", 0),
            rejected=counts.get("rejected", 0),
            last_pull_at=finished.astimezone().strftime("%m-%d %H:%M") if finished else None,
        )
