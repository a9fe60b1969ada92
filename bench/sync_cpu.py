"""Benchmark: the CPU one ``clinic-tui sync`` process costs, start-up included (issue 19, section 3).

    .venv/bin/python bench/sync_cpu.py                     # 7 runs each: nothing to send, a 200-record day
    .venv/bin/python bench/sync_cpu.py --repeat 11 --day 200
    .venv/bin/python bench/sync_cpu.py --importtime        # also: where the start-up goes (top 15 imports)

Goal: a sync with nothing to send <= 0.3 CPU-s, a 200-record day <= 0.5 CPU-s (user + sys of the
whole process, interpreter start-up, imports, opening the database, the exchanges, the receipt).

- The clinic database is ``bench/data/sync-10000.db`` (bench/sync.py's: 2,000 residents, 6,000
  visits, 2,000 follow-ups, built once through the data layer), or ``--template``. It is copied
  into a temporary directory and synced once, untimed, with a fresh hub (``clinic-hub serve``,
  SQLite, pinned to the other CPU), so the clinic and the hub hold the same records, as on any
  evening after the first.
- (a) nothing to send: ``clinic-tui sync --quiet`` run ``--repeat`` times on that pair.
- (b) a day: before each run this script writes ``--day`` new records through the data layer (as
  the app does: residents, visits, follow-ups, each with its outbox row), then the sync is timed.
- Each sync is a fresh process, pinned to one CPU (``taskset -c``, else ``sched_setaffinity``); its
  CPU time is its own rusage (``os.wait4``: user + sys, children included), its wall time is from
  spawn to exit. Medians are reported.

The load average is printed at the start and the end; with a 1-minute load above 0.5 at the start
the figures are marked LOADED, not a result (a loaded core slows everything, unevenly). The end's
figure is only reported: the benchmark's own hub and syncs keep a core busy and raise the 1-minute
average towards 1 by themselves, so judging by it would call every run of more than a minute loaded.
Not a test: run it on a quiet machine and copy the figures, with the load, into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "sync" / "faults"))

import sync as sync_bench  # noqa: E402  (hub and template helpers of bench/sync.py)

CLIENT_CPU, SERVER_CPU = 0, 1
QUIET_LOAD = 0.5
GOALS = {"nothing": 0.3, "day": 0.5}  # CPU-seconds (issue 19)


def load() -> tuple[float, float, float]:
    return os.getloadavg()


def _pin_argv(argv: list[str]) -> tuple[list[str], object]:
    """The command pinned to CLIENT_CPU: through taskset when the machine has it."""
    taskset = shutil.which("taskset")
    if taskset:
        return [taskset, "-c", str(CLIENT_CPU), *argv], None
    return argv, lambda: os.sched_setaffinity(0, {CLIENT_CPU})


def sync_argv(clinic_db: Path, hub_url: str, token: str, *python_flags: str) -> list[str]:
    return [
        sys.executable,
        *python_flags,
        "-m",
        "clinic_tui",
        "sync",
        "--db",
        str(clinic_db),
        "--hub",
        hub_url,
        "--token",
        token,
        "--quiet",
    ]


def sync_env(clinic_db: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        CLINIC_TUI_LANG="en",
        CLINIC_TUI_CONFIG_DIR=str(clinic_db.parent / "config"),
        CLINIC_TUI_DATA_DIR=str(clinic_db.parent),
    )
    # An installed clinic-tui runs from compiled bytecode (written at install or at its first run);
    # without it every run compiles its modules again, which here more than doubled a sync's CPU.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed_sync(clinic_db: Path, hub_url: str, token: str) -> tuple[float, float]:
    """One ``clinic-tui sync`` process: (CPU seconds, user + sys; wall seconds)."""
    argv, preexec = _pin_argv(sync_argv(clinic_db, hub_url, token))
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=sync_env(clinic_db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,  # pins the child to its core before it runs
    )
    # Read the (quiet, tiny) output after the exit: wait4 gives this child's own rusage.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    if process.returncode != 0:
        raise RuntimeError(f"clinic-tui sync exited {process.returncode}: {err.decode() or out.decode()}")
    return usage.ru_utime + usage.ru_stime, wall


def add_day(clinic_db: Path, records: int, seed: int) -> int:
    """Write ``records`` new records as a clinic's day (1 resident : 3 visits : 1 follow-up), through
    the data layer as the app writes them (audit and outbox rows included). Returns how many."""
    from clinic_data import COMPLAINTS, DIAGNOSES, GIVEN, SURNAMES
    from sqlmodel import select

    from clinic_tui.data import records as record_writes
    from clinic_tui.data.db import open_engine, unit_of_work
    from clinic_tui.data.models import Followup, Resident, Staff, Visit

    rng = random.Random(seed)
    engine = open_engine(clinic_db)
    now = datetime.now(UTC)
    made = 0
    try:
        with unit_of_work(engine) as session:
            doctor = session.exec(select(Staff)).first()
            assert doctor is not None, "the template has no staff member"
            clinic_id, doctor_id = doctor.clinic_id, doctor.id
        while made < records:
            # One user action per resident seen: their record, visits and follow-up together.
            with unit_of_work(engine) as session:
                resident = record_writes.create(
                    session,
                    Resident(
                        clinic_id=clinic_id,
                        name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                        sex=rng.choice("12"),
                        birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(25000)),
                        phone=f"139{rng.randrange(10**8):08d}",
                        address=f"青石村{rng.randrange(1, 12)}组{seed}-{made}号",
                    ),
                    doctor_id,
                )
                made += 1
                for _ in range(3):
                    if made >= records:
                        break
                    code, diagnosis = rng.choice(DIAGNOSES)
                    record_writes.create(
                        session,
                        Visit(
                            clinic_id=clinic_id,
                            resident_id=resident.id,
                            doctor_id=doctor_id,
                            visit_at=now - timedelta(minutes=rng.randrange(600)),
                            mode="1",
                            chief_complaint=rng.choice(COMPLAINTS),
                            sbp=rng.randrange(110, 180),
                            dbp=rng.randrange(65, 110),
                            diagnoses=[{"code": code, "name": diagnosis, "system": "ICD-10", "version": "2019"}],
                            treatment="氨氯地平片 5mg 每日一次",
                            fee_fen=rng.randrange(500, 5000),
                        ),
                        doctor_id,
                    )
                    made += 1
                if made < records:
                    record_writes.create(
                        session,
                        Followup(
                            clinic_id=clinic_id,
                            resident_id=resident.id,
                            doctor_id=doctor_id,
                            disease=rng.choice(("hypertension", "diabetes")),
                            followup_date=date.today(),
                            sbp=rng.randrange(110, 180),
                            dbp=rng.randrange(65, 110),
                            classification=rng.choice("12"),
                        ),
                        doctor_id,
                    )
                    made += 1
    finally:
        engine.dispose()
    return made


def last_run(clinic_db: Path) -> dict:
    with sqlite3.connect(clinic_db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM sync_run ORDER BY id DESC LIMIT 1").fetchone())
        row["outbox"] = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    return row


def import_profile(clinic_db: Path, hub_url: str, token: str, top: int = 15) -> list[tuple[int, int, str]]:
    """One sync under ``python -X importtime``: the ``top`` imports by cumulative time (us)."""
    argv, preexec = _pin_argv(sync_argv(clinic_db, hub_url, token, "-X", "importtime"))
    done = subprocess.run(
        argv,
        cwd=ROOT,
        env=sync_env(clinic_db),
        capture_output=True,
        text=True,
        preexec_fn=preexec,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = line.split(":", 1)[1].split("|")
        rows.append((int(cumulative), int(own), name.rstrip()[1:]))  # the nesting shows as indentation
    return sorted(rows, reverse=True)[:top]


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed syncs per case; medians are shown")
    parser.add_argument("--day", type=int, default=200, help="records written before each timed day sync")
    parser.add_argument("--records", type=int, default=10_000, help="size of the template (bench/data/sync-N.db)")
    parser.add_argument("--template", type=Path, help="clinic database to start from (default bench/data/sync-N.db)")
    parser.add_argument("--importtime", action="store_true", help="also show the top 15 imports of one sync")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("needs two CPUs: the client on one, the hub on the other")
    at_start = load()
    print(f"load average at start: {at_start[0]:.2f} / {at_start[1]:.2f} / {at_start[2]:.2f} (1, 5, 15 min)")
    template = args.template or ROOT / "bench" / "data" / f"sync-{args.records}.db"
    if not template.exists():
        from clinic_data import build_clinic_db

        from clinic_tui.data.maintenance import checkpoint

        template.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        counts = build_clinic_db(template, args.records)
        checkpoint(template)
        print(f"built {template} in {time.perf_counter() - started:.0f} s: {counts}")
    from clinic_tui.data.startup import mark_clean_exit

    workdir = Path(tempfile.mkdtemp(prefix="sync-cpu-"))
    results: dict[str, tuple[list[float], list[float]]] = {"nothing": ([], []), "day": ([], [])}
    try:
        clinic_db = workdir / "clinic.db"
        shutil.copyfile(template, clinic_db)
        hub_db, token = sync_bench.new_hub(workdir)
        port = sync_bench.hub_push.free_port()
        serve = [sys.executable, "-m", "clinic_hub", "serve", "--db", hub_db, "--port", str(port)]
        with sync_bench.served(serve, port, "/api/v1/health") as hub_url:
            started = time.perf_counter()
            timed_sync(clinic_db, hub_url, token)  # the first sync: everything goes up (untimed)
            first = last_run(clinic_db)
            print(f"first sync (untimed): {first['accepted']} records in {time.perf_counter() - started:.1f} s")
            # As the app leaves the file when it quits normally: a sync reads every page only after
            # a session that did not end so, or once a week (data/startup.py), not on an ordinary evening.
            mark_clean_exit(clinic_db)
            timed_sync(clinic_db, hub_url, token)  # warm the page cache, the bytecode and the hub
            for n in range(args.repeat):
                cpu, wall = timed_sync(clinic_db, hub_url, token)
                run = last_run(clinic_db)
                assert run["outcome"] == "ok" and run["pushed"] == 0, run
                results["nothing"][0].append(cpu)
                results["nothing"][1].append(wall)
                made = add_day(clinic_db, args.day, seed=n)
                cpu, wall = timed_sync(clinic_db, hub_url, token)
                run = last_run(clinic_db)
                assert run["outcome"] == "ok" and run["accepted"] == made and not run["outbox"], run
                results["day"][0].append(cpu)
                results["day"][1].append(wall)
                print(
                    f"  run {n + 1}: nothing to send {results['nothing'][0][-1]:.3f} CPU-s "
                    f"({results['nothing'][1][-1]:.3f} s wall); a day of {made} "
                    f"{cpu:.3f} CPU-s ({wall:.3f} s wall); load {load()[0]:.2f}",
                    flush=True,
                )
            profile = import_profile(clinic_db, hub_url, token) if args.importtime else []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    at_end = load()
    print(f"load average at end: {at_end[0]:.2f} / {at_end[1]:.2f} / {at_end[2]:.2f}")
    loaded = at_start[0] > QUIET_LOAD  # the end's load is this benchmark's own (see the docstring)
    label = "LOADED, not a result" if loaded else "quiet"
    print(f"clinic-tui sync, one process pinned to CPU {CLIENT_CPU}, median of {args.repeat} ({label}):")
    for case, title in (("nothing", "nothing to send"), ("day", f"a day of {args.day} records")):
        cpu, wall = results[case]
        verdict = "" if loaded else ("met" if statistics.median(cpu) <= GOALS[case] else "MISSED")
        print(
            f"  {title:<26} CPU {_median(cpu)} s (runs {min(cpu):.3f}-{max(cpu):.3f}), wall {_median(wall)} s; "
            f"goal <= {GOALS[case]} CPU-s {verdict}".rstrip()
        )
    if profile:
        print("heaviest imports of one sync (python -X importtime, cumulative, this machine now):")
        for cumulative, own, name in profile:
            print(f"  {cumulative / 1000:8.1f} ms  (self {own / 1000:6.1f} ms)  {name}")


if __name__ == "__main__":
    main()
