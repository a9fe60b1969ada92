"""The hub's layout (docs/architecture.md): routers are HTTP only, the services hold the SQL."""

from __future__ import annotations

import ast
from pathlib import Path

ROUTERS = sorted((Path(__file__).resolve().parents[2] / "clinic_hub" / "routers").glob("*.py"))


def test_routers_run_no_sql():
    """A router may name an engine or a connection (``sqlalchemy.engine``, for types) and pass it on;
    it builds no statement and touches no table: that is a service module's work."""
    found = []
    for path in ROUTERS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{path.name}:{node.lineno} {name}"
                for name in names
                if (name.split(".")[0] == "sqlalchemy" and name != "sqlalchemy.engine") or name == "clinic_hub.models"
            ]
    assert ROUTERS and found == []
