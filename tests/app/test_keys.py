"""One key, one meaning (issue 18): the lab orders' list has an app-wide key (Ctrl+B, B for 标本),
a new lab order is F12 on a resident's page, and Ctrl+T is the referral form's "send" alone (it was
also "lab tests" on a resident's page). Every app-wide key is one a legacy Windows console (conhost)
passes to the app, and F1 lists it in both languages."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections import defaultdict

import pytest
from pilot_helpers import sign_in, wait_for
from textual.binding import Binding
from textual.widgets import DataTable

import clinic_tui.screens
import clinic_tui.widgets
from clinic_tui.app import ClinicApp
from clinic_tui.screens import routes

# What conhost hands to a console app: F1-F10 and F12 (F11 is its full-screen key on Windows 10),
# Ctrl with a letter except those that are control characters of their own (C break, H backspace,
# I tab, J and M enter) and the ones the console keeps.
CONSOLE_SAFE = re.compile(r"f([1-9]|10|12)|ctrl\+[abdefgklnopqrstuvwxyz]")
# Keys that mean one thing in words but several actions: Ctrl+R starts a referral (from the app, for
# a resident, or saving the visit first); Ctrl+Q quits (the dashboard and sign-in repeat the app's).
SAME_MEANING = {
    "ctrl+r": {"new_referral", "new_form('referral')", "save_and_refer"},
    "ctrl+q": {"quit"},
}


def _declared() -> dict[str, set[str]]:
    """Every Ctrl key bound in clinic_tui, to the actions it runs (an ``app.`` action is the app's)."""
    actions: dict[str, set[str]] = defaultdict(set)
    classes = [ClinicApp]
    for package in (clinic_tui.screens, clinic_tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            classes += [c for _n, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            if not isinstance(binding, Binding):
                continue
            for key in binding.key.split(","):
                if key.startswith("ctrl+"):
                    actions[key].add(binding.action.removeprefix("app."))
    return actions


def test_each_ctrl_key_means_one_thing_everywhere():
    declared = _declared()
    mixed = {key: acts for key, acts in declared.items() if len(acts) > 1 and not acts <= SAME_MEANING.get(key, set())}
    assert mixed == {}
    assert declared["ctrl+t"] == {"submit"}  # the referral form's send, nothing else
    assert declared["ctrl+b"] == {"open_mode('lab')"}
    assert declared["ctrl+n"] == {"open_mode('exam')"}  # the examination bookings (test_exam_list.py)


def test_the_apps_own_keys_pass_a_legacy_windows_console_and_are_named():
    for binding in ClinicApp.BINDINGS:
        assert isinstance(binding, Binding) and binding.id and binding.description, binding
        assert CONSOLE_SAFE.fullmatch(binding.key), binding.key


@pytest.mark.parametrize(("language", "row"), [("zh", ("Ctrl+B", "检验单")), ("en", ("Ctrl+B", "Lab orders"))])
async def test_ctrl_b_opens_the_lab_orders_from_anywhere_and_f1_lists_it(make_app, language, row):
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        table = app.screen.query_one(DataTable)
        rows = {tuple(map(str, table.get_row_at(i))) for i in range(table.row_count)}
        assert row in rows and ("Ctrl+O", "远程申请" if language == "zh" else "Remote requests") in rows
        await pilot.press("escape")
        # From a form too: the app's key, like Ctrl+O.
        await app.push_screen(routes.form_class("remote")(record_id=None, context={"resident_id": _resident(app)}))
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LabOrdersScreen" and app.screen.is_mounted)
        assert app.current_mode == "lab"


async def test_f12_orders_lab_tests_on_a_residents_page_and_ctrl_t_there_does_nothing(make_app):
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await app.push_screen(routes.record_page("resident", _resident(app)))
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResidentScreen" and app.screen.is_mounted)
        page = app.screen
        await pilot.press("ctrl+t")
        await pilot.pause(0.3)
        assert app.screen is page
        await pilot.press("f12")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LabFormScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is page)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        table = app.screen.query_one(DataTable)
        rows = {tuple(map(str, table.get_row_at(i))) for i in range(table.row_count)}
        assert ("F12", "检验送检") in rows, rows
        assert not any(key == "Ctrl+T" for key, _d in rows)


def _resident(app) -> str:
    import sqlite3

    with sqlite3.connect(app.settings.database) as db:
        return db.execute("SELECT id FROM resident WHERE deleted = 0 ORDER BY name LIMIT 1").fetchone()[0]
