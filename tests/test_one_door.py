"""Screens and widgets reach the data layer through the Store only (data/store.py, data/features.py).

They never take the engine nor call a data service's function: from ``clinic_tui.data`` they import
only what they show or catch (records, exceptions, constants: names that start with a capital).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "clinic_tui"
UI_FILES = sorted([*PACKAGE.glob("screens/*.py"), *PACKAGE.glob("widgets/*.py")])


def _trees():
    for path in UI_FILES:
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_no_screen_or_widget_takes_the_engine():
    found = [
        f"{path.name}:{node.lineno}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("engine", "_engine")
    ]
    assert found == []


def test_screens_and_widgets_import_from_data_only_what_they_show_or_catch():
    found = []
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clinic_tui.data"):
                found += [
                    f"{path.name}:{node.lineno} {alias.name}"
                    for alias in node.names
                    if not alias.name[:1].isupper() or node.module == "clinic_tui.data"
                ]
            elif isinstance(node, ast.Import):
                found += [
                    f"{path.name}:{node.lineno} {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("clinic_tui.data")
                ]
    assert found == []


def test_the_rule_sees_the_ui_files():
    assert len(UI_FILES) > 20 and any(path.name == "referral_form.py" for path in UI_FILES)
