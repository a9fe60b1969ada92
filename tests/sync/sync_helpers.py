"""Steps the sync tests share: the clinic registered on the hub, a resident edited, the hub's copy
of a record read back."""

from __future__ import annotations

import json

from sqlalchemy import select, text, update

from clinic_tui.data import records
from clinic_tui.data.db import unit_of_work
from clinic_tui.data.models import Clinic, Resident


def register(hub, engine) -> tuple[str, str]:
    """The clinic on the hub, under the same code as the local clinic row (pull maps by code)."""
    code, token = hub.new_clinic()
    with unit_of_work(engine) as session:
        session.execute(update(Clinic).values(code=code))
    return code, token


def edit(engine, name: str, **changes) -> int:
    """Edit the resident called ``name`` as a screen would (outbox entry and all); the new revision."""
    with unit_of_work(engine) as session:
        resident = session.execute(select(Resident).where(Resident.name == name)).scalar_one()
        return records.update(session, resident, changes, None).revision


def hub_record(hub, record_id) -> tuple[int, dict]:
    """The revision and data the hub holds for a record (JSON on PostgreSQL, text on SQLite)."""
    with hub.engine.connect() as conn:
        revision, data = conn.execute(
            text("SELECT revision, data FROM sync_record WHERE id = :id"), {"id": record_id}
        ).one()
    return revision, data if isinstance(data, dict) else json.loads(data)
