"""Fixtures of the app tests that sync: a real clinic-hub on loopback and an app configured for it.

The hub server is the one of tests/sync/conftest.py (imported, not copied); tests/ is on sys.path
because pytest puts the rootdir conftest's directory there.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import pytest
from sync.conftest import HubServer


@pytest.fixture
def app_hub(tmp_path):
    """A hub of this test alone: every demo copy has the same record ids, which one hub holds once."""
    server = HubServer(tmp_path / "hub.db")
    yield server
    server.stop()


@pytest.fixture
def synced_app(tmp_path):
    """make(hub, **settings) -> a ClinicApp on a demo copy registered on ``hub``, its token in a 0600 file."""
    from sqlalchemy import update

    from clinic_tui.app import ClinicApp
    from clinic_tui.config import EXAMPLE_DATABASE, Settings
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.models import Clinic

    def make(hub_url: str, hub: HubServer | None = None, **settings) -> ClinicApp:
        database = tmp_path / "clinic.db"
        shutil.copyfile(EXAMPLE_DATABASE, database)
        token = "chub_not_registered"
        if hub is not None:
            code, token = hub.new_clinic()
            engine = open_database(database).engine
            with unit_of_work(engine) as session:
                session.execute(update(Clinic).values(code=code))
            engine.dispose()
        token_file = tmp_path / "hub-token"
        token_file.write_text(token + "\n", encoding="utf-8")
        os.chmod(token_file, 0o600)
        return ClinicApp(replace(Settings(database=database), hub_url=hub_url, token_file=token_file, **settings))

    return make
