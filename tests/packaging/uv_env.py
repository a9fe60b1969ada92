"""The project's pinned uv, run as `make` runs it, for the packaging tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".uv" / "bin" / "uv"


def uv(*args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    environment.pop("VIRTUAL_ENV", None)
    return subprocess.run([str(UV), *args], cwd=ROOT, env=environment, capture_output=True, text=True, check=True)


def installed(python: Path) -> set[str]:
    """The distributions installed in the environment of ``python``, by lower-case name."""
    return {
        line.split("==")[0].split(" @ ")[0].lower()
        for line in uv("pip", "freeze", "--python", str(python)).stdout.splitlines()
    }
