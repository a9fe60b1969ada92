"""`clinic-tui sync --check`, the exit codes of `clinic-tui sync`, the token file and the lock."""

from __future__ import annotations

import io
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
from dataclasses import replace

import pytest

from clinic_tui import i18n
from clinic_tui.cli import main
from clinic_tui.config import load_settings
from clinic_tui.sync import engine as sync_engine
from clinic_tui.sync.credentials import write_token_file
from clinic_tui.sync.engine import check_connection, run_sync
from clinic_tui.sync.lock import sync_lock

from .conftest import HubServer, database_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(**values):
    return replace(load_settings(), **values)


def test_check_says_plainly_that_nobody_listens_on_the_port():
    check = check_connection(_settings(hub_url=f"http://127.0.0.1:{_free_port()}"), token="chub_x")
    assert (check.ok, check.problem, check.exit_code) == (False, "refused", sync_engine.EXIT_OFFLINE)
    assert "没有应答" in check.message  # in the user's language (Chinese by default)


def test_check_says_the_hub_name_cannot_be_found():
    i18n.set_language("en")
    check = check_connection(_settings(hub_url="https://hub.invalid:8600"), token="chub_x")
    assert (check.problem, check.exit_code) == ("dns", sync_engine.EXIT_DNS)
    assert "hub.invalid could not be found" in check.message


def test_check_tells_an_unknown_token_from_a_staff_token(hub):
    i18n.set_language("en")
    settings = _settings(hub_url=hub.base_url)
    unknown = check_connection(settings, token="chub_not_a_real_token")
    assert (unknown.problem, unknown.exit_code) == ("auth", sync_engine.EXIT_AUTH)
    assert "401" in unknown.message
    staff = check_connection(settings, token=hub.new_staff_token("viewer"))
    assert (staff.problem, staff.exit_code) == ("forbidden", sync_engine.EXIT_FORBIDDEN)
    _, token = hub.new_clinic()
    good = check_connection(settings, token=token)
    assert good.ok and good.api_version == "1" and good.epoch and good.exit_code == 0


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "hub.crt", folder / "hub.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_check_explains_an_unverifiable_certificate_and_works_with_the_hospitals_ca(self_signed, tmp_path):
    cert, key = self_signed
    hub = HubServer(tmp_path / "tls-hub.db", certfile=cert, keyfile=key)
    try:
        _, token = hub.new_clinic()
        i18n.set_language("en")
        refused = check_connection(_settings(hub_url=hub.base_url), token=token)
        assert (refused.problem, refused.exit_code) == ("tls", sync_engine.EXIT_TLS)
        assert "certificate" in refused.message and "ca_bundle" in refused.message
        trusted = check_connection(_settings(hub_url=hub.base_url, ca_bundle=cert), token=token)
        assert trusted.ok, trusted.message
    finally:
        hub.stop()


def test_plain_http_to_another_machine_needs_explicit_permission_and_warns():
    i18n.set_language("en")
    refused = check_connection(_settings(hub_url="http://192.0.2.10:8600"), token="chub_x")
    assert (refused.problem, refused.exit_code) == ("config", sync_engine.EXIT_CONFIG)
    assert "allow_insecure_http" in refused.message
    allowed = check_connection(
        _settings(hub_url=f"http://192.0.2.10:{_free_port()}", allow_insecure_http=True), token="chub_x"
    )
    assert allowed.problem != "config"
    assert any("unencrypted" in warning for warning in allowed.warnings)


# --- the token file ---------------------------------------------------------------------------------


def test_set_token_writes_an_owner_only_file_and_names_it_in_the_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("chub_secret_token\n"))
    assert main(["--lang", "en", "sync", "set-token"]) == 0
    token_file = tmp_path / "config" / "hub-token"
    assert token_file.read_text().strip() == "chub_secret_token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert load_settings().token_file == token_file
    assert "chub_secret_token" not in capsys.readouterr().out


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_token_file_others_can_read_is_refused_with_the_fix(tmp_path, capsys):
    token_file = tmp_path / "token"
    write_token_file(token_file, "chub_x")
    token_file.chmod(0o644)
    settings = _settings(hub_url="https://hub.example.cn", token_file=token_file)
    i18n.set_language("en")
    check = check_connection(settings)
    assert (check.problem, check.exit_code) == ("config", sync_engine.EXIT_CONFIG)
    assert "chmod 600" in check.message and str(token_file) in check.message


# --- the end-of-day batch ---------------------------------------------------------------------------


