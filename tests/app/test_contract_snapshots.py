"""The contract form at 80x24, in Chinese and in English (pytest-textual-snapshot).

Set up as tests/app/test_snapshots.py: the demo database, "today" pinned to the demo's day and the
clock to China's time zone. Accept a deliberate change with
``pytest tests/app/test_contract_snapshots.py --snapshot-update`` after looking at the pictures.
"""

from __future__ import annotations

from datetime import date

import pytest
from pilot_helpers import LANGUAGES, steady, until
from sqlalchemy import select


def _elderly_hypertensive_without_contract(engine) -> str:
    """A fixed resident of the demo data, so the form shows derived populations and packages."""
    from clinic_tui.data.db import read_session
    from clinic_tui.data.models import Contract, Resident

    with read_session(engine) as session:
        return session.execute(
            select(Resident.id)
            .where(
                Resident.id.not_in(select(Contract.resident_id)),
                Resident.birth_date < date(1955, 1, 1),
                Resident.chronic_conditions.like('%"02"%'),
            )
            .order_by(Resident.name, Resident.id)
            .limit(1)
        ).scalar_one()


async def _at_contract_form(pilot) -> None:
    from clinic_tui.screens.contract_form import ContractFormScreen

    app = pilot.app
    await until(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    await pilot.press("enter", *"1234", "enter")
    await until(pilot, lambda: type(app.screen).__name__ == "DashboardScreen" and app.user_name in app.header_text)
    resident_id = _elderly_hypertensive_without_contract(app.store.engine)
    app.push_screen(ContractFormScreen(context={"resident_id": resident_id}))
    await until(
        pilot, lambda: isinstance(app.screen, ContractFormScreen) and getattr(app.focused, "id", None) == "field-team"
    )
    await steady(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
def test_contract_form(snap_compare, make_app, language):
    assert snap_compare(make_app(language), run_before=_at_contract_form)
