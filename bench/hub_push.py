"""Benchmark: clinic-hub push throughput against the raw limit, on SQLite and PostgreSQL.

Pushes 10,000 records in gzip batches of 500 (one batch at a time, like a clinic) to a hub on
loopback, then posts the very same gzip bytes to a bare endpoint that only inflates, parses and
bulk-inserts them into the same table. Prints records/s for both and their ratio (target >= 50%).

    .venv/bin/python bench/hub_push.py                      # SQLite + a throwaway PostgreSQL
    .venv/bin/python bench/hub_push.py --postgres postgresql://user:pw@host:5432   # may create databases
    .venv/bin/python bench/hub_push.py --backends sqlite

Not a test: run it by hand and copy the figures into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RECORDS, BATCH = 10_000, 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the raw limit: inflate, parse, bulk insert, nothing else ----------------------------------------


def serve_raw(db_url: str, port: int) -> None:
    import sqlalchemy as sa
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from clinic_hub.db import make_engine
    from clinic_hub.models import SyncRecord

    engine = make_engine(db_url)
    table = SyncRecord.__table__

    def insert(records: list[dict]) -> None:
        now = datetime.now(UTC)
        rows = [
            dict(
                id=r["id"],
                kind=r["kind"],
                revision=r["revision"],
                origin="clinic",
                clinic_id="raw",
                seq=None,
                updated_at=datetime.fromisoformat(r["updated_at"]),
                deleted=r["deleted"],
                data=r["data"],
                received_at=now,
            )
            for r in records
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(table), rows)

    async def raw(request: Request):
        payload = json.loads(gzip.decompress(await request.body()))
        await run_in_threadpool(insert, payload["records"])
        return JSONResponse({"stored": len(payload["records"])})

    app = Starlette(routes=[Route("/raw", raw, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- helpers -----------------------------------------------------------------------------------------


def make_bodies(clinic_code: str) -> list[bytes]:
    stamp = datetime.now(UTC).isoformat()
    bodies = []
    for start in range(0, RECORDS, BATCH):
        records = []
        for n in range(start, min(start + BATCH, RECORDS)):
            records.append(
                {
                    "kind": "visit",
                    "id": str(uuid.uuid4()),
                    "revision": 1,
                    "updated_at": stamp,
                    "deleted": False,
                    "data": {
                        "clinic_id": clinic_code,
                        "author_id": "doctor-1",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "revision": 1,
                        "deleted": False,
                        "resident_id": str(uuid.uuid4()),
                        "visit_at": stamp,
                        "mode": "门诊",
                        "chief_complaint": "头晕三天，伴乏力",
                        "sbp": 150,
                        "dbp": 95,
                        "heart_rate": 78,
                        "diagnoses": [{"code": "I10", "name": "原发性高血压", "system": "ICD-10"}],
                        "treatment": "氨氯地平片 5mg 每日一次",
                        "fee_fen": 1500 + n % 300,
                    },
                }
            )
        bodies.append(
            gzip.compress(
                json.dumps({"batch_id": uuid.uuid4().hex, "records": records}, ensure_ascii=False).encode("utf-8")
            )
        )
    return bodies


@contextmanager
def server(argv: list[str], port: int, health: str, *, preexec_fn=None, start_timeout: float = 30):
    """A server process, up when ``health`` answers anything; ``preexec_fn`` e.g. pins it to a CPU."""
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, preexec_fn=preexec_fn
    )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}{health}", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"server {argv[2:4]} did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def post_all(url: str, bodies: list[bytes], token: str | None) -> float:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json", "Accept-Encoding": "gzip"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with httpx.Client(timeout=120, verify=False) as client:
        started = time.perf_counter()
        for body in bodies:
            response = client.post(url, content=body, headers=headers)
            response.raise_for_status()
            if token:
                assert all(r["status"] == "accepted" for r in response.json()["results"])
        return time.perf_counter() - started


def prepare(db_url: str) -> tuple[str, str]:
    from clinic_hub import accounts, migrate
    from clinic_hub.db import make_engine

    engine = make_engine(db_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        code = "BENCH" + uuid.uuid4().hex[:6]
        _, token = accounts.add_clinic(conn, code, "bench")
    engine.dispose()
    return code, token


def measure(backend: str, new_db, repeat: int) -> dict:
    """Median of ``repeat`` runs of each side (fresh databases each time): loopback figures on a
    shared machine are noisy."""
    runs = [measure_once(new_db) for _ in range(repeat)]
    hub_rate = statistics.median(r[0] for r in runs)
    raw_rate = statistics.median(r[1] for r in runs)
    return {
        "backend": backend,
        "hub": hub_rate,
        "raw": raw_rate,
        "ratio": hub_rate / raw_rate,
        "ratios": [r[0] / r[1] for r in runs],
    }


def measure_once(new_db) -> tuple[float, float]:
    hub_db, raw_db = new_db(), new_db()
    code, token = prepare(hub_db)
    prepare(raw_db)
    bodies = make_bodies(code)
    hub_port, raw_port = free_port(), free_port()
    hub_argv = [sys.executable, "-m", "clinic_hub", "serve", "--db", hub_db, "--port", str(hub_port)]
    raw_argv = [sys.executable, __file__, "--serve-raw", raw_db, "--port", str(raw_port)]
    with server(hub_argv, hub_port, "/api/v1/health") as base:
        hub_seconds = post_all(f"{base}/api/v1/sync/push", bodies, token)
    with server(raw_argv, raw_port, "/raw-health") as base:
        raw_seconds = post_all(f"{base}/raw", bodies, None)
    return RECORDS / hub_seconds, RECORDS / raw_seconds


@contextmanager
def throwaway_postgres():
    bindirs = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    initdb = shutil.which("initdb") or (str(bindirs[-1] / "initdb") if bindirs else None)
    if not initdb:
        raise SystemExit("no PostgreSQL binaries: give --postgres URL or install postgresql")
    bindir = Path(initdb).parent
    base = Path(tempfile.mkdtemp(prefix="hub-bench-pg-"))
    prefix = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        prefix
        + [
            str(bindir / "initdb"),
            "-D",
            str(base / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    # Default durability settings (fsync on): the figures should mean something for a real hub.
    subprocess.run(
        prefix
        + [
            str(bindir / "pg_ctl"),
            "-D",
            str(base / "data"),
            "-l",
            str(base / "log"),
            "-w",
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield port
    finally:
        subprocess.run(
            prefix + [str(bindir / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs per backend; the median is shown")
    parser.add_argument("--postgres", help="postgresql://user:pw@host:port of a server; databases are created in it")
    parser.add_argument("--serve-raw", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_raw:
        # The start-up probe gets a 404 from the raw server: any answer means it is up.
        serve_raw(args.serve_raw, args.port)
        return
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    backends = args.backends.split(",")
    if "sqlite" in backends:
        results.append(measure("sqlite", lambda: f"sqlite:///{workdir / (uuid.uuid4().hex + '.db')}", args.repeat))
    if "postgresql" in backends:
        import psycopg

        def run_pg(server_url: str) -> None:
            def new_db() -> str:
                name = "bench_" + uuid.uuid4().hex[:8]
                with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return server_url.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name

            results.append(measure("postgresql", new_db, args.repeat))

        if args.postgres:
            run_pg(args.postgres.rstrip("/"))
        else:
            with throwaway_postgres() as port:
                run_pg(f"postgresql://postgres@127.0.0.1:{port}")
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"{RECORDS} records, batches of {BATCH}, gzip JSON over loopback, one batch at a time")
    print(f"median of {args.repeat} runs each")
    print(f"{'backend':<12}{'hub rec/s':>12}{'raw rec/s':>12}{'hub/raw':>10}  per-run ratios")
    for r in results:
        print(
            f"{r['backend']:<12}{r['hub']:>12.0f}{r['raw']:>12.0f}{r['ratio']:>10.0%}  "
            + " ".join(f"{x:.0%}" for x in r["ratios"])
        )


if __name__ == "__main__":
    main()