def test_the_batch_exit_codes(hub, small_clinic, monkeypatch, capsys):
    path = database_path(small_clinic)
    small_clinic.dispose()
    _, token = hub.new_clinic()
    monkeypatch.setenv("CLINIC_TUI_HUB_URL", hub.base_url)
    monkeypatch.setenv("CLINIC_TUI_TOKEN", token)

    assert main(["sync", "--db", str(path), "--quiet"]) == sync_engine.EXIT_OK
    assert capsys.readouterr().out == ""
    assert main(["--lang", "en", "sync", "--db", str(path)]) == sync_engine.EXIT_OK
    assert "In all the hospital holds 3 visits" in capsys.readouterr().out
    assert main(["sync", "--db", str(path), "--token", "chub_revoked"]) == sync_engine.EXIT_AUTH
    assert main(["sync", "--db", str(path), "--hub", f"http://127.0.0.1:{_free_port()}"]) == sync_engine.EXIT_OFFLINE
    assert main(["sync", "--db", str(path), "--hub", "ftp://hub"]) == sync_engine.EXIT_CONFIG
    assert main(["sync", "--check", "--quiet"]) == sync_engine.EXIT_OK
    with sync_lock(path):  # the app's worker is syncing the same database
        assert main(["sync", "--db", str(path)]) == sync_engine.EXIT_BUSY
    assert "另一个同步" in capsys.readouterr().err


def test_a_sync_refused_by_the_lock_leaves_no_receipt(hub, small_clinic, clinic_settings):
    from clinic_tui.sync import state as sync_state

    _, token = hub.new_clinic()
    with sync_lock(database_path(small_clinic)):
        report = run_sync(small_clinic, clinic_settings(hub, database_path(small_clinic)), token=token)
    assert report.outcome == "busy" and report.exit_code == sync_engine.EXIT_BUSY
    assert sync_state.recent_runs(small_clinic) == []


def test_sync_with_no_database_configured_syncs_the_apps_demo_copy(own_hub, isolated_dirs, monkeypatch, capsys):
    """Issue 14 item 8: the command takes the copy the app runs on (made if missing), not exit 2."""
    from clinic_tui.config import Settings

    hub = own_hub()
    _, token = hub.new_clinic("QS0101")  # the demo clinic's own code
    monkeypatch.setenv("CLINIC_TUI_HUB_URL", hub.base_url)
    monkeypatch.setenv("CLINIC_TUI_TOKEN", token)
    demo = Settings().database_path()
    assert demo == isolated_dirs / "data" / "demo.db" and not demo.exists()

    assert main(["sync", "--quiet"]) == sync_engine.EXIT_OK
    assert demo.exists()
    assert main(["sync"]) == sync_engine.EXIT_OK
    assert str(demo) in capsys.readouterr().err
    assert len(hub.clinic_records("QS0101")) > 1000  # the demo's residents, visits, referrals...


def test_the_sync_command_reads_every_page_only_when_the_apps_start_would(hub, small_clinic, monkeypatch):
    """Issue 19: `clinic-tui sync` ran PRAGMA quick_check on every run (2 s per GB on an old PC)."""
    from clinic_tui.data import migrate, startup
    from clinic_tui.data.startup import LAST_CHECK_KEY, full_check_due, mark_clean_exit

    path = database_path(small_clinic)
    small_clinic.dispose()
    _, token = hub.new_clinic()
    monkeypatch.setenv("CLINIC_TUI_HUB_URL", hub.base_url)
    monkeypatch.setenv("CLINIC_TUI_TOKEN", token)
    full_checks: list[bool] = []
    real_check = migrate.check_usable

    def check_usable(file, full_check=True):
        full_checks.append(full_check)
        return real_check(file, full_check=full_check)

    # A file at the current schema is checked by data.startup (no ORM), one to upgrade by migrate.
    monkeypatch.setattr(startup, "check_usable", check_usable)
    monkeypatch.setattr(migrate, "check_usable", check_usable)

    assert full_check_due(path)  # never checked: the first sync reads every page, and says so
    assert main(["sync", "--db", str(path), "--quiet"]) == sync_engine.EXIT_OK
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM app_setting WHERE key = ?", (LAST_CHECK_KEY,)).fetchone()
    mark_clean_exit(path)  # the app quit normally since
    assert main(["sync", "--db", str(path), "--quiet"]) == sync_engine.EXIT_OK
    assert full_checks == [True, False]
