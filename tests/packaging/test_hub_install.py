"""What a hospital installs: the clinic-hub wheel (hub/pyproject.toml) with its locked dependencies and
nothing of the terminal app, set up and served by its own command, and a real clinic syncing to it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from uv_env import UV, uv
from uv_env import installed as installed_in

ROOT = Path(__file__).resolve().parents[2]
APP_ONLY = {"textual", "rich", "pypinyin", "platformdirs", "pytest"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # builds a wheel and a virtual environment, serves, syncs the demo: about 15 s
@pytest.mark.skipif(not UV.exists(), reason="needs the project's pinned uv (make test installs it)")
def test_the_hub_wheel_installs_without_the_app_and_serves_a_clinic_sync(tmp_path):
    uv("build", "--wheel", "--quiet", "--out-dir", str(tmp_path / "dist"), "hub")
    (wheel,) = (tmp_path / "dist").glob("clinic_hub-*.whl")
    shipped = zipfile.ZipFile(wheel).namelist()
    assert "clinic_tui/sync/wire.py" in shipped and "clinic_hub/migrations/env.py" in shipped
    assert not [name for name in shipped if name.startswith(("clinic_tui/screens", "clinic_tui/data"))]

    venv = tmp_path / "venv"
    uv("venv", "--quiet", str(venv), "--python", sys.executable)
    python = venv / "bin" / "python"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        uv(
            "export",
            "--quiet",
            "--locked",
            "--package",
            "clinic-hub",
            "--no-emit-workspace",
            "--format",
            "requirements-txt",
        ).stdout
    )
    uv("pip", "install", "--quiet", "--python", str(python), "--require-hashes", "-r", str(requirements))
    uv("pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel))
    installed = installed_in(python)
    assert {"clinic-hub", "fastapi", "uvicorn"} <= installed
    assert installed & APP_ONLY == set()

    hub_command = venv / "bin" / "clinic-hub"
    database = f"sqlite:///{tmp_path / 'hub.db'}"
    environment = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    subprocess.run(
        [str(hub_command), "migrate", "--db", database], env=environment, check=True, capture_output=True, cwd=tmp_path
    )
    added = subprocess.run(
        [str(hub_command), "add-clinic", "--db", database, "--code", "QS0101", "--name", "青石村卫生室"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    token = next(word for word in added.stdout.split() if word.startswith("chub_"))

    port = _free_port()
    server = subprocess.Popen(
        [str(hub_command), "serve", "--db", database, "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the installed hub did not start"
            time.sleep(0.1)

        # A real clinic (the demo copy, this checkout's app) syncs with the installed hub.
        clinic_db = tmp_path / "clinic.db"
        clinic_db.write_bytes((ROOT / "local.db.example").read_bytes())
        synced = subprocess.run(
            [str(Path(sys.executable).with_name("clinic-tui")), "--lang", "en", "sync", "--db", str(clinic_db)],
            env={
                **environment,
                "CLINIC_TUI_HUB_URL": f"http://127.0.0.1:{port}",
                "CLINIC_TUI_TOKEN": token,
                "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
                "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "In all the hospital holds" in synced.stdout
    finally:
        server.terminate()
        server.wait(10)
    with sqlite3.connect(tmp_path / "hub.db") as hub_db:
        sent = sqlite3.connect(clinic_db).execute("SELECT count(*) FROM visit").fetchone()[0]
        held = hub_db.execute("SELECT count(*) FROM sync_record WHERE kind = 'visit'").fetchone()[0]
    assert sent > 0 and held == sent
