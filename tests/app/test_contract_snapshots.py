"""The contract form at 80x24, in Chinese and in English (pytest-textual-snapshot).

Set up as tests/app/test_snapshots.py: the demo database, "today" pinned to the demo's day and the
clock to China's time zone. Accept a deliberate change with
``pytest tests/app/test_contract_snapshots.py --snapshot-update`` after looking at the pictures.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Input

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings

TODAY = date(2026, 11, 20)  # scripts/generate_demo.py --today default
LANGUAGES = ["zh", "en"]


class _DemoDay(date):
    @classmethod
    def today(cls) -> date:
        return TODAY


@pytest.fixture
def make_app(tmp_path: Path):
    with pytest.MonkeyPatch.context() as patch:
        for module in ("clinic_tui.app", "clinic_tui.screens.dashboard", "clinic_tui.screens.contract_form"):
            patch.setattr(f"{module}.date", _DemoDay)
        patch.setenv("TZ", "Asia/Shanghai")
        time.tzset()

        def make(language: str) -> ClinicApp:
            database = tmp_path / "clinic.db"
            shutil.copyfile(EXAMPLE_DATABASE, database)
            i18n.set_language(language)
            return ClinicApp(Settings(database=database, language=language))

        yield make
    time.tzset()


async def _until(pilot, condition, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"not reached on {pilot.app.screen!r}")


def _elderly_hypertensive_without_contract(engine) -> str:
    """A fixed resident of the demo data, so the form shows derived populations and packages."""
    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import Contract, Resident

    with read_session(engine) as session:
        return session.execute(
            select(Resident.id).where(Resident.id.not_in(select(Contract.resident_id)),
                                      Resident.birth_date < date(1955, 1, 1),
                                      Resident.chronic_conditions.like('%"02"%'))
            .order_by(Resident.name, Resident.id).limit(1)
        ).scalar_one()


async def _at_contract_form(pilot) -> None:
    from clinic_tui.screens.contract_form import ContractFormScreen

    app = pilot.app
    await _until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await _until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.user_name in app.header_text)
    resident_id = _elderly_hypertensive_without_contract(app.store.engine)
    app.push_screen(ContractFormScreen(context={"resident_id": resident_id}))
    await _until(pilot, lambda: isinstance(app.screen, ContractFormScreen)
                 and getattr(app.focused, "id", None) == "field-team")
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("language", LANGUAGES)
def test_contract_form(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_contract_form)
