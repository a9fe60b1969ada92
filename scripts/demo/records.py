"""Rows with the fields every clinic record carries, plus their audit entries and outbox rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from random import Random

from .writer import Writer

CST = timezone(timedelta(hours=8))
KIND_OF_TABLE = {
    "staff": "user",
    "resident": "resident",
    "visit": "visit",
    "followup": "followup",
    "task": "task",
    "referral": "referral",
    "referral_event": "referral_event",
    "team": "team",
    "service_package": "service_package",
    "contract": "contract",
    "service_record": "service_record",
    "remote_request": "remote_request",
    "lab_order": "lab_order",
}
PENDING_DAYS = 1  # records of today and yesterday have not reached the hub yet


def at(day: date, rng: Random) -> datetime:
    """A moment during clinic hours (China Standard Time) on ``day``, as UTC."""
    local = datetime.combine(day, time(8, 0), tzinfo=CST) + timedelta(minutes=rng.randint(0, 9 * 60))
    return local.astimezone(UTC)


@lru_cache(maxsize=1)
def _diagnosis_names() -> dict[str, tuple[str, str, str]]:
    from clinic_tui.search.icd_catalog import builtin_catalog

    names: dict[str, tuple[str, str, str]] = {}
    for d in builtin_catalog():
        names.setdefault(d.code, (d.name, d.system, d.version))
    return names


class RecordMaker:
    def __init__(self, connection: sqlite3.Connection, rng: Random, today: date, *, audit: bool):
        self.writer = Writer(connection, rng)
        self.rng = rng
        self.today = today
        self.audit = audit
        self.clinic_id = ""
        self.staff: list[str] = []
        self.departments: dict[str, tuple[str, str]] = {}
        self._referral_sequence: dict[tuple[str, date], int] = {}
        self.contract_sequence = 0

    def moment(self, days_ago: int) -> datetime:
        return at(self.today - timedelta(days=days_ago), self.rng)

    def diagnosis(self, code: str) -> dict:
        name, system, version = _diagnosis_names()[code]
        return {"code": code, "name": name, "system": system, "version": version}

    def next_referral_sequence(self, institution: str, day: date) -> int:
        key = (institution, day)
        self._referral_sequence[key] = self._referral_sequence.get(key, 0) + 1
        return self._referral_sequence[key]

    def record(self, table: str, days_ago: int, fields: dict, *, synced: bool | None = None, hub: bool = False) -> dict:
        """Add a record made ``days_ago``; hub-made records are never in the clinic's outbox."""
        moment = fields.pop("_at", None) or self.moment(max(0, days_ago))
        author = fields.pop("_author", None) or (self.rng.choice(self.staff) if self.staff else None)
        row = {
            "id": self.writer.new_id(),
            "clinic_id": self.clinic_id,
            "author_id": author,
            "created_at": moment,
            "updated_at": moment,
            "revision": 1,
            "deleted": False,
            **fields,
        }
        self.writer.add(table, row)
        kind = KIND_OF_TABLE[table]
        if self.audit:
            self.writer.add(
                "audit_entry",
                {
                    "at": moment,
                    "user_id": author,
                    "action": "receive" if hub else "create",
                    "kind": kind,
                    "record_id": row["id"],
                    "revision": 1,
                    "changes": {"created": [None, fields.get("name") or fields.get("status") or kind]},
                },
            )
        if not hub and not (synced if synced is not None else days_ago > PENDING_DAYS):
            self.writer.add(
                "outbox",
                {
                    "kind": kind,
                    "record_id": row["id"],
                    "revision": 1,
                    "queued_at": moment,
                    "state": "pending",
                    "attempts": 0,
                    "reject_code": None,
                    "reject_message": None,
                    "last_attempt_at": None,
                },
            )
        return row

    def finish(self) -> None:
        self.writer.add(
            "sync_cursor",
            {
                "name": "pull",
                "value": "demo-0000001842",
                "epoch": "demo-epoch-1",
                "updated_at": self.moment(PENDING_DAYS + 1),
            },
        )
        self.writer.flush()
