"""Fixtures of the app tests: the demo's day for snapshots; a real clinic-hub on loopback and an
app configured for it, for the tests that sync.

The hub server is the one of tests/sync/conftest.py (imported, not copied); tests/ is on sys.path
because pytest puts the rootdir conftest's directory there.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from datetime import date

import pytest
from sync.conftest import HubServer

DEMO_DAY = date(2026, 11, 20)  # scripts/generate_demo.py --today default


@pytest.fixture
def demo_day():
    """Today is the demo's day in China's time zone, so screenshots do not change from day to day."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLINIC_TUI_TODAY", DEMO_DAY.isoformat())  # clinic_tui.clock
        patch.setenv("TZ", "Asia/Shanghai")
        time.tzset()
        yield DEMO_DAY
    time.tzset()  # the time zone of the environment again


@pytest.fixture
def make_app(tmp_path, demo_day):
    """make(language, **settings) -> a ClinicApp on a fresh demo copy, as `clinic-tui --lang` builds it."""
    from clinic_tui import i18n
    from clinic_tui.app import ClinicApp
    from clinic_tui.config import EXAMPLE_DATABASE, Settings

    def make(language: str, **settings):
        database = tmp_path / "clinic.db"
        shutil.copyfile(EXAMPLE_DATABASE, database)
        i18n.set_language(language)
        return ClinicApp(replace(Settings(database=database, language=language), **settings))

    return make


@pytest.fixture
def app_hub(tmp_path):
    """A hub of this test alone: every demo copy has the same record ids, which one hub holds once."""
    server = HubServer(tmp_path / "hub.db")
    yield server
    server.stop()


@pytest.fixture
def synced_app(tmp_path):
    """make(hub, **settings) -> a ClinicApp on a demo copy registered on ``hub``, its token in a 0600 file."""
    from sqlmodel import select

    from clinic_tui.app import ClinicApp
    from clinic_tui.config import EXAMPLE_DATABASE, Settings
    from clinic_tui.data.db import read_session
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.models import Clinic

    def make(hub_url: str, hub: HubServer | None = None, **settings) -> ClinicApp:
        database = tmp_path / "clinic.db"
        shutil.copyfile(EXAMPLE_DATABASE, database)
        token = "chub_not_registered"
        if hub is not None:
            # Registered under the demo clinic's own code: the hub takes referral numbers that start
            # with the clinic's code only (issue 16), and the demo's numbers start with it.
            engine = open_database(database).engine
            with read_session(engine) as session:
                code = session.exec(select(Clinic.code)).one()
            engine.dispose()
            _, token = hub.new_clinic(code)
        token_file = tmp_path / "hub-token"
        token_file.write_text(token + "\n", encoding="utf-8")
        os.chmod(token_file, 0o600)
        return ClinicApp(replace(Settings(database=database), hub_url=hub_url, token_file=token_file, **settings))

    return make
