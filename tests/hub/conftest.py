"""Fixtures of the clinic-hub suite: a throwaway PostgreSQL server started by the session, fresh
databases, and live hub servers (uvicorn on loopback) over SQLite and PostgreSQL."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from clinic_hub import accounts, changes, directory, migrate
from clinic_hub.app import create_app
from clinic_hub.db import make_engine
from clinic_hub.pull import encode_cursor
from clinic_hub.settings import Settings

BACKENDS = ["sqlite", "postgresql"]
TEST_MAX_BODY = 1024 * 1024  # small, so the 413 tests stay fast


# --- PostgreSQL -------------------------------------------------------------------------------------


def _postgres_bin_dir() -> Path:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
            "/usr/lib/postgresql/*/bin: install Debian's `postgresql` package (CI does)."
        )
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresServer:
    port: int
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def admin_url(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def new_database(self) -> str:
        import psycopg

        name = f"hub_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres_server():
    bindir = _postgres_bin_dir()
    base = Path(tempfile.mkdtemp(prefix="clinic-hub-pg-"))
    as_root = os.geteuid() == 0
    if as_root:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres", "postgres")
    os.chmod(base, 0o700)
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []

    def run(*args: str) -> None:
        done = subprocess.run(prefix + list(args), capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}")

    data = base / "data"
    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    port = free_port()
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        f"-c full_page_writes=off -c max_connections=200"
    )
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(base / "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        options,
        "start",
    )
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run(
            prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_db(request, tmp_path):
    """A factory of empty databases on a backend: fresh_db("sqlite") or fresh_db("postgresql")."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'hub-{uuid.uuid4().hex[:8]}.db'}"
        return request.getfixturevalue("postgres_server").new_database()

    return make


# --- Live hub ---------------------------------------------------------------------------------------


class HubServer:
    """A migrated database and a uvicorn server on loopback in a background thread."""

    def __init__(self, backend: str, database_url: str):
        self.backend = backend
        self.database_url = database_url
        self.engine = make_engine(database_url)
        migrate.upgrade(self.engine)
        self.attachment_dir = tempfile.mkdtemp(prefix="hub-attachments-")
        self.settings = Settings(
            database_url=database_url, max_body_bytes=TEST_MAX_BODY, attachment_dir=self.attachment_dir
        )
        self.app = create_app(self.settings, engine=self.engine)
        sock = socket.socket()
        # Accepted sockets inherit this; without it each response waits ~40 ms (Nagle + delayed ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("hub server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.engine.dispose()
        shutil.rmtree(self.attachment_dir, ignore_errors=True)

    # helpers used by the tests: setup goes straight to the database, actions go over HTTP
    def new_clinic(self, name: str = "测试村卫生室") -> tuple[str, str]:
        code = "C" + uuid.uuid4().hex[:8].upper()
        with self.engine.begin() as conn:
            _, token = accounts.add_clinic(conn, code, name)
        return code, token

    def new_staff(self, role: str = "desk") -> str:
        with self.engine.begin() as conn:
            return accounts.add_staff(conn, f"{role} user", role)[1]

    def new_department(self, daily_slots: int = 9, beds: int = 0) -> str:
        code = "D" + uuid.uuid4().hex[:8].upper()
        with self.engine.begin() as conn:
            directory.upsert_department(conn, code, "心血管内科", daily_slots, beds=beds)
        return code

    def cursor_now(self) -> str:
        """A pull cursor at the current end of the change log (tests only want what follows)."""
        with self.engine.connect() as conn:
            return encode_cursor(changes.current_epoch(conn), changes.last_change_number(conn))

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # verify=False: plain http on loopback; loading the CA bundle costs ~130 ms per client.
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, verify=False)


@pytest.fixture(scope="session", params=BACKENDS)
def hub(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hub') / 'hub.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    server = HubServer(request.param, url)
    yield server
    server.stop()


# --- Records ----------------------------------------------------------------------------------------


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def make_record(
    kind: str, clinic_code: str, record_id: str | None = None, revision: int = 1, deleted: bool = False, **fields: Any
) -> dict[str, Any]:
    stamp = now_iso()
    return {
        "kind": kind,
        "id": record_id or str(uuid.uuid4()),
        "revision": revision,
        "updated_at": stamp,
        "deleted": deleted,
        "data": {
            "clinic_id": clinic_code,
            "author_id": "doctor-1",
            "created_at": stamp,
            "updated_at": stamp,
            "revision": revision,
            "deleted": deleted,
            **fields,
        },
    }


def make_referral(
    clinic_code: str,
    status: str = "sent",
    urgency: str = "normal",
    revision: int = 1,
    record_id: str | None = None,
    referral_no: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    fields.setdefault("purpose", "outpatient")
    return make_record(
        "referral",
        clinic_code,
        record_id,
        revision,
        referral_no=referral_no or f"{clinic_code}-20250701-{uuid.uuid4().hex[:6]}",
        direction="up",
        status=status,
        urgency=urgency,
        referral_date="2025-07-01",
        patient_name="王小明",
        patient_sex="1",
        patient_id_number="11010519491231002X",
        patient_phone="13800138000",
        reason="血压控制不佳",
        treatment_so_far="氨氯地平",
        to_department_code="NEI",
        **fields,
    )


def push(client: httpx.Client, records: list[dict], batch_id: str | None = None, **kwargs) -> httpx.Response:
    return client.post(
        "/api/v1/sync/push", json={"batch_id": batch_id or uuid.uuid4().hex, "records": records}, **kwargs
    )


def pull_all(client: httpx.Client, cursor: str | None = None, limit: int = 200) -> tuple[list[dict], str]:
    changes: list[dict] = []
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sync/pull", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        changes += body["changes"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return changes, cursor


@pytest.fixture(scope="session")
def cheap_passwords():
    """argon2 at its smallest for the web desk's tests (a real hash takes ~1 s on a busy CI
    machine); tests/hub/test_web_security.py checks that the hub itself uses the full parameters."""
    from argon2 import PasswordHasher

    from clinic_hub.web import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield
