"""Benchmark: a county at 17:00 (issue 19, section 4). N clinics, each with a day's work, sync
with one real hub, M at a time; the hub's CPU per record, its latencies, and exactly-once.

    .venv/bin/python bench/county_load.py --clinics 300 --concurrent 20              # SQLite
    .venv/bin/python bench/county_load.py --clinics 300 --concurrent 20 --db postgres --workers 2
    .venv/bin/python bench/county_load.py --clinics 6 --concurrent 3 --json          # a smoke

- The hub is ``clinic-hub serve`` (its own process; ``--workers`` as a hospital would run it) over
  a fresh migrated database: a SQLite file, or a throwaway PostgreSQL cluster this script starts
  with initdb/pg_ctl (default durability, fsync on; as user ``postgres`` when run as root).
- Each clinic is enrolled as the hub enrols clinics (``accounts.add_clinic``: its code, its token)
  and gets a copy of one clinic database with a day's work (``--records``, default 216: residents,
  visits, follow-ups, some edited, some tombstones; bench/county_clinics.py), with ids of its own.
- CPUs: by default the hub (its workers, and PostgreSQL with its backends) runs on the machine's
  last CPU and the clients on the others (``--hub-cpus``; ``none`` shares them all). A hospital's
  server does not share its cores with the village PCs; unpinned, 20 client processes starting
  Python on two cores take the hub's CPU and its latencies measure them, not the hub.
- Each clinic syncs with ``clinic-tui sync`` (the real client, one process each), ``--concurrent``
  at a time; every exit code is reported.
- CPU: user + system of the hub's process tree (its workers included) and, on PostgreSQL, of the
  database server's (postmaster and backends, ended backends included), read from /proc before
  and after the syncs; per record and per clinic sync.
- Latency: p50 / p95 / max per endpoint from the hub's own access log (one JSON line per request
  on stderr, ``clinic_hub.logs``), with any status that is not 2xx counted.
- Exactly once: for every clinic the hub holds exactly the (kind, id, revision) it sent, under
  that clinic and no other, and each clinic's outbox is empty.

Not a test (tests/sync/test_county_load.py runs the smoke and checks exactly-once): figures count
from a quiet machine only (load average below 0.5; it is printed at the start and the end).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import county_clinics  # noqa: E402
import hub_push  # noqa: E402  (free_port, throwaway_postgres)

TICK = os.sysconf("SC_CLK_TCK")
ENDPOINTS = ("/api/v1/sync/push", "/api/v1/sync/pull", "/api/v1/sync/reconcile", "/api/v1/health")


# --- CPU of a process tree, from /proc -------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def tree_cpu(root: int) -> float:
    """CPU-seconds of ``root`` and its live descendants, plus what their ended children used."""
    parents: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            stats[int(entry)] = fields
            parents[int(fields[1])].append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:  # utime, stime, cutime, cstime: fields 14-17
            total += sum(int(x) for x in stats[pid][11:15])
            todo.extend(parents.get(pid, ()))
    return total / TICK


def settle(pid: int, timeout: float = 60) -> None:
    """Wait until the tree of ``pid`` stops using CPU: its workers have finished starting."""
    deadline, last = time.monotonic() + timeout, tree_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_cpu(pid)
        if now - last < 0.02:
            return
        last = now


def postmaster_pid(port: int) -> int:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"postgres") and f"-p {port}".encode() in b" ".join(argv):
                return int(entry)
    raise RuntimeError(f"no postmaster on port {port}")


# --- the run ---------------------------------------------------------------------------------------


def new_database(kind: str, workdir: Path, stack: ExitStack) -> tuple[str, int | None]:
    """(hub database URL, postmaster pid or None)."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'hub.db'}", None
    import psycopg

    port = stack.enter_context(hub_push.throwaway_postgres())
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute('CREATE DATABASE "county" TEMPLATE template0')
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/county", postmaster_pid(port)


def enrol(url: str, count: int) -> list[dict]:
    from clinic_hub import accounts, migrate
    from clinic_hub.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    clinics = []
    with engine.begin() as conn:
        for n in range(count):
            code = f"CL{n:04d}"
            clinic_id, token = accounts.add_clinic(conn, code, f"第{n}村卫生室")
            clinics.append({"number": n, "code": code, "hub_id": clinic_id, "token": token})
    engine.dispose()
    return clinics


@contextmanager
def hub_server(argv: list[str], port: int, log: Path):
    """``clinic-hub serve`` with its log (stderr) in ``log``: (pid, base URL) once it answers."""
    with log.open("wb") as stderr:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"the hub did not start: {log.read_text()[-2000:]}") from None
                    time.sleep(0.1)
            yield process.pid, f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(30)


def pinned(cpus: set[int] | None) -> list[str]:
    """The ``taskset`` prefix that keeps a command on ``cpus`` (none when not pinning)."""
    return ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else []


