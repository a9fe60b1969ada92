"""Getting around (issue 14.3): F3 is always the resident search, Enter there opens the resident
highlighted, and a field reached by Tab keeps its text when the first key is typed."""

from __future__ import annotations

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from textual.widgets import DataTable, Input

from clinic_tui.screens.dashboard import DashboardScreen
from clinic_tui.screens.resident_form import ResidentFormScreen
from clinic_tui.screens.resident_page import ResidentScreen
from clinic_tui.screens.residents import ResidentsScreen

KNOWN = "刘凤兰"  # one resident of the demo data


async def _search(app, pilot, text: str) -> ResidentsScreen:
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen) and app.screen.is_mounted)
    await pilot.press(*text)
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_text == text and screen.query_one(DataTable).row_count == 1)
    return screen


async def test_enter_in_the_search_box_opens_the_resident_highlighted(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        search = await _search(app, pilot, KNOWN)
        assert isinstance(app.focused, Input)
        await pilot.press("enter")  # one Enter, straight from the search box
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        assert app.screen.resident_id == search.query_one(DataTable).coordinate_to_cell_key((0, 0)).row_key.value


async def test_f3_opens_the_search_from_a_residents_page_and_from_elsewhere_the_last_search(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        search = await _search(app, pilot, KNOWN)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        await pilot.press("f3")  # from the resident's page
        await wait_for(pilot, lambda: app.screen is search)
        assert app.focused is search.query_one(Input) and search.query_one(Input).value == KNOWN
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentScreen))
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f3")  # from elsewhere: back to the last search, not to the page left there
        await wait_for(pilot, lambda: app.screen is search)
        assert search.query_one(Input).value == KNOWN


async def test_a_field_reached_by_tab_keeps_its_text_and_the_cursor_is_at_its_end(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen) and app.screen.is_mounted)
        form = app.screen.form
        form.input("id_number").value = "51011219800101123"  # as a restored draft puts it back
        form.input("id_type").focus()
        await pilot.pause()
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.focused is form.input("id_number"))
        await pilot.press("5")
        assert form.input("id_number").value == "510112198001011235"
