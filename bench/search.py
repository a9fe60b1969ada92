#!/usr/bin/env python3
"""Resident search latency on the 100k-resident database, per kind of query.

    make bench-data                      # once: writes bench/data/large.db
    .venv/bin/python bench/search.py     # pins itself to CPU 0 (like taskset -c 0)

For each kind of key it times the app's search (clinic_tui.data.resident_search.search_residents, one
page of 50) on queries sampled from the data, and, as the reference, the raw indexed SQLite query
on the same key through the sqlite3 module. Prints median and p99 in milliseconds.
Targets (issue 2): median <= 5 ms and p99 <= 20 ms for every kind.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGE = 50
TARGET_MEDIAN_MS, TARGET_P99_MS = 5.0, 20.0

# kind -> (column for the raw reference query, how to cut a query from a resident row)
KINDS = {
    "name (hanzi)": ("name", lambda r: r["name"][:2]),
    "pinyin initials": ("name_initials", lambda r: r["name_initials"][:2]),
    "full pinyin": ("name_pinyin", lambda r: r["name_pinyin"][: max(3, len(r["name_pinyin"]) - 2)]),
    "ID tail (4)": ("id_number_rev", lambda r: r["id_number"][-4:]),
    "ID tail (6)": ("id_number_rev", lambda r: r["id_number"][-6:]),
    "phone prefix (7)": ("phone", lambda r: r["phone"][:7]),
    "phone tail (4)": ("phone_rev", lambda r: r["phone"][-4:]),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def sample_queries(connection: sqlite3.Connection, count: int, seed: int) -> dict[str, list[str]]:
    connection.row_factory = sqlite3.Row
    rows = connection.execute(
        "SELECT name, name_initials, name_pinyin, id_number, phone FROM resident "
        "WHERE id_number IS NOT NULL AND phone IS NOT NULL ORDER BY random() LIMIT ?",
        (count * 3,),
    ).fetchall()
    rng = random.Random(seed)
    return {kind: [cut(rng.choice(rows)) for _ in range(count)] for kind, (_col, cut) in KINDS.items()}


def raw_reference(connection: sqlite3.Connection, column: str, query: str) -> None:
    key = query[::-1].upper() if column.endswith("_rev") else query
    connection.execute(
        f"SELECT id, name FROM resident WHERE {column} >= ? AND {column} < ? AND deleted = 0 "
        f"ORDER BY {column} LIMIT {PAGE}",
        (key, key + "\uffff"),
    ).fetchall()


def timed(fn, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        fn(query)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="resident search latency")
    parser.add_argument("--db", type=Path, default=ROOT / "bench/data/large.db")
    parser.add_argument("--queries", type=int, default=400, help="queries per kind")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to CPU 0")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db} is missing: run `make bench-data` first", file=sys.stderr)
        return 2
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})

    from clinic_tui.data.resident_search import search_residents
    from clinic_tui.data.sqlite_file import reading

    raw = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    residents = raw.execute("SELECT count(*) FROM resident").fetchone()[0]
    queries = sample_queries(raw, args.queries, args.seed)
    raw.row_factory = None
    print(
        f"database: {args.db} ({residents:,} residents); {args.queries} queries per kind; "
        f"page of {PAGE}; pinned to CPU 0: {not args.no_pin}"
    )
    print(f"{'query kind':18} {'app median':>10} {'app p99':>8} {'raw median':>10} {'raw p99':>8}  target")
    failed = False
    with reading(args.db) as connection:
        search_residents(connection, "zs")  # warm-up: loads pypinyin and the statement cache
        for kind, (column, _cut) in KINDS.items():
            app = timed(lambda q: search_residents(connection, q, limit=PAGE), queries[kind])
            reference = timed(lambda q: raw_reference(raw, column, q), queries[kind])
            median, p99 = statistics.median(app), percentile(app, 0.99)
            ok = median <= TARGET_MEDIAN_MS and p99 <= TARGET_P99_MS
            failed |= not ok
            print(
                f"{kind:18} {median:10.2f} {p99:8.2f} {statistics.median(reference):10.2f} "
                f"{percentile(reference, 0.99):8.2f}  {'ok' if ok else 'MISSED'}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
