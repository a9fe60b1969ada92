"""Benchmark: the end-of-day sync over a rural link, against what the link itself allows (issue 19).

    .venv/bin/python bench/rural_sync.py                          # 200 and 1,500 records, 3 runs each
    .venv/bin/python bench/rural_sync.py --records 200 --kbit 100 --latency-ms 300 --repeat 5
    .venv/bin/python bench/rural_sync.py --case day --records 200 --edits 20 --repeat 3

``--case day --edits N``: a day whose records include N edits of earlier ones. With a hub of
protocol revision 4 that is the same two exchanges as a day of new records (push, pull); a hub
before it was asked its numbers first (docs/sync.md, "Exchanges").

A day's work (and a week of offline work) of pending records is synced by ``clinic-tui sync`` with
a real hub (``clinic-hub serve``, SQLite) through the fault proxy of the sync tests, throttled: at
most ``--kbit`` each way, ``--latency-ms`` added each way, and each new connection first waits
``--handshake-rtts`` round trips (TCP, plus TLS 1.3 over HTTPS: 2).

The limit is what no protocol can beat on that link: one connection's handshakes, one round trip,
and every byte that crossed (up and down, as the proxy counted them) at the link's rate. The ratio
is the sync's own time (its receipt: ``sync_run.started_at`` to ``finished_at``) over that limit;
the table also shows how many exchanges and connections the sync made.

Not a test: run it on a quiet machine (``uptime`` below 0.5) and copy the figures, with the load,
into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "sync" / "faults"))

import sync as sync_bench  # noqa: E402  (the hub and client runs of bench/sync.py)
import sync_cpu  # noqa: E402  (add_day: a clinic's day written through the data layer)
from clinic_data import build_clinic_db  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402


def one_run(
    template: Path, workdir: Path, records: int, rate: float, latency: float, handshakes: int, case: str, edits: int
) -> dict:
    clinic_db = workdir / f"clinic-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, clinic_db)
    hub_db, token = sync_bench.new_hub(workdir)
    port = sync_bench.hub_push.free_port()
    serve = [sys.executable, "-m", "clinic_hub", "serve", "--db", hub_db, "--port", str(port)]
    with sync_bench.served(serve, port, "/api/v1/health") as base:
        if case == "day":
            # The clinic synced yesterday (unthrottled, not timed); today it wrote ``records`` new
            # records and edited ``edits`` earlier ones.
            sync_bench.client_sync(clinic_db, base, token, batch_size=500)
            sync_cpu.add_day(clinic_db, records - edits, seed=11)
            edit_some(clinic_db, edits)
            with sqlite3.connect(clinic_db) as db:  # what the day left to send
                records = db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
        proxy = FaultProxy(("127.0.0.1", port))
        proxy.throttle(rate, latency, handshakes)
        try:
            sync_bench.client_sync(clinic_db, proxy.url, token, batch_size=500)
        finally:
            proxy.close()
    run = sync_bench.receipt(clinic_db)
    if run["outcome"] != "ok" or run["outbox"] or run["accepted"] != records:
        raise RuntimeError(f"the sync did not send everything: {run}")
    seconds = (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
    up = sum(e.request_bytes for e in proxy.exchanges)
    down = sum(e.response_bytes for e in proxy.exchanges)
    rtt = 2 * latency
    limit = handshakes * rtt + rtt + (up + down) / rate
    return {
        "seconds": seconds,
        "limit": limit,
        "up": up,
        "down": down,
        "exchanges": [f"{e.method} {e.path.split('?')[0]}" for e in proxy.exchanges],
        "connections": proxy.connections,
    }


def edit_some(clinic_db: Path, count: int) -> int:
    """Edit ``count`` residents the hub already holds (a new phone number): revisions above 1."""
    if count <= 0:
        return 0
    from sqlmodel import select

    from clinic_tui.data import records as record_writes
    from clinic_tui.data.db import open_engine, unit_of_work
    from clinic_tui.data.models import Resident

    engine = open_engine(clinic_db)
    try:
        with unit_of_work(engine) as session:
            chosen = session.exec(select(Resident).order_by(Resident.id).limit(count)).all()
            for n, resident in enumerate(chosen):
                record_writes.update(session, resident, {"phone": f"1390000{n:04d}"}, None)
    finally:
        engine.dispose()
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", default=[200, 1500])
    parser.add_argument("--kbit", type=float, default=100.0, help="link rate each way, kbit/s")
    parser.add_argument("--latency-ms", type=float, default=300.0, help="added each way")
    parser.add_argument(
        "--handshake-rtts", type=int, default=2, help="round trips before a new connection carries data"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument(
        "--case",
        choices=("first", "day", "both"),
        default="both",
        help="first: a clinic's first sync of RECORDS pending records; day: a clinic that synced "
        "yesterday and wrote RECORDS today (EDITS of them edits of earlier records)",
    )
    parser.add_argument("--edits", type=int, default=0, help="of a day's records, how many edit earlier ones")
    args = parser.parse_args()
    rate, latency = args.kbit * 1000 / 8, args.latency_ms / 1000
    print(
        f"load average {os.getloadavg()[0]:.2f}; link {args.kbit:g} kbit/s, {args.latency_ms:g} ms each way, "
        f"{args.handshake_rtts} handshake round trips per connection"
    )
    with tempfile.TemporaryDirectory(prefix="rural-sync-") as tmp:
        workdir = Path(tmp)
        cases = ("first", "day") if args.case == "both" else (args.case,)
        for case in cases:
            for records in args.records:
                template = workdir / f"template-{case}-{records}.db"
                # A first sync sends the whole template; a day's sync starts from a synced template.
                counts = build_clinic_db(template, records if case == "first" else 500)
                total = sum(counts.values()) if case == "first" else records
                runs = [
                    one_run(template, workdir, total, rate, latency, args.handshake_rtts, case, args.edits)
                    for _ in range(args.repeat)
                ]
                seconds = statistics.median(r["seconds"] for r in runs)
                limit = statistics.median(r["limit"] for r in runs)
                last = runs[-1]
                each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
                print(
                    f"{case:>5} {total:>6} records: sync {seconds:.2f} s (runs {each}), limit {limit:.2f} s, "
                    f"ratio {seconds / limit:.2f}x; {last['up'] / 1000:.1f} KB up, {last['down'] / 1000:.1f} KB down, "
                    f"{len(last['exchanges'])} exchanges ({', '.join(last['exchanges'])}), "
                    f"{last['connections']} connection(s)"
                )


if __name__ == "__main__":
    main()
