"""Nothing runs at import time: no config read, no directory made, no engine, no heavy import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import importlib, json, pkgutil, sys, os
import sqlalchemy
made = []
real = sqlalchemy.create_engine
sqlalchemy.create_engine = lambda *a, **k: made.append(a) or real(*a, **k)
import clinic_tui
names = [m.name for m in pkgutil.walk_packages(clinic_tui.__path__, "clinic_tui.")
         if ".migrations" not in m.name and m.name != "clinic_tui.__main__"]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": len(names), "engines": len(made),
                  "dirs": [p for p in (os.environ["CLINIC_TUI_CONFIG_DIR"], os.environ["CLINIC_TUI_DATA_DIR"])
                           if os.path.exists(p)]}))
"""


def test_importing_every_module_touches_nothing(tmp_path):
    env = {
        "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    result = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["modules"] > 20
    assert report["engines"] == 0 and report["dirs"] == []


def test_the_first_frame_path_does_not_load_the_data_layer_or_pinyin():
    """The app module and its first screen must not pull SQLModel, httpx or pypinyin in (issue 3)."""
    probe = (
        "import sys, clinic_tui.cli, clinic_tui.app; "
        "print(sorted(m for m in ('sqlmodel', 'httpx', 'pypinyin', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_first_resident_search_does_not_wait_for_the_orm(tmp_path):
    """Issue 19: the doctor's first search after sign-in ran behind SQLAlchemy, SQLModel and the
    table models (2 s on the 100k benchmark). Counting and searching residents through the store is
    plain SQLite, and so is what the new visit form reads as it opens: none loads them."""
    import shutil

    from clinic_tui.config import EXAMPLE_DATABASE

    database = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, database)
    probe = (
        "import sys; from clinic_tui.data.store import Store; store = Store(sys.argv[1]); "
        "hits = store.residents.search('z'); total = store.residents.count(); "
        "facts = store.residents.form_facts(hits[0].id); "  # the new visit form's title and checks
        "print(len(hits), total, sorted(m for m in ('sqlmodel', 'sqlalchemy', 'clinic_tui.data.models') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(database)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    found, total, loaded = result.stdout.split(maxsplit=2)
    assert int(found) > 0 and int(total) >= int(found)
    assert loaded.strip() == "[]"


def test_the_screens_a_doctor_opens_first_show_without_the_orm():
    """Issue 19: after the first search the doctor opens a resident's page and a form (a visit, or a
    registration). Their modules import no SQLAlchemy, SQLModel nor table models: the screens show
    at once while the ORM loads in the background (their data is read off the UI thread)."""
    modules = [
        "clinic_tui.screens.dashboard",
        "clinic_tui.screens.residents",
        "clinic_tui.screens.resident_page",
        "clinic_tui.screens.resident_form",
        "clinic_tui.screens.visit_form",
        "clinic_tui.screens.drafts",
    ]
    probe = (
        f"import sys, clinic_tui.app; [__import__(m) for m in {modules!r}]; "
        "print(sorted(m for m in ('sqlmodel', 'sqlalchemy', 'clinic_tui.data.models') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_screen_of_the_first_minute_has_a_stylesheet_of_its_own():
    """Textual parses every stylesheet of the app again when a screen with a CSS_PATH is first
    shown (App._load_screen_css); the screens on the way to the first form keep their styles in
    app.tcss, parsed once at start."""
    probe = (
        "import importlib, json; "
        "from clinic_tui.screens.routes import FORMS, MODE_SCREENS, RECORD_PAGES; "
        "wanted = [MODE_SCREENS['dashboard'], MODE_SCREENS['residents'], RECORD_PAGES['resident'], "
        "FORMS['visit'], FORMS['resident'], ('clinic_tui.screens.login', 'LoginScreen'), "
        "('clinic_tui.screens.drafts', 'DraftsScreen')]; "
        "print(json.dumps({n: bool(getattr(importlib.import_module(m), n).CSS_PATH) for m, n in wanted}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with_stylesheet = [name for name, has in json.loads(result.stdout).items() if has]
    assert with_stylesheet == []
