#!/usr/bin/env python3
"""Does every runtime dependency of the app have a wheel for Windows (win_amd64)?

Village PCs run Windows 10/11 and have no compiler: a dependency without a Windows wheel would make
`pip install` try to build it from source there, and fail. This answers the question from the lock,
for each Python version we support, without guessing:

    python scripts/check_windows_wheels.py              # read uv.lock (offline, what the tests run)
    python scripts/check_windows_wheels.py --download   # and ask PyPI: pip download --only-binary
                                                        # --platform win_amd64, hashes from the lock

The runtime dependencies are the app's own (`clinic-tui` without extras) and what they need on
Windows: markers are evaluated for a Windows machine, so `colorama`-style Windows-only packages count
and Linux-only ones do not.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "uv.lock"
PROJECT = "clinic-tui"
# requires-python is ">=3.11": the versions a clinic may have installed today.
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
PLATFORM = "win_amd64"


def windows(python: str) -> dict[str, str]:
    """The marker environment of a 64-bit Windows PC running CPython `python`."""
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": "nt",
        "platform_machine": "AMD64",
        "platform_python_implementation": "CPython",
        "platform_release": "10",
        "platform_system": "Windows",
        "platform_version": "10.0.19045",
        "python_full_version": f"{python}.0",
        "python_version": python,
        "sys_platform": "win32",
        "extra": "",
    }


def runtime_packages(lock: dict, python: str) -> dict[str, dict]:
    """The locked packages the app installs on Windows under `python`, by name (itself excluded)."""
    packages = {p["name"]: p for p in lock["package"]}
    environment = windows(python)
    wanted: dict[str, dict] = {}
    todo = [PROJECT]
    while todo:
        name = todo.pop()
        for dependency in packages[name].get("dependencies", []):
            marker = dependency.get("marker")
            if marker and not Marker(marker).evaluate(environment):
                continue
            if dependency["name"] not in wanted:
                wanted[dependency["name"]] = packages[dependency["name"]]
                todo.append(dependency["name"])
        # An extra asked for by a dependency ("psycopg[binary]") brings its own; the app asks for none.
    return wanted


def installs_on_windows(filename: str, python: str) -> bool:
    """Whether pip on Windows with CPython `python` would take this wheel."""
    _name, _version, _build, tags = parse_wheel_filename(filename)
    minor = int(python.split(".")[1])
    for tag in tags:
        if tag.platform not in ("any", PLATFORM):
            continue
        if tag.interpreter in ("py3", f"py3{minor}") and tag.abi == "none":
            return True
        if tag.interpreter == f"cp3{minor}" and tag.abi in ("none", f"cp3{minor}", "abi3"):
            return True
        if tag.abi == "abi3" and tag.interpreter.startswith("cp3") and int(tag.interpreter[3:]) <= minor:
            return True
    return False


def missing_wheels(lock: dict) -> dict[str, list[str]]:
    """For each Python version, the runtime packages with no wheel pip would take on win_amd64."""
    missing: dict[str, list[str]] = {}
    for python in PYTHONS:
        for name, package in sorted(runtime_packages(lock, python).items()):
            wheels = [w["url"].rsplit("/", 1)[1] for w in package.get("wheels", [])]
            if not any(installs_on_windows(w, python) for w in wheels):
                missing.setdefault(python, []).append(f"{name}=={package['version']}")
    return missing


def requirements(lock: dict, python: str) -> str:
    """The locked runtime set for Windows as a pip requirements file, every file's hash included."""
    lines = []
    for name, package in sorted(runtime_packages(lock, python).items()):
        files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
        hashes = " ".join(f"--hash={f['hash']}" for f in files)
        lines.append(f"{name}=={package['version']} {hashes}")
    return "\n".join(lines) + "\n"


def download(lock: dict, python: str, pip_python: str) -> subprocess.CompletedProcess:
    """pip download exactly the locked runtime set for Windows, refusing anything but wheels."""
    with tempfile.TemporaryDirectory() as folder:
        listed = Path(folder) / "requirements.txt"
        listed.write_text(requirements(lock, python))
        return subprocess.run(
            [
                pip_python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--only-binary=:all:",
                "--no-deps",
                "--platform",
                PLATFORM,
                "--python-version",
                python,
                "--implementation",
                "cp",
                "--require-hashes",
                "-r",
                str(listed),
                "-d",
                str(Path(folder) / "wheels"),
            ],
            capture_output=True,
            text=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--download", action="store_true", help="also pip download them from PyPI")
    parser.add_argument("--pip-python", default="python3", help="the Python whose pip downloads")
    args = parser.parse_args()
    lock = tomllib.loads(LOCK.read_text(encoding="utf-8"))
    missing = missing_wheels(lock)
    for python in PYTHONS:
        names = sorted(runtime_packages(lock, python))
        status = "MISSING " + ", ".join(missing[python]) if python in missing else "all have wheels"
        print(f"Python {python} on {PLATFORM}: {len(names)} runtime packages, {status}")
    if missing:
        return 1
    if args.download:
        for python in PYTHONS:
            result = download(lock, python, args.pip_python)
            print(
                f"pip download for Python {python} on {PLATFORM}: "
                + ("ok" if result.returncode == 0 else "FAILED\n" + result.stderr)
            )
            if result.returncode:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
