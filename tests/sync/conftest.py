"""Fixtures of the sync client tests: a real clinic-hub (uvicorn on loopback, SQLite in tmp) and
clinic databases (a small fresh one, or a copy of the demo database).

The hub is set up through its own functions (accounts, directory, changes); the clinic talks to it
over real HTTP with ``clinic_tui.sync.engine.run_sync``. Nothing of either side is mocked.
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from clinic_hub import accounts, changes, directory, migrate
from clinic_hub.app import create_app
from clinic_hub.db import make_engine
from clinic_hub.settings import Settings as HubSettings

EXAMPLE_DB = Path(__file__).resolve().parents[2] / "local.db.example"


class HubServer:
    """A migrated hub database and a uvicorn server on loopback in a background thread."""

    def __init__(
        self,
        db_path: Path,
        *,
        max_push_records: int | None = None,
        certfile: Path | None = None,
        keyfile: Path | None = None,
    ):
        self.database_url = f"sqlite:///{db_path}"
        self.engine = make_engine(self.database_url)
        migrate.upgrade(self.engine)
        limits = {"max_push_records": max_push_records} if max_push_records else {}
        app = create_app(HubSettings(database_url=self.database_url, **limits), engine=self.engine)
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else ~40 ms per answer
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        scheme = "https" if certfile else "http"
        self.base_url = f"{scheme}://{'localhost' if certfile else '127.0.0.1'}:{self.port}"
        tls = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)} if certfile else {}
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", **tls))
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

    def new_clinic(self, code: str | None = None) -> tuple[str, str]:
        code = code or "C" + uuid.uuid4().hex[:8].upper()
        with self.engine.begin() as conn:
            _, token = accounts.add_clinic(conn, code, "测试村卫生室")
        return code, token

    def new_staff_token(self, role: str = "desk") -> str:
        with self.engine.begin() as conn:
            return accounts.add_staff(conn, f"{role} user", role)[1]

    def new_department(self, daily_slots: int = 9, beds: int = 0) -> str:
        code = "D" + uuid.uuid4().hex[:6].upper()
        with self.engine.begin() as conn:
            directory.upsert_department(conn, code, "心血管内科", daily_slots, beds=beds)
        return code

    def new_epoch(self) -> str:
        with self.engine.begin() as conn:
            return changes.new_epoch(conn)

    def clinic_records(self, clinic_code: str) -> list[tuple[str, str, int]]:
        """(kind, id, revision) of every record the hub holds from this clinic."""
        with self.engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text(
                        "SELECT r.kind, r.id, r.revision FROM sync_record r JOIN clinic c ON c.id = r.clinic_id "
                        "WHERE c.code = :code AND r.origin = 'clinic'"
                    ),
                    {"code": clinic_code},
                )
            ]

    def delete_record(self, record_id: str) -> None:
        with self.engine.begin() as conn:
            assert conn.execute(sa.text("DELETE FROM sync_record WHERE id = :id"), {"id": record_id}).rowcount == 1

    def desk(self) -> httpx.Client:
        token = self.new_staff_token("desk")
        return httpx.Client(
            base_url=self.base_url + "/api/v1/desk",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            verify=False,
        )


@pytest.fixture(scope="session")
def hub(tmp_path_factory):
    server = HubServer(tmp_path_factory.mktemp("hub") / "hub.db")
    yield server
    server.stop()


@pytest.fixture
def own_hub(tmp_path):
    """A hub of this test alone (for tests that change the epoch or the limits)."""
    servers = []

    def start(**options) -> HubServer:
        servers.append(HubServer(tmp_path / f"hub-{len(servers)}.db", **options))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def clinic_settings(tmp_path):
    """Settings for a clinic database at ``path`` syncing with ``hub`` (the token is passed apart)."""
    from clinic_tui.config import load_settings

    def make(hub: HubServer, path: Path, **changes_):
        return replace(load_settings(), database=path, hub_url=hub.base_url, **changes_)

    return make


@pytest.fixture
def demo_db(tmp_path) -> Path:
    """A copy of the demo database, at the current schema."""
    from clinic_tui.data.migrate import open_database

    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DB, path)
    open_database(path).engine.dispose()
    return path


@pytest.fixture
def small_clinic(engine, clinic, doctor):
    """The fresh clinic database of tests/conftest.py with a few residents and visits, all pending."""
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import AppSetting, Resident, Visit, utcnow

    with unit_of_work(engine) as session:
        session.add(AppSetting(key="clinic_id", value=clinic.id))
        for index in range(3):
            resident = records.create(session, Resident(clinic_id=clinic.id, name=f"王小{index}", sex="1"), doctor.id)
            records.create(
                session,
                Visit(
                    clinic_id=clinic.id,
                    resident_id=resident.id,
                    visit_at=utcnow(),
                    doctor_id=doctor.id,
                    chief_complaint="头晕",
                ),
                doctor.id,
            )
    return engine


def database_path(engine) -> Path:
    return Path(engine.url.database)


@pytest.fixture
def exchanges(caplog):
    """The requests the hub served since the last call, from its own access log: (method, path)."""
    caplog.set_level(logging.INFO, logger="clinic_hub.access")

    def taken() -> list[tuple[str, str]]:
        found = [
            (r.fields["method"], r.fields["path"].removeprefix("/api/v1"))  # type: ignore[attr-defined]
            for r in caplog.records
            if r.name == "clinic_hub.access"
        ]
        caplog.clear()
        return found

    return taken
