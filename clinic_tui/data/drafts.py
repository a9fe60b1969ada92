"""Form drafts: written as the user types, offered back on the next start, gone once saved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clinic_tui.data.sqlite_file import read_datetime, reading, stored_datetime, writing


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
    """Drafts in plain SQLite: written every few keystrokes and read at sign-in, before the ORM loads."""

    def __init__(self, path: Path):
        self.path = path

    draft_id = staticmethod(draft_id)

    def save(
        self, *, id: str, form: str, record_id: str | None, context: dict, user_id: str | None, title: str, data: dict
    ) -> None:
        with writing(self.path) as connection:
            connection.execute(
                "INSERT INTO draft (id, form, record_id, context, user_id, title, data, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET record_id = excluded.record_id,"
                " context = excluded.context, user_id = excluded.user_id, title = excluded.title,"
                " data = excluded.data, updated_at = excluded.updated_at",
                (
                    id,
                    form,
                    record_id,
                    json.dumps(context, ensure_ascii=False),
                    user_id,
                    title,
                    json.dumps(data, ensure_ascii=False),
                    stored_datetime(datetime.now(UTC)),
                ),
            )

    def discard(self, id: str) -> None:
        with writing(self.path) as connection:
            connection.execute("DELETE FROM draft WHERE id = ?", (id,))

    def for_user(self, user_id: str | None) -> list[DraftInfo]:
        with reading(self.path) as connection:
            rows = connection.execute(f"{_SELECT} WHERE user_id IS ? ORDER BY updated_at DESC", (user_id,)).fetchall()
        return [_draft(row) for row in rows]

    def get(self, id: str) -> DraftInfo | None:
        with reading(self.path) as connection:
            row = connection.execute(f"{_SELECT} WHERE id = ?", (id,)).fetchone()
        return None if row is None else _draft(row)


_SELECT = "SELECT id, form, record_id, context, title, data, updated_at FROM draft"


def _draft(row) -> DraftInfo:
    return DraftInfo(
        row["id"],
        row["form"],
        row["record_id"],
        json.loads(row["context"]),
        row["title"],
        json.loads(row["data"]),
        read_datetime(row["updated_at"]),
    )
