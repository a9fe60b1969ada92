"""A record's wire form (docs/protocol.md), written as JSON by SQLite itself.

A push of 10,000 records used to read every row into Python, convert its values and encode it as
JSON again: most of the client's work. SQLite's ``json_object`` writes the same JSON from the
stored row directly. Each column type is turned into what ``records.sync_payload`` gives for the
ORM object (a test compares the two over the demo database):

- UTC datetimes, stored ``2026-11-23 10:00:00.123456``, go out as ``isoformat`` writes them once
  read back aware: ``2026-11-23T10:00:00.123456+00:00``, without ``.000000``;
- booleans, stored 0/1, as ``true``/``false``; JSON columns as the JSON they hold;
- floats as 15 significant digits when that reads back as the same number (any value typed with
  up to 15 digits), else as 17 (SQLite's own JSON always writes 15, which loses the last bits of
  a computed value; where SQLite's printf lacks long double, as with MSVC, 17 digits can still be
  off by one unit in the last place, about 1e-16 of the value);
- text, integers and dates as they are stored.

Needs SQLite's JSON functions (built in since 3.38, and on by default long before; the follow-up
list already relies on ``json_each``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Float, Integer, String, TypeDecorator

from clinic_tui.data.models import SYNCED_KINDS
from clinic_tui.data.models.base import UTCDateTime, table_of
from clinic_tui.data.records import PRIVATE_FIELDS


def _utc_iso(name: str) -> str:
    return f"replace(replace({name}, ' ', 'T'), '.000000', '') || '+00:00'"


def _boolean(name: str) -> str:
    return f"json(CASE WHEN {name} IS NULL THEN 'null' WHEN {name} THEN 'true' ELSE 'false' END)"


def _float(name: str) -> str:
    short = f"printf('%!.15g', {name})"
    return (
        f"json(CASE WHEN {name} IS NULL THEN 'null' WHEN CAST({short} AS REAL) = {name} THEN {short} "
        f"ELSE printf('%!.17g', {name}) END)"
    )


def _value(kind: str, column: Column[Any]) -> str:
    """The SQL expression of a column's wire value."""
    if isinstance(column.type, UTCDateTime):
        return _utc_iso(column.name)
    stored = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(stored, Boolean):
        return _boolean(column.name)
    if isinstance(stored, JSON):
        return f"json({column.name})"
    if isinstance(stored, Float):
        return _float(column.name)
    if isinstance(stored, (String, Integer, Date)):
        return column.name
    raise TypeError(f"{kind}.{column.name}: no wire form for {column.type!r}")


@cache
def record_select(kind: str) -> str:
    """``SELECT id, revision, origin, <wire record as JSON> FROM <table> WHERE id IN `` (the list
    of ids to follow). ``origin`` is "clinic" for kinds that have no origin column."""
    table = table_of(SYNCED_KINDS[kind])
    data = ", ".join(
        f"'{column.name}', {_value(kind, column)}" for column in table.columns if column.name not in PRIVATE_FIELDS
    )
    record = (
        f"json_object('kind', '{kind}', 'id', id, 'revision', revision, 'updated_at', {_utc_iso('updated_at')}, "
        f"'deleted', {_boolean('deleted')}, 'data', json_object({data}))"
    )
    origin = "origin" if "origin" in table.columns else "'clinic'"
    return f"SELECT id, revision, {origin}, {record} FROM {table.name} WHERE id IN "
