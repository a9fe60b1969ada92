"""The clinics of bench/county_load.py: many clinic databases with a day's work each, made fast.

Writing a day through the data layer takes seconds of CPU per clinic (migrations, imports, the
ORM); a county of 300 would take longer than its sync. So one template is written that way
(``clinic_data.build_clinic_db``: residents, visits, follow-ups, some edited, some tombstones,
every record in the outbox), and each clinic is a copy of it with every UUID in every text
column replaced by one of its own (uuid5 of the clinic's number and the old UUID): the same
mapping everywhere, so ids, foreign keys, outbox rows, audit entries and the JSON of the records
stay consistent with each other, and no two clinics share a record id (the hub would answer the
second one ``foreign_record``).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import sys
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sync" / "faults"))

from clinic_data import build_clinic_db  # noqa: E402

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TEXT_TYPES = ("CHAR", "TEXT", "JSON", "CLOB")
NAMESPACE = uuid.UUID("0b6f7a52-5a0e-4d0c-9a41-6c0f3b1d2e77")


def template(path: Path, records: int) -> Counter:
    """Build the template once (``path`` is kept and reused); returns its pending records per kind."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building")
        for stale in building.parent.glob(building.name + "*"):
            stale.unlink()
        build_clinic_db(building, records)
        with sqlite3.connect(building) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # copies take the main file only
        building.rename(path)
    return Counter(kind for kind, _id, _rev in pending(path))


def pending(path: Path) -> list[tuple[str, str, int]]:
    """(kind, record id, revision) of every record the clinic has to send."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT kind, record_id, revision FROM outbox WHERE state = 'pending'").fetchall()


def remapper(number: int):
    """The UUID mapping of clinic ``number``: text in, the same text with each UUID replaced."""
    namespace = uuid.uuid5(NAMESPACE, str(number))
    cache: dict[str, str] = {}

    def one(match: re.Match) -> str:
        old = match.group(0)
        new = cache.get(old)
        if new is None:
            new = cache[old] = str(uuid.uuid5(namespace, old))
        return new

    def remap(value):
        return _UUID.sub(one, value) if isinstance(value, str) else value

    return remap


def make_clinic(template_path: Path, path: Path, number: int, code: str) -> None:
    """A copy of the template that is clinic ``number``'s own (its UUIDs, its code)."""
    shutil.copyfile(template_path, path)
    remap = remapper(number)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.create_function("remap", 1, remap, deterministic=True)
        db.execute("PRAGMA foreign_keys=OFF")
        db.execute("BEGIN")
        tables = [
            row[0]
            for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        for table in tables:
            columns = [
                row[1]
                for row in db.execute(f'PRAGMA table_info("{table}")')
                if any(t in (row[2] or "").upper() for t in _TEXT_TYPES)
            ]
            if columns:
                sets = ", ".join(f'"{c}" = remap("{c}")' for c in columns)
                db.execute(f'UPDATE "{table}" SET {sets}')
        db.execute("UPDATE clinic SET code = ?", (code,))
        db.execute("COMMIT")
    finally:
        db.close()


def expected(template_path: Path, number: int) -> set[tuple[str, str, int]]:
    """What clinic ``number`` sends: the template's pending records under its own ids."""
    remap = remapper(number)
    return {(kind, remap(rid), revision) for kind, rid, revision in pending(template_path)}
