"""`clinic-hub serve` as a real process: migrate on start, TLS, health, a broadcast reaching pull."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from clinic_hub.cli import main
from tests.hub.conftest import free_port


def _wait(url: str, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 90  # worker processes import the app anew: slow on a busy machine
    while True:
        try:
            return httpx.get(url, verify=False, timeout=2)
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                # Stop it before reading its stderr: reading a live process's stderr never ends.
                process.terminate()
                try:
                    _, stderr = process.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    _, stderr = process.communicate()
                raise AssertionError(f"server did not start: {stderr}") from None
            time.sleep(0.1)


def test_serve_over_tls_after_migrating(tmp_path, capsys):
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a test certificate")
    cert, key = tmp_path / "hub.crt", tmp_path / "hub.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    db = f"sqlite:///{tmp_path / 'served.db'}"
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clinic_hub",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--migrate",
            "--ssl-certfile",
            str(cert),
            "--ssl-keyfile",
            str(key),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait(f"https://127.0.0.1:{port}/api/v1/health", process)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        main(["add-clinic", "--db", db, "--code", "T1", "--name", "t"])
        token = capsys.readouterr().out.strip().splitlines()[-1]
        assert main(["broadcast", "--db", db, "--title", "停诊通知", "--body", "7月1日心内科停诊"]) == 0
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=str(cert)),
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            pulled = client.get("/api/v1/sync/pull").json()
        assert [c["data"]["title"] for c in pulled["changes"] if c["kind"] == "broadcast"] == ["停诊通知"]
    finally:
        process.terminate()
        process.wait(10)


def test_serve_with_several_workers(tmp_path):
    db = f"sqlite:///{tmp_path / 'workers.db'}"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "clinic_hub", "serve", "--db", db, "--port", str(port), "--migrate", "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait(f"http://127.0.0.1:{port}/api/v1/health", process)
        assert health.status_code == 200 and health.json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(10)
