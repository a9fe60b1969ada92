"""A record's wire form (docs/protocol.md), written as JSON by SQLite itself.

A push of 10,000 records used to read every row into Python, convert its values and encode it as
JSON again: most of the client's work. SQLite's ``json_object`` writes the same JSON from the
stored row directly. Each column type (as ``sync.tables`` lists them, made from the models) is
turned into what ``records.sync_payload`` gives for the ORM object (a test compares the two over
the demo database):

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

from clinic_tui.sync.tables import SYNCED_TABLES


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


def _json(name: str) -> str:
    return f"json({name})"


_FORMS = {"utc": _utc_iso, "bool": _boolean, "json": _json, "float": _float}


def _value(column: str) -> tuple[str, str]:
    """A column of ``sync.tables`` ("name" or "name:form"): its name and the SQL of its wire value."""
    name, _, form = column.partition(":")
    return name, _FORMS[form](name) if form else name


@cache
def record_select(kind: str) -> str:
    """``SELECT id, revision, origin, <wire record as JSON, UTF-8 bytes> FROM <table> WHERE id IN `` (the list
    of ids to follow). ``origin`` is "clinic" for kinds that have no origin column."""
    table = SYNCED_TABLES[kind]
    data = ", ".join(f"'{name}', {value}" for name, value in map(_value, table.columns.split()))
    record = (
        f"json_object('kind', '{kind}', 'id', id, 'revision', revision, 'updated_at', {_utc_iso('updated_at')}, "
        f"'deleted', {_boolean('deleted')}, 'data', json_object({data}))"
    )
    origin = "origin" if table.origin else "'clinic'"
    # As UTF-8 bytes (the database's encoding): read as text, each record was decoded into a str
    # only to be encoded back for the body, about a sixth of the client's work per batch.
    return f"SELECT id, revision, {origin}, CAST({record} AS BLOB) FROM {table.table} WHERE id IN "
