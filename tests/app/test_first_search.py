"""The way from the dashboard to the first search's results (issue 19): what the residents screen
and the footer do on it, and what they no longer do twice."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from clinic_tui.data.features import Residents
from clinic_tui.screens.residents import ResidentsScreen
from clinic_tui.widgets.footer import ClinicFooter


def _status(app) -> str:
    return str(app.screen.query_one("#status", Static).render())


def _keys(footer: ClinicFooter) -> list[str]:
    return [key.description for key in footer.query(FooterKey)]


def _shown(screen) -> list[str]:
    """The keys a footer made now would show (Footer.compose: the shown bindings, the palette's last)."""
    active = screen.active_bindings
    keys = [binding.description for (_node, binding, _enabled, _tip) in active.values() if binding.show]
    return keys + [active[screen.app.COMMAND_PALETTE_BINDING].binding.description]


def _count_calls(monkeypatch) -> list[int | None]:
    answers: list[int | None] = []
    real = Residents.count

    def count(self, **kwargs):
        answers.append(real(self, **kwargs))
        return answers[-1]

    monkeypatch.setattr(Residents, "count", count)
    return answers


async def _open_search(app, pilot) -> ResidentsScreen:
    await sign_in(app, pilot)
    await wait_for(pilot, lambda: app.screen.data is not None)
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen) and app.screen.is_mounted)
    return app.screen


async def test_the_residents_are_counted_once_when_the_search_opens_and_again_when_the_box_is_emptied(
    tmp_path: Path, monkeypatch
):
    """The count reads the whole table: the first open counted it twice (on mount and for the
    empty box's answer)."""
    answers = _count_calls(monkeypatch)
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_search(app, pilot)
        await wait_for(pilot, lambda: "400" in _status(app))
        await pilot.pause(0.2)
        assert answers == [400]
        await pilot.press("w", "j")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0 and "结果" in _status(app))
        await pilot.press("backspace", "backspace")
        await wait_for(pilot, lambda: "400" in _status(app) and table.row_count == 0)
        assert answers == [400, 400]


async def test_a_count_under_way_stops_when_a_query_is_typed_and_the_results_line_stays(tmp_path: Path, monkeypatch):
    """The doctor types before the count is done (a large file, a slow disk): the count stops, the
    search's results and their line are shown, and no count is written over them."""
    asked: list[str] = []
    stopped = threading.Event()

    def slow_count(self, *, stop=None):
        asked.append("count")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a read of a large table, which asks stop() as it goes
            if stop is not None and stop():
                stopped.set()
                return None
            time.sleep(0.01)
        return 123456  # never stopped: the test fails below

    monkeypatch.setattr(Residents, "count", slow_count)
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_search(app, pilot)
        await wait_for(pilot, lambda: asked == ["count"])
        await pilot.press("w", "j")
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0 and "结果" in _status(app))
        await wait_for(pilot, stopped.is_set)
        await pilot.pause(0.2)
        assert "结果" in _status(app) and "123456" not in _status(app)


def test_the_count_reads_the_table_and_stops_when_asked(tmp_path: Path):
    """Residents.count in plain SQLite: the number of residents not deleted, or None once ``stop``
    answers true (asked while SQLite reads, every few thousand of its steps)."""
    import sqlite3

    db = tmp_path / "count.db"
    connection = sqlite3.connect(db)
    connection.execute("CREATE TABLE resident (id INTEGER PRIMARY KEY, deleted INTEGER NOT NULL)")
    connection.executemany("INSERT INTO resident (deleted) VALUES (?)", [(int(i % 10 == 0),) for i in range(50_000)])
    connection.commit()
    connection.close()

    class Store:
        path = db

    residents = Residents(Store())  # type: ignore[arg-type]
    asked: list[bool] = []
    assert residents.count() == 45_000
    assert residents.count(stop=lambda: asked.append(False) or False) == 45_000
    assert asked  # asked while reading, and told to go on
    assert residents.count(stop=lambda: True) is None


class _KeysScreen(Screen):
    BINDINGS = [
        Binding("f5", "always", "Always", id="test.always"),
        Binding("f6", "sometimes", "Sometimes", id="test.sometimes"),
    ]
    offered = False

    def compose(self) -> ComposeResult:
        yield Static("keys")
        yield ClinicFooter()

    def check_action(self, action: str, parameters) -> bool | None:
        return self.offered if action == "sometimes" else True

    def action_always(self) -> None:
        pass

    def action_sometimes(self) -> None:
        pass


