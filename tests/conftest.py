"""Fixtures shared by the whole suite: every test gets its own config and data directories."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from clinic_tui import i18n


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point config and data directories at tmp_path so no test touches the user's files."""
    for variable in ("CLINIC_TUI_DB", "CLINIC_TUI_LANG", "CLINIC_TUI_HUB_URL", "CLINIC_TUI_TOKEN_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CLINIC_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CLINIC_TUI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(autouse=True)
def chinese_by_default():
    """Each test starts in the default language and cannot leak another into the next test."""
    i18n.set_language(i18n.DEFAULT_LANGUAGE)
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated to head once per session; tests get copies (migrating takes ~0.3 s)."""
    from clinic_tui.data.maintenance import checkpoint
    from clinic_tui.data.migrate import open_database

    path = tmp_path_factory.mktemp("template") / "template.db"
    open_database(path).engine.dispose()
    checkpoint(path)
    return path


@pytest.fixture
def engine(tmp_path: Path, migrated_template: Path):
    """A fresh database at the current schema."""
    from clinic_tui.data.migrate import open_database

    path = tmp_path / "clinic.db"
    shutil.copyfile(migrated_template, path)
    opened = open_database(path)
    yield opened.engine
    opened.engine.dispose()


@pytest.fixture
def clinic(engine):
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Clinic

    with unit_of_work(engine) as session:
        row = Clinic(code="510112001", name="龙泉村卫生室", level="village")
        session.add(row)
    return row


@pytest.fixture
def doctor(engine, clinic):
    from clinic_tui.data import records
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.models import Staff

    with unit_of_work(engine) as session:
        return records.create(session, Staff(clinic_id=clinic.id, name="李医生", role="village_doctor"), None)


@pytest.fixture
def today() -> date:
    return date(2026, 11, 23)
