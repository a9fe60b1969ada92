"""Form drafts: written as the user types, offered back on the next start, gone once saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select

from clinic_tui.data.db import read_session, unit_of_work
from clinic_tui.data.models import Draft, utcnow


@dataclass(frozen=True)
class DraftInfo:
    id: str
    form: str
    record_id: str | None
    context: dict
    title: str
    data: dict
    updated_at: datetime


def draft_id(form: str, record_id: str | None, context_key: str | None = None) -> str:
    """One draft per form and record (or per form and context for a new record)."""
    return f"{form}:{record_id or 'new'}:{context_key or ''}"


class DraftStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def save(self, *, id: str, form: str, record_id: str | None, context: dict, user_id: str | None,
             title: str, data: dict) -> None:
        with unit_of_work(self.engine) as session:
            draft = session.get(Draft, id) or Draft(id=id, form=form)
            draft.record_id, draft.context, draft.user_id = record_id, context, user_id
            draft.title, draft.data, draft.updated_at = title, data, utcnow()
            session.add(draft)

    def discard(self, id: str) -> None:
        with unit_of_work(self.engine) as session:
            session.execute(delete(Draft).where(Draft.id == id))

    def for_user(self, user_id: str | None) -> list[DraftInfo]:
        with read_session(self.engine) as session:
            rows = session.execute(
                select(Draft).where(Draft.user_id == user_id).order_by(Draft.updated_at.desc())
            ).scalars()
            return [DraftInfo(d.id, d.form, d.record_id, d.context, d.title, d.data, d.updated_at) for d in rows]

    def get(self, id: str) -> DraftInfo | None:
        with read_session(self.engine) as session:
            d = session.get(Draft, id)
            return None if d is None else DraftInfo(d.id, d.form, d.record_id, d.context, d.title, d.data, d.updated_at)
