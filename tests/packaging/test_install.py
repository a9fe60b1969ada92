"""What a clinic installs: the wheel built from this repository, with the locked runtime set and nothing
else, starts the app on its demo copy in a fresh virtual environment; every runtime dependency has a
Windows wheel.

The wheel test builds and installs for real (uv, from its cache after `make test`'s own sync), then
drives the installed app headless with Textual's Pilot from inside that environment: pytest is not
there, so the driving script uses only what the app itself ships with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest
from uv_env import UV, uv
from uv_env import installed as installed_in

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import check_windows_wheels  # noqa: E402

LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
NOT_RUNTIME = {"pytest", "fastapi", "uvicorn", "psycopg", "schemathesis", "hypothesis", "babel", "openpyxl"}


def test_every_runtime_dependency_has_a_windows_wheel_for_each_supported_python():
    assert check_windows_wheels.missing_wheels(LOCK) == {}
    names = check_windows_wheels.runtime_packages(LOCK, "3.11")
    assert {"textual", "rich", "sqlmodel", "sqlalchemy", "httpx", "pypinyin"} <= set(names)
    assert not NOT_RUNTIME & set(names)  # the hub and the test tools are not the app's
    assert "colorama" not in names or "colorama" in check_windows_wheels.runtime_packages(LOCK, "3.14")


@pytest.mark.slow  # asks PyPI: about 8 s per Python version
@pytest.mark.parametrize("python", check_windows_wheels.PYTHONS)
def test_pip_downloads_the_locked_runtime_set_as_windows_wheels(python):
    """The fact itself, from the registry: pip, told it is on win_amd64, takes only wheels, by the lock's hashes."""
    pip_python = shutil.which("python3") or sys.executable
    result = check_windows_wheels.download(LOCK, python, pip_python)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_windows_check_finds_a_package_with_only_linux_wheels():
    lock = json.loads(json.dumps(LOCK))  # a deep copy to edit
    sqlalchemy = next(p for p in lock["package"] if p["name"] == "sqlalchemy")
    # Linux builds and the pure-Python fallback, but no Windows build: still installable everywhere.
    sqlalchemy["wheels"] = [w for w in sqlalchemy["wheels"] if "win" not in w["url"]]
    assert check_windows_wheels.missing_wheels(lock) == {}
    # Without the fallback, Windows has nothing to take.
    sqlalchemy["wheels"] = [w for w in sqlalchemy["wheels"] if "none-any" not in w["url"]]
    missing = check_windows_wheels.missing_wheels(lock)
    assert set(missing) == set(check_windows_wheels.PYTHONS)
    assert all(entry == [f"sqlalchemy=={sqlalchemy['version']}"] for entry in missing.values())


@pytest.mark.parametrize(
    ("wheel", "python", "takes"),
    [
        ("textual-8.2.8-py3-none-any.whl", "3.11", True),
        ("msgspec-0.19.0-cp312-cp312-win_amd64.whl", "3.12", True),
        ("msgspec-0.19.0-cp312-cp312-win_amd64.whl", "3.11", False),
        ("cryptography-46.0.0-cp311-abi3-win_amd64.whl", "3.13", True),
        ("cryptography-46.0.0-cp311-abi3-win32.whl", "3.13", False),
        ("sqlalchemy-2.1.9-cp311-cp311-manylinux_2_17_x86_64.whl", "3.11", False),
    ],
)
def test_wheel_tags_are_read_as_pip_on_windows_reads_them(wheel, python, takes):
    assert check_windows_wheels.installs_on_windows(wheel, python) is takes


@pytest.mark.slow  # builds a wheel and a virtual environment: about 10 s
@pytest.mark.skipif(not UV.exists(), reason="needs the project's pinned uv (make test installs it)")
def test_the_wheel_installs_alone_and_starts_the_app_on_its_demo_copy(tmp_path):
    uv("build", "--wheel", "--quiet", "--out-dir", str(tmp_path / "dist"), "--python", sys.executable)
    (wheel,) = (tmp_path / "dist").glob("clinic_tui-*.whl")

    # Every resource the app reads from its package is in the wheel.
    shipped = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "clinic_tui", "clinic_hub"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    resources = [p for p in tracked if not p.endswith(".py") and "__snapshots__" not in p]
    assert resources and [p for p in resources if p not in shipped] == []
    assert "clinic_tui/resources/local.db.example" in shipped

    # A clean environment, the locked runtime dependencies (no extras), then the wheel itself.
    venv = tmp_path / "venv"
    uv("venv", "--quiet", str(venv), "--python", sys.executable)
    python = venv / "bin" / "python"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        uv("export", "--quiet", "--locked", "--no-emit-project", "--format", "requirements-txt").stdout
    )
    uv("pip", "install", "--quiet", "--python", str(python), "--require-hashes", "-r", str(requirements))
    uv("pip", "install", "--quiet", "--python", str(python), "--no-deps", str(wheel))
    installed = installed_in(python)
    assert "textual" in installed and "clinic-tui" in installed
    assert installed & NOT_RUNTIME == set()

    # Start it headless on the demo copy, from a folder that is not the checkout, nothing configured.
    home = tmp_path / "home"
    home.mkdir()
    driver = tmp_path / "drive.py"
    driver.write_text(
        textwrap.dedent("""
        import asyncio, json
        import clinic_tui
        from clinic_tui.app import ClinicApp
        from clinic_tui.config import load_settings

        async def main():
            app = ClinicApp(load_settings())
            async with app.run_test(size=(80, 24)) as pilot:
                for _ in range(200):
                    if type(app.screen).__name__ == "LoginScreen" and app.screen.is_mounted:
                        break
                    await pilot.pause(0.05)
                first = type(app.screen).__name__
                await pilot.press("enter", "1", "2", "3", "4", "enter")
                for _ in range(200):
                    if type(app.screen).__name__ == "DashboardScreen":
                        break
                    await pilot.pause(0.05)
                print(json.dumps({"package": clinic_tui.__file__, "first": first,
                                  "then": type(app.screen).__name__, "database": str(app.store.path),
                                  "demo": app.settings.database is None}))

        asyncio.run(main())
    """)
    )
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CLINIC_TUI_CONFIG_DIR": str(home / "config"),
        "CLINIC_TUI_DATA_DIR": str(home / "data"),
        "CLINIC_TUI_TODAY": "2026-11-20",
    }
    run = subprocess.run(
        [str(python), str(driver)], cwd=home, env=environment, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["package"].startswith(str(venv))  # the installed copy, not the checkout
    assert (seen["first"], seen["then"]) == ("LoginScreen", "DashboardScreen")
    assert seen["database"].startswith(str(home / "data")) and seen["demo"]
