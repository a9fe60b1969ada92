"""Bulk rows straight into SQLite, in the storage formats SQLAlchemy reads back.

The ORM would take minutes for a million visits; executemany on the raw connection takes seconds.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, date, datetime
from random import Random


def to_sql(value):
    if isinstance(value, datetime):
        # SQLAlchemy's SQLite DATETIME format; UTCDateTime stores UTC without the offset.
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


class Writer:
    """Collects rows per table and writes them in batches; also makes deterministic UUIDs."""

    def __init__(self, connection: sqlite3.Connection, rng: Random, batch: int = 20_000):
        self.connection = connection
        self.rng = rng
        self.batch = batch
        self.pending: dict[str, list[dict]] = {}
        self.counts: dict[str, int] = {}

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, table: str, row: dict) -> dict:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush(table)
        return row

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.pending):
            rows = self.pending.get(name) or []
            if not rows:
                continue
            # Rows of one table may leave different columns out (a hypertension follow-up has no glucose).
            columns = list(dict.fromkeys(key for row in rows for key in row))
            sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.connection.executemany(sql, ([to_sql(r.get(c)) for c in columns] for r in rows))
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            self.pending[name] = []
