"""The data layer's face to the screens: each method is one read or one user action.

Screens never open a session; they call a ``Store``. Every write method runs in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from clinic_tui.data.db import read_session
from clinic_tui.data.models import AppSetting, Clinic, OutboxEntry, Resident, SyncCursor
from clinic_tui.data.residents import ResidentHit, search_residents


@dataclass(frozen=True)
class SyncSummary:
    pending: int
    rejected: int
    last_pull_at: str | None


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine

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
        return SyncSummary(
            pending=counts.get("pending", 0),
            rejected=counts.get("rejected", 0),
            last_pull_at=cursor.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if cursor else None,
        )
