"""Benchmark: the web desk's referral queue page with 10,000 referrals, on SQLite and PostgreSQL.

Fills a hub with 10,000 upward referrals from 50 clinics (their typed rows and the slips as the
clinics pushed them, in the proportions of a busy month: 40% awaiting an answer), signs a nurse in,
and times GET /desk/queue (a whole page: session check, the indexed queue query, tab counts,
rendering, the audit row) over loopback: first page, a deep page, and the "all" tab. Target: under
200 ms (issue 17).

    .venv/bin/python bench/hub_desk_queue.py                  # SQLite + a throwaway PostgreSQL
    .venv/bin/python bench/hub_desk_queue.py --backends sqlite
    .venv/bin/python bench/hub_desk_queue.py --postgres postgresql://user:pw@host:5432

Not a test: run it by hand and copy the figures into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERRALS, CLINICS = 10_000, 50
STATUSES = (
    ["sent"] * 40
    + ["accepted"] * 15
    + ["arrived"] * 10
    + ["completed"] * 15
    + ["rejected"] * 10
    + ["expired"] * 5
    + ["draft"] * 5
)
URGENCIES = ["normal"] * 80 + ["urgent"] * 15 + ["emergency"] * 5
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def fill(engine) -> None:
    import sqlalchemy as sa

    from clinic_hub import accounts, directory
    from clinic_hub.models import Referral, SyncRecord

    rng = random.Random(17)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        directory.upsert_department(conn, "NEI", "心血管内科", 30)
        clinics = [accounts.add_clinic(conn, f"C{i:03d}", f"第{i}村卫生室")[0] for i in range(CLINICS)]
    referrals, records = [], []
    for n in range(REFERRALS):
        clinic_index = n % CLINICS
        rid, status, urgency = str(uuid.uuid4()), rng.choice(STATUSES), rng.choice(URGENCIES)
        sent_at = now - timedelta(minutes=rng.randint(1, 60 * 24 * 30))
        number = f"C{clinic_index:03d}-20261101-{n:05d}"
        referrals.append(
            dict(
                id=rid,
                clinic_id=clinics[clinic_index],
                direction="up",
                referral_no=number,
                urgency=urgency,
                purpose="outpatient",
                status=status,
                clinic_status="sent",
                to_department_code="NEI",
                referral_date=sent_at.date().isoformat(),
                deleted=False,
                sent_at=None if status == "draft" else sent_at,
                created_at=sent_at,
                updated_at=sent_at,
            )
        )
        records.append(
            dict(
                id=rid,
                kind="referral",
                revision=1,
                origin="clinic",
                clinic_id=clinics[clinic_index],
                seq=None,
                updated_at=sent_at,
                deleted=False,
                received_at=sent_at,
                data={
                    "referral_no": number,
                    "direction": "up",
                    "status": "sent",
                    "urgency": urgency,
                    "patient_name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    "patient_sex": rng.choice("12"),
                    "reason": "血压控制不佳" * 5,
                    "chief_complaint": "头晕头痛三天" * 10,
                    "treatment_so_far": "氨氯地平" * 10,
                },
            )
        )
    with engine.begin() as conn:
        for start in range(0, REFERRALS, 1000):
            conn.execute(sa.insert(SyncRecord.__table__), records[start : start + 1000])
            conn.execute(sa.insert(Referral.__table__), referrals[start : start + 1000])


def measure(backend: str, url: str, repeat: int) -> dict:
    import uvicorn

    from clinic_hub import migrate
    from clinic_hub.app import create_app
    from clinic_hub.db import make_engine
    from clinic_hub.settings import Settings
    from clinic_hub.web import auth

    engine = make_engine(url)
    migrate.upgrade(engine)
    fill(engine)
    with engine.begin() as conn:
        from clinic_hub import accounts

        staff_id, _ = accounts.add_staff(conn, "bench nurse", "desk")
        auth.set_password(conn, staff_id, "bench password")
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Settings(database_url=url), engine=engine), log_level="warning", access_log=False, lifespan="off"
        )
    )
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    timings: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/desk/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        assert (
            client.post(
                "/desk/login", data={"csrf_token": token, "login": "bench nurse", "password": "bench password"}
            ).status_code
            == 303
        )
        for name, path in (
            ("sent, page 1", "/desk/queue"),
            ("sent, page 60", "/desk/queue?page=60"),
            ("all, page 1", "/desk/queue?tab=all"),
        ):
            client.get(path)  # warm
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(path)
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200 and "QS" not in answer.text[:0]
    server.should_exit = True
    engine.dispose()
    return {"backend": backend, **{name: statistics.median(ms) for name, ms in timings.items()}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page; the median is shown")
    parser.add_argument("--postgres", help="postgresql://user:pw@host:port of a server; a database is created in it")
    args = parser.parse_args()
    import logging

    from clinic_hub import logs

    logs.configure()
    logging.getLogger("clinic_hub").setLevel("WARNING")
    results = []
    workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
    backends = args.backends.split(",")
    if "sqlite" in backends:
        results.append(measure("sqlite", f"sqlite:///{workdir / 'hub.db'}", args.repeat))
    if "postgresql" in backends:
        import psycopg

        from bench.hub_push import throwaway_postgres

        def run_pg(server_url: str) -> None:
            name = "desk_bench_" + uuid.uuid4().hex[:8]
            with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = server_url.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + name
            results.append(measure("postgresql", url, args.repeat))

        if args.postgres:
            run_pg(args.postgres.rstrip("/"))
        else:
            with throwaway_postgres() as port:
                run_pg(f"postgresql://postgres@127.0.0.1:{port}")
    shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"GET /desk/queue with {REFERRALS} referrals from {CLINICS} clinics, 50 a page, over loopback; "
        f"median of {args.repeat} requests (ms)"
    )
    names = [k for k in results[0] if k != "backend"]
    print(f"{'backend':<12}" + "".join(f"{n:>16}" for n in names))
    for r in results:
        print(f"{r['backend']:<12}" + "".join(f"{r[n]:>16.1f}" for n in names))


if __name__ == "__main__":
    main()