def pin_tree(root: int, cpus: set[int]) -> None:
    """Pin a running process and its children (PostgreSQL's postmaster and its workers) to ``cpus``;
    backends forked later inherit it."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (int(entry.name) == root or (_stat(int(entry.name)) or ["", ""])[1] == str(root)):
            try:
                os.sched_setaffinity(int(entry.name), cpus)
            except OSError:
                pass


def split_cpus(spec: str) -> tuple[set[int] | None, set[int] | None]:
    """(hub CPUs, client CPUs) for ``--hub-cpus``: "none" shares every CPU; "auto" gives the hub (and
    its database) the last CPU and the clients the others, as a hospital's server does not share its
    cores with the village PCs; otherwise a comma list for the hub."""
    mine = sorted(os.sched_getaffinity(0))
    if spec == "none" or (spec == "auto" and len(mine) < 2):
        return None, None
    hub = {mine[-1]} if spec == "auto" else {int(c) for c in spec.split(",")}
    clients = set(mine) - hub
    return hub, clients or None


def sync_one(clinic: dict, base: str, cpus: set[int] | None = None) -> dict:
    folder = Path(clinic["db"]).parent
    env = dict(
        os.environ, CLINIC_TUI_LANG="en", CLINIC_TUI_CONFIG_DIR=str(folder / "config"), CLINIC_TUI_DATA_DIR=str(folder)
    )
    argv = pinned(cpus) + [sys.executable, "-m", "clinic_tui", "sync", "--db", clinic["db"], "--hub", base, "--token"]
    started = time.perf_counter()
    done = subprocess.run(argv + [clinic["token"], "--quiet"], capture_output=True, text=True, cwd=ROOT, env=env)
    return {"code": clinic["code"], "rc": done.returncode, "seconds": time.perf_counter() - started, "err": done.stderr}


def latencies(log: Path, offset: int) -> dict:
    """Per endpoint: count, p50, p95, max (ms) and statuses that are not 2xx, from the access log."""
    times: dict[str, list[float]] = defaultdict(list)
    bad: Counter = Counter()
    with log.open("rb") as f:
        f.seek(offset)
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("msg") != "request":
                continue
            times[entry["path"]].append(entry["ms"])
            if not 200 <= entry["status"] < 300:
                bad[f"{entry['path']} {entry['status']}"] += 1
    table = {}
    for path, values in sorted(times.items()):
        values.sort()
        table[path] = {
            "count": len(values),
            "p50": statistics.median(values),
            "p95": values[min(len(values) - 1, int(0.95 * len(values)))],
            "max": values[-1],
        }
    return {"endpoints": table, "not_2xx": dict(bad)}


def exactly_once(url: str, clinics: list[dict], template: Path) -> dict:
    """Compare what the hub holds per clinic with what each clinic sent; the problems found."""
    import sqlalchemy as sa

    from clinic_hub.db import make_engine

    engine = make_engine(url)
    held: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT clinic_id, kind, id, revision FROM sync_record WHERE origin = 'clinic'")
        ).fetchall()
    engine.dispose()
    for clinic_id, kind, rid, revision in rows:
        held[clinic_id].append((kind, rid, revision))
    problems = []
    per_kind: Counter = Counter()
    for clinic in clinics:
        sent = county_clinics.expected(template, clinic["number"])
        mine = held.pop(clinic["hub_id"], [])
        per_kind.update(kind for kind, _rid, _rev in mine)
        if len(mine) != len(set(mine)):
            problems.append(f"{clinic['code']}: {len(mine) - len(set(mine))} duplicate rows")
        if set(mine) != sent:
            missing, extra = len(sent - set(mine)), len(set(mine) - sent)
            problems.append(f"{clinic['code']}: {missing} sent but not held, {extra} held but not sent")
        with sqlite3.connect(clinic["db"]) as db:
            left = db.execute("SELECT count(*) FROM outbox WHERE state != 'synced'").fetchone()[0]
        if left:
            problems.append(f"{clinic['code']}: {left} outbox rows not synced")
    if held:
        problems.append(f"rows under {len(held)} clinic ids that no clinic of the run has")
    return {"problems": problems, "held_per_kind": dict(per_kind), "held": len(rows)}


def run(args) -> dict:
    template_path = args.template or ROOT / "bench" / "data" / f"county-{args.records}.db"
    per_kind = county_clinics.template(template_path, args.records)
    records_each = sum(per_kind.values())
    load_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="county-load-"))
    try:
        with ExitStack() as stack:
            hub_cpus, client_cpus = split_cpus(args.hub_cpus)
            url, postmaster = new_database(args.db, workdir, stack)
            if postmaster and hub_cpus:
                pin_tree(postmaster, hub_cpus)
            clinics = enrol(url, args.clinics)
            for clinic in clinics:
                folder = workdir / clinic["code"]
                folder.mkdir()
                clinic["db"] = str(folder / "clinic.db")
                county_clinics.make_clinic(template_path, Path(clinic["db"]), clinic["number"], clinic["code"])
            port = hub_push.free_port()
            log = workdir / "hub.log"
            serve = pinned(hub_cpus) + [sys.executable, "-m", "clinic_hub", "serve", "--db", url, "--port", str(port)]
            serve += ["--workers", str(args.workers)]
            hub_pid, base = stack.enter_context(hub_server(serve, port, log))
            settle(hub_pid)  # every worker started (the first answering is not all of them)
            offset = log.stat().st_size
            hub_before = tree_cpu(hub_pid)
            db_before = tree_cpu(postmaster) if postmaster else 0.0
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrent) as pool:
                results = list(pool.map(lambda c: sync_one(c, base, client_cpus), clinics))
            wall = time.perf_counter() - started
            hub_cpu = tree_cpu(hub_pid) - hub_before
            db_cpu = (tree_cpu(postmaster) - db_before) if postmaster else None
            time.sleep(0.2)  # the last access-log lines
            seen = latencies(log, offset)
            check = exactly_once(url, clinics, template_path)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    total = records_each * args.clinics
    exit_codes = Counter(r["rc"] for r in results)
    return {
        "db": args.db,
        "workers": args.workers,
        "hub_cpus": sorted(hub_cpus) if hub_cpus else "shared",
        "client_cpus": sorted(client_cpus) if client_cpus else "shared",
        "clinics": args.clinics,
        "concurrent": args.concurrent,
        "records_per_clinic": records_each,
        "records_per_kind": dict(per_kind),
        "records": total,
        "load_average_start": [round(x, 2) for x in load_start],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": round(wall, 2),
        "exit_codes": {str(k): v for k, v in exit_codes.items()},
        "failures": [{"code": r["code"], "rc": r["rc"], "stderr": r["err"][-500:]} for r in results if r["rc"]],
        "client_seconds_p50": round(statistics.median(r["seconds"] for r in results), 2),
        "hub_cpu_seconds": round(hub_cpu, 2),
        "hub_cpu_ms_per_record": round(1000 * hub_cpu / total, 3),
        "hub_cpu_ms_per_sync": round(1000 * hub_cpu / args.clinics, 1),
        "db_cpu_seconds": None if db_cpu is None else round(db_cpu, 2),
        "db_cpu_ms_per_sync": None if db_cpu is None else round(1000 * db_cpu / args.clinics, 1),
        "hub_and_db_cpu_ms_per_sync": round(1000 * (hub_cpu + (db_cpu or 0)) / args.clinics, 1),
        **seen,
        "exactly_once": not check["problems"],
        "problems": check["problems"][:20],
        "held": check["held"],
        "held_per_kind": check["held_per_kind"],
    }


def report(r: dict) -> str:
    db = "SQLite" if r["db"] == "sqlite" else "PostgreSQL"
    lines = [
        f"{db}, {r['workers']} worker(s); {r['clinics']} clinics x {r['records_per_clinic']} records "
        f"({', '.join(f'{k} {v}' for k, v in r['records_per_kind'].items())}), {r['concurrent']} at a time",
        f"CPUs: hub and database {r['hub_cpus']}, clients {r['client_cpus']}",
        f"load average {r['load_average_start']} at the start, {r['load_average_end']} at the end",
        f"wall {r['wall_seconds']} s; exit codes {r['exit_codes']}; one client's sync p50 {r['client_seconds_p50']} s",
        f"hub CPU {r['hub_cpu_seconds']} s = {r['hub_cpu_ms_per_record']} ms/record, "
        f"{r['hub_cpu_ms_per_sync']} ms per clinic sync",
    ]
    if r["db_cpu_seconds"] is not None:
        lines.append(
            f"database CPU {r['db_cpu_seconds']} s = {r['db_cpu_ms_per_sync']} ms per clinic sync; "
            f"hub + database {r['hub_and_db_cpu_ms_per_sync']} ms per clinic sync"
        )
    lines.append(f"{'endpoint':<26}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for path, s in r["endpoints"].items():
        lines.append(f"{path:<26}{s['count']:>7}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['max']:>9.1f}")
    lines.append(f"not 2xx: {r['not_2xx'] or 'none'}")
    verdict = "yes" if r["exactly_once"] else "NO: " + "; ".join(r["problems"])
    lines.append(f"every clinic's records on the hub exactly once ({r['held']} rows): {verdict}")
    for failure in r["failures"][:5]:
        lines.append(f"  {failure['code']} exited {failure['rc']}: {failure['stderr']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinics", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=20, help="clinics syncing at the same time")
    parser.add_argument("--records", type=int, default=216, help="a day's new records per clinic")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="clinic-hub serve --workers")
    parser.add_argument(
        "--hub-cpus", default="auto", help="CPUs of the hub and its database: auto (the last), none, or a list like 1"
    )
    parser.add_argument("--template", type=Path, help="clinic database to copy (default bench/data/county-N.db)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result, ensure_ascii=False) if args.json else report(result))
    if not result["exactly_once"] or result["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
