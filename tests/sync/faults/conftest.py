"""Fixtures of the fault tests: a real clinic-hub in its own process (killable, restartable on the
same SQLite database), a fault proxy in front of it, a clinic database full of pending records, and
the checks every test ends with."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .clinic_data import CLINIC_CODE, CLINIC_NAME, build_clinic_db, copy_clinic_db
from .faultproxy import FaultProxy

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_RECORDS = 600
BATCH_SIZE = 50  # 600 records: 12 push batches, so there are cut points to choose from


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_cli(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "clinic_hub", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"clinic-hub {args[0]} failed: {done.stderr or done.stdout}")
    return done.stdout


def prepare_hub_db(db_path: Path) -> str:
    """A migrated hub database with the clinic registered, through the hub's CLI; returns its token."""
    url = f"sqlite:///{db_path}"
    hub_cli("migrate", "--db", url)
    out = hub_cli("add-clinic", "--db", url, "--code", CLINIC_CODE, "--name", CLINIC_NAME)
    return out.strip().splitlines()[-1]


class HubProcess:
    """``clinic-hub serve`` on a fixed loopback port over a SQLite file; SIGKILL and start again."""

    def __init__(self, db_path: Path, token: str, log_path: Path):
        self.db_path = db_path
        self.url_of_db = f"sqlite:///{db_path}"
        self.token = token
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clinic_hub", "serve", "--db", self.url_of_db, "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"clinic-hub did not start: {self.log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; whatever SQLite had not committed is gone."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def hub_template(tmp_path_factory) -> tuple[Path, str]:
    """Migrated once per session (the CLI takes seconds); each test serves its own copy."""
    path = tmp_path_factory.mktemp("hub-template") / "hub.db"
    token = prepare_hub_db(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path, token


@pytest.fixture
def hub_process(tmp_path, hub_template):
    template, token = hub_template
    shutil.copyfile(template, tmp_path / "hub.db")
    hub = HubProcess(tmp_path / "hub.db", token, tmp_path / "hub.log")
    yield hub
    hub.stop()


@pytest.fixture
def proxy(hub_process):
    fault_proxy = FaultProxy(("127.0.0.1", hub_process.port))
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture(scope="session")
def clinic_template(tmp_path_factory) -> Path:
    """Built once per session through the data layer (about 6 s), copied by each test."""
    from clinic_tui.data.maintenance import checkpoint

    path = tmp_path_factory.mktemp("clinic-template") / "clinic.db"
    build_clinic_db(path, TEMPLATE_RECORDS)
    checkpoint(path)
    return path


@pytest.fixture
def clinic_db(tmp_path, clinic_template) -> Path:
    return copy_clinic_db(clinic_template, tmp_path / "clinic.db")


# --- the client, as a separate process -----------------------------------------------------------


@dataclass
class SyncRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def sync_argv(clinic_db: Path, hub_url: str, token: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "clinic_tui",
        "sync",
        "--db",
        str(clinic_db),
        "--hub",
        hub_url,
        "--token",
        token,
        *extra,
    ]


def sync_env(batch_size: int = BATCH_SIZE) -> dict[str, str]:
    env = dict(os.environ)  # the test's own config and data directories (tests/conftest.py)
    env["CLINIC_TUI_LANG"] = "en"
    env["CLINIC_TUI_BATCH_SIZE"] = str(batch_size)
    return env


def start_sync(clinic_db: Path, hub_url: str, token: str, *, batch_size: int = BATCH_SIZE) -> subprocess.Popen:
    return subprocess.Popen(
        sync_argv(clinic_db, hub_url, token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=sync_env(batch_size),
    )


def run_sync(
    clinic_db: Path, hub_url: str, token: str, *, batch_size: int = BATCH_SIZE, timeout: float = 300
) -> SyncRun:
    started = time.monotonic()
    done = subprocess.run(
        sync_argv(clinic_db, hub_url, token),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=sync_env(batch_size),
        timeout=timeout,
    )
    return SyncRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


# --- what must hold after every fault and a final clean sync -------------------------------------


def clinic_records(clinic_db: Path) -> dict[str, tuple[str, int, bool]]:
    """Every record the clinic owns and the hub accepts: id -> (kind, revision, deleted)."""
    from clinic_tui.data.models import SYNCED_KINDS
    from clinic_tui.sync.wire import CLINIC_KINDS

    found = {}
    with sqlite3.connect(clinic_db) as conn:
        for kind, model in SYNCED_KINDS.items():
            if kind not in CLINIC_KINDS:
                continue
            for record_id, revision, deleted in conn.execute(
                f'SELECT id, revision, deleted FROM "{model.__tablename__}"'
            ):
                found[record_id] = (kind, revision, bool(deleted))
    return found


def hub_records(hub_db: Path) -> tuple[list[tuple], dict[str, tuple[str, int, bool]]]:
    """What the hub holds from the clinic: all rows (to spot copies) and id -> (kind, revision, deleted)."""
    with sqlite3.connect(f"file:{hub_db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT r.id, r.kind, r.revision, r.deleted, json_extract(r.data, '$.revision') FROM sync_record r "
            "JOIN clinic c ON c.id = r.clinic_id WHERE r.origin = 'clinic' AND c.code = ?",
            (CLINIC_CODE,),
        ).fetchall()
    return rows, {row[0]: (row[1], row[2], bool(row[3])) for row in rows}


def outbox_rows(clinic_db: Path) -> list[tuple]:
    with sqlite3.connect(clinic_db) as conn:
        return conn.execute("SELECT kind, record_id, revision, state, reject_code FROM outbox").fetchall()


def last_run(clinic_db: Path) -> dict:
    """The latest receipt (sync_run row) the client stored."""
    with sqlite3.connect(clinic_db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM sync_run ORDER BY id DESC LIMIT 1").fetchone()
    found = dict(row)
    for name in ("confirmed_counts", "today_counts", "conflicts"):
        found[name] = json.loads(found[name]) if found[name] else {}
    return found


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def reconcile(hub: HubProcess) -> dict:
    response = httpx.get(
        f"{hub.url}/api/v1/sync/reconcile", headers={"Authorization": f"Bearer {hub.token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()


def local_summary(records: dict[str, tuple[str, int, bool]]) -> dict[str, dict]:
    from clinic_tui.sync.wire import record_set_hash

    by_kind: dict[str, list[tuple[str, int]]] = {}
    for record_id, (kind, revision, _deleted) in records.items():
        by_kind.setdefault(kind, []).append((record_id, revision))
    return {kind: {"count": len(pairs), "hash": record_set_hash(pairs)} for kind, pairs in by_kind.items()}


def assert_converged(clinic_db: Path, hub: HubProcess) -> None:
    """The hub holds exactly one copy of every record the clinic owns, at the clinic's revision; the
    outbox is empty; the hub's reconcile answer matches the clinic; both SQLite files are whole."""
    assert integrity(clinic_db) == "ok"
    assert integrity(hub.db_path) == "ok"
    assert outbox_rows(clinic_db) == []
    mine = clinic_records(clinic_db)
    rows, theirs = hub_records(hub.db_path)
    assert len(rows) == len(theirs), "the hub holds two rows for one record id"
    missing = sorted(set(mine) - set(theirs))
    extra = sorted(set(theirs) - set(mine))
    assert not missing, f"{len(missing)} records never reached the hub, e.g. {missing[:3]}"
    assert not extra, f"the hub holds {len(extra)} records the clinic does not have, e.g. {extra[:3]}"
    stale = {i: (mine[i], theirs[i]) for i in mine if mine[i] != theirs[i]}
    assert not stale, f"{len(stale)} records differ (clinic, hub), e.g. {list(stale.items())[:3]}"
    assert all(row[2] == row[4] for row in rows), "a stored record's data.revision differs from its revision"
    summary = reconcile(hub)
    expected = local_summary(mine)
    assert {k: v for k, v in summary["kinds"].items() if v["count"]} == expected
    receipt = last_run(clinic_db)
    assert receipt["outcome"] == "ok" and receipt["finished_at"] is not None and not receipt["error_message"]
    assert {k: n for k, n in receipt["confirmed_counts"].items() if n} == {k: v["count"] for k, v in expected.items()}