async def test_the_footer_is_made_again_only_when_its_keys_change(monkeypatch):
    recomposed: list[str] = []
    real = ClinicFooter.recompose

    async def recompose(footer):
        recomposed.append("recompose")
        await real(footer)

    monkeypatch.setattr(ClinicFooter, "recompose", recompose)

    class KeysApp(App):
        def on_mount(self) -> None:
            self.push_screen(_KeysScreen())

    app = KeysApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        footer = screen.query_one(ClinicFooter)
        await wait_for(pilot, lambda: "Always" in _keys(footer))
        await pilot.pause()
        assert recomposed == ["recompose"] and "Sometimes" not in _keys(footer)  # the keys, once
        for _ in range(3):  # the bindings refreshed, the same keys: nothing made again
            screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert recomposed == ["recompose"]
        screen.offered = True  # now the key is offered: three refreshes, one recompose
        for _ in range(3):
            screen.refresh_bindings()
        await wait_for(pilot, lambda: "Sometimes" in _keys(footer))
        await pilot.pause()
        assert recomposed == ["recompose"] * 2 and _keys(footer) == ["Always", "Sometimes", "palette"]
        screen.offered = False
        screen.refresh_bindings()
        await wait_for(pilot, lambda: "Sometimes" not in _keys(footer))
        assert footer.query(FooterKey).first().has_class("-compact")


async def test_on_the_way_to_the_first_results_the_search_is_styled_and_its_footer_made_once(
    tmp_path: Path, monkeypatch
):
    """A mode's new screen is resumed twice (Textual's switch_mode): the second resume neither
    restyles the screen again nor makes its footer again. A later return restyles it as before."""
    from textual.dom import DOMNode

    restyled: list[str] = []
    real_styles = DOMNode.update_node_styles

    def update_node_styles(node, *args, **kwargs):
        if isinstance(node, ResidentsScreen):
            restyled.append("screen")
        return real_styles(node, *args, **kwargs)

    recomposed: list[str] = []
    real_recompose = ClinicFooter.recompose

    async def recompose(footer):
        if isinstance(footer.screen, ResidentsScreen):
            recomposed.append("footer")
        await real_recompose(footer)

    monkeypatch.setattr(DOMNode, "update_node_styles", update_node_styles)
    monkeypatch.setattr(ClinicFooter, "recompose", recompose)
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        search = await _open_search(app, pilot)
        await pilot.press("w", "j")
        table = search.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        await pilot.pause(0.2)
        assert restyled == ["screen"] and recomposed == ["footer"]
        footer = search.query_one(ClinicFooter)
        shown = _shown(search)
        assert _keys(footer) == shown and "查找" in shown
        await pilot.press("f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen is search)
        await pilot.pause(0.2)
        assert restyled == ["screen", "screen"]  # back from another mode: restyled, as ever
        assert _keys(footer) == shown


async def _sign_in_with_drafts(app, pilot):
    """王秀英 (no PIN) signs in; the demo holds a visit she was typing: her drafts are offered over
    the dashboard. Returns the dashboard, once it has read its lists and settled."""
    from pilot_helpers import login_shown
    from textual.widgets import OptionList

    from clinic_tui.screens.dashboard import DashboardScreen
    from clinic_tui.screens.drafts import DraftsScreen

    await wait_for(pilot, lambda: login_shown(app))
    names = [str(o.prompt) for o in app.screen.query_one(OptionList).options]
    await pilot.press(*["down"] * next(i for i, n in enumerate(names) if "王秀英" in n), "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, DraftsScreen) and app.screen.is_mounted)
    dashboard = next(s for s in app.screen_stack if isinstance(s, DashboardScreen))
    await wait_for(pilot, lambda: dashboard.data is not None)
    await pilot.pause(0.2)
    return dashboard


def _count_dashboard_reads(monkeypatch) -> list[str]:
    from clinic_tui.data.store import Store

    reads: list[str] = []
    real = Store.dashboard
    monkeypatch.setattr(Store, "dashboard", lambda store, today: (reads.append("read"), real(store, today))[1])
    return reads


async def test_back_from_the_drafts_offered_the_dashboard_keeps_the_lists_it_has_just_read(tmp_path: Path, monkeypatch):
    """Esc on the unsaved forms offered after the sign-in changes no record: the dashboard shows
    the lists read as it opened, without reading them again while the doctor goes to the search."""
    reads = _count_dashboard_reads(monkeypatch)
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        dashboard = await _sign_in_with_drafts(app, pilot)
        read_at_sign_in = len(reads)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is dashboard)
        await pilot.pause(0.3)
        assert len(reads) == read_at_sign_in
        assert dashboard.query_one("#sections").option_count == 5
        await pilot.press("f5")  # asked for: read again
        await wait_for(pilot, lambda: len(reads) == read_at_sign_in + 1)


async def test_back_from_a_draft_continued_the_dashboard_reads_its_lists_again(tmp_path: Path, monkeypatch):
    """A draft continued opens its form over the dashboard: when that form closes (saved, say),
    the dashboard reads its lists again, as after any form."""
    from clinic_tui.screens.form_base import FormScreen

    reads = _count_dashboard_reads(monkeypatch)
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        dashboard = await _sign_in_with_drafts(app, pilot)
        await pilot.press("enter")  # continue the visit
        await wait_for(pilot, lambda: isinstance(app.screen, FormScreen) and app.screen.is_mounted)
        read_before = len(reads)
        await app.screen.dismiss(None)  # the form closes, as after its save
        await wait_for(pilot, lambda: app.screen is dashboard)
        await wait_for(pilot, lambda: len(reads) == read_before + 1)
