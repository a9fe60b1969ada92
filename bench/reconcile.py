"""Benchmark: the hub's reconcile numbers for one clinic, the stored-terms sum against hashing
every record (what the hub did before migration 0011), on SQLite and PostgreSQL.

    .venv/bin/python bench/reconcile.py                       # 10,000 records, 7 runs each
    .venv/bin/python bench/reconcile.py --records 50000 --backends sqlite

A hub database is filled through the push's own writer (``record_store.RecordWriter``: the
records carry their terms as a push stores them) with ``--records`` records of one clinic (visits,
residents, follow-ups; a tenth then edited to a newer revision) and as many of another clinic. Each
run times, in this process, ``record_store.clinic_numbers`` (the sum per kind) and the old way
(every (kind, id, revision) of the clinic read and ``record_set_hash``-ed per kind), each in its own
read transaction, alternating, and checks that both answer the same. Not a test: run it by hand
on a quiet machine and copy the figures into BENCHMARKS.md with the load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from clinic_hub import migrate  # noqa: E402
from clinic_hub.db import make_engine  # noqa: E402
from clinic_hub.incoming import Incoming  # noqa: E402
from clinic_hub.record_store import RecordWriter, clinic_numbers, clinic_versions  # noqa: E402
from clinic_tui.sync.wire_rules import record_set_hash  # noqa: E402

KINDS = ("visit", "visit", "visit", "resident", "followup")


def _records(count: int, clinic: str, revision: int = 1, ids: list[uuid.UUID] | None = None) -> list[Incoming]:
    stamp = datetime(2026, 12, 3, 9, 0, tzinfo=UTC) + timedelta(hours=revision)
    out = []
    for n in range(count):
        record_id = ids[n] if ids else uuid.uuid4()
        data = f'{{"clinic_id": "{clinic}", "note": "第{n}条", "sbp": {120 + n % 40}}}'
        out.append(
            Incoming(KINDS[n % len(KINDS)], record_id, str(record_id), revision, stamp, False, clinic, data_json=data)
        )
    return out


def fill(url: str, records: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    for clinic in ("clinic-a", "clinic-b"):
        written = _records(records, clinic)
        for start in range(0, records, 500):
            with engine.begin() as conn:
                RecordWriter(conn, clinic, now).insert(written[start : start + 500])
        edited = written[::10]
        newer = _records(len(edited), clinic, revision=2, ids=[rec.id for rec in edited])
        for rec, old in zip(newer, edited, strict=True):
            rec.kind = old.kind
        with engine.begin() as conn:
            RecordWriter(conn, clinic, now).update(newer)
    engine.dispose()


def old_way(conn, clinic: str) -> dict[str, tuple[int, str]]:
    pairs: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for kind, record_id, revision in clinic_versions(conn, clinic):
        pairs[kind].append((record_id, revision))
    return {kind: (len(items), record_set_hash(items)) for kind, items in sorted(pairs.items())}


def measure(url: str, runs: int) -> dict[str, float]:
    engine = make_engine(url)
    times: dict[str, list[float]] = {"sum": [], "every record": []}
    answers = {}
    try:
        for _ in range(runs):
            for name, way in (("sum", clinic_numbers), ("every record", old_way)):
                with engine.connect() as conn:
                    started = time.perf_counter()
                    answers[name] = way(conn, "clinic-a")
                    times[name].append(time.perf_counter() - started)
    finally:
        engine.dispose()
    if answers["sum"] != answers["every record"]:
        raise SystemExit(f"the two ways disagree: {answers}")
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000, help="records of the measured clinic (and the other)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    rows = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'hub.db'}"
            fill(url, args.records)
            rows.append(("SQLite", measure(url, args.runs)))
        else:
            import hub_push
            import psycopg

            with hub_push.throwaway_postgres() as port:
                with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
                    conn.execute('CREATE DATABASE "reconcile"')
                url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/reconcile"
                fill(url, args.records)
                rows.append(("PostgreSQL", measure(url, args.runs)))
    print(f"one clinic's reconcile numbers, {args.records} records (another clinic's as many), median of {args.runs}")
    print(f"{'hub':<12}{'sum of terms':>14}{'every record':>14}{'ratio':>8}")
    for name, figures in rows:
        ratio = figures["every record"] / figures["sum"]
        print(f"{name:<12}{figures['sum']:>11.1f} ms{figures['every record']:>11.1f} ms{ratio:>7.1f}x")


if __name__ == "__main__":
    main()
