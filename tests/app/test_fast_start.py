"""An ordinary start (quit cleanly last time, nothing to upgrade, backed up today) opens the
database with plain SQLite and draws the dashboard before SQLAlchemy is loaded."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pilot_helpers import login_shown, sign_in, wait_for

from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.sqlite_file import DatabaseError
from clinic_tui.data.startup import CLEAN_EXIT_KEY, clear_clean_exit, mark_clean_exit, open_as_is, prepare_database
from clinic_tui.screens.residents import ResidentsScreen


def _quit_cleanly_before(tmp_path: Path) -> Settings:
    """A copy of the demo database as a clinic has it after a normal day: prepared, quit cleanly."""
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    settings = Settings(database=db)
    prepare_database(settings, app_session=True).engine.dispose()
    mark_clean_exit(db)
    return settings


def _execute(db: Path, sql: str, *params) -> None:
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(sql, params)
    connection.close()


def _marker_present(db: Path) -> bool:
    connection = sqlite3.connect(db)
    try:
        return connection.execute("SELECT 1 FROM app_setting WHERE key = ?", (CLEAN_EXIT_KEY,)).fetchone() is not None
    finally:
        connection.close()


def test_an_ordinary_start_takes_the_database_as_it_is_and_clears_the_clean_exit_marker(tmp_path: Path):
    settings = _quit_cleanly_before(tmp_path)
    assert open_as_is(settings) == settings.database
    assert not _marker_present(settings.database)  # a crash from now on gets the full check next time
    assert open_as_is(settings) is None  # that session has not ended cleanly


def test_the_quick_path_can_leave_the_marker_to_the_app(tmp_path: Path):
    """The app clears the marker itself once the login screen is up: the checks write nothing."""
    settings = _quit_cleanly_before(tmp_path)
    assert open_as_is(settings, clear_marker=False) == settings.database
    assert _marker_present(settings.database)
    clear_clean_exit(settings.database)
    assert not _marker_present(settings.database)
    assert open_as_is(settings) is None  # as after a session that has not ended cleanly


async def test_an_ordinary_start_clears_the_marker_while_the_login_screen_is_shown(tmp_path: Path, monkeypatch):
    """Not on the way to the dashboard (its fsyncs wait on the disk), but before anyone signs in."""
    cleared_with: list[str] = []
    real_clear = clear_clean_exit

    def clear(path: Path) -> None:
        cleared_with.append(type(app.screen).__name__)
        real_clear(path)

    monkeypatch.setattr("clinic_tui.data.startup.clear_clean_exit", clear)
    settings = _quit_cleanly_before(tmp_path)
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: login_shown(app))
        await wait_for(pilot, lambda: app.marker_cleared.is_set())
        assert cleared_with == ["LoginScreen"]
        assert not _marker_present(settings.database)  # a crash from now on gets the full check next time
        await sign_in(app, pilot)
    assert cleared_with == ["LoginScreen"]


async def test_a_marker_that_cannot_be_cleared_warns_and_the_session_goes_on(tmp_path: Path, monkeypatch):
    """Another program holding the file past the busy timeout does not stop the doctor's day: the
    app says what it could not note and what to do after a crash, and signing in works."""

    def locked(path: Path) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr("clinic_tui.data.startup.clear_clean_exit", locked)
    settings = _quit_cleanly_before(tmp_path)
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.marker_cleared.is_set())
        await wait_for(pilot, lambda: bool(app._notifications))
        (warning,) = list(app._notifications)
        assert warning.severity == "warning"
        assert "database is locked" in warning.message and "clinic-tui db check" in warning.message
        await sign_in(app, pilot)
        assert type(app.screen).__name__ == "DashboardScreen"


def test_a_clean_exit_is_marked_after_the_session_cleared_the_marker(tmp_path: Path, monkeypatch):
    """run_app waits for the session's clearing before it marks the clean exit, never the reverse."""
    import threading

    from clinic_tui import app as app_module

    settings = _quit_cleanly_before(tmp_path)
    order: list[str] = []
    may_clear = threading.Event()
    real_clear = clear_clean_exit

    def slow_clear(path: Path) -> None:
        may_clear.wait(5)  # still clearing when the app has quit
        order.append("cleared")
        real_clear(path)

    def run(self, *args, **kwargs):  # the doctor quits as soon as the database is open
        async def quit_at_once(pilot) -> None:
            await wait_for(pilot, lambda: self.store is not None)
            self.exit()
            threading.Timer(0.2, may_clear.set).start()

        return app_module.App.run(self, headless=True, size=(80, 24), auto_pilot=quit_at_once)

    from clinic_tui.data import startup  # run_app imports it where it is used: patched at its source

    real_mark_clean_exit = startup.mark_clean_exit
    monkeypatch.setattr(startup, "clear_clean_exit", slow_clear)
    monkeypatch.setattr(startup, "mark_clean_exit", lambda path: (order.append("marked"), real_mark_clean_exit(path)))
    monkeypatch.setattr(ClinicApp, "run", run)
    assert app_module.run_app(settings) == 0
    assert order == ["cleared", "marked"]
    assert _marker_present(settings.database)


@pytest.mark.parametrize(
    "change", ["crash", "no backup today", "older schema", "changed catalogue", "older name keys", "new file"]
)
def test_a_start_with_something_to_do_is_left_to_prepare_database(tmp_path: Path, change: str):
    settings = _quit_cleanly_before(tmp_path)
    db = settings.database
    if change == "crash":
        _execute(db, "DELETE FROM app_setting WHERE key = ?", CLEAN_EXIT_KEY)
    elif change == "no backup today":
        for backup in settings.backup_dir().glob("clinic-*.db"):
            backup.unlink()
    elif change == "older schema":
        _execute(db, "UPDATE alembic_version SET version_num = '0005'")
    elif change == "changed catalogue":
        _execute(db, "UPDATE app_setting SET value = 'other' WHERE key = 'builtin_diagnoses'")
    elif change == "older name keys":
        _execute(db, "DELETE FROM app_setting WHERE key = 'name_keys_version'")
    else:
        settings = Settings(database=tmp_path / "new.db")
    assert open_as_is(settings) is None
    if change != "new file":
        assert _marker_present(db) == (change != "crash")  # left for prepare_database to judge


def test_a_locked_database_is_explained_on_the_quick_path_too(tmp_path: Path):
    settings = _quit_cleanly_before(tmp_path)
    holder = sqlite3.connect(settings.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseError) as raised:
            open_as_is(settings)
        assert raised.value.kind == "locked"
    finally:
        holder.close()
    assert _marker_present(settings.database)


async def test_after_a_quick_start_the_dashboard_search_and_drafts_work_as_after_a_full_one(tmp_path: Path):
    settings = _quit_cleanly_before(tmp_path)
    full = ClinicApp(Settings(database=tmp_path / "full.db"))
    shutil.copyfile(settings.database, tmp_path / "full.db")
    _execute(tmp_path / "full.db", "DELETE FROM app_setting WHERE key = ?", CLEAN_EXIT_KEY)  # checked, prepared
    counts = []
    for app in (ClinicApp(settings), full):
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(app, pilot)
            dashboard = app.screen
            await wait_for(pilot, lambda: dashboard.data is not None)
            counts.append({key: len(items) for key, items in vars(dashboard.data).items()})
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
            await pilot.press("w", "j")
            await wait_for(pilot, lambda: app.screen.query_one("#results").row_count > 0)
            await pilot.press("ctrl+q")
    assert counts[0] == counts[1] and sum(counts[0].values()) > 0
    assert not _marker_present(settings.database)  # run_app, not run_test, marks a clean exit


PROBE = """
import sys, time
from textual.app import App
import clinic_tui.app
from clinic_tui.cli import main
from clinic_tui.screens.dashboard import DashboardScreen

clinic_tui.app.WARM_UP_WHEN_IDLE_SECONDS = 600  # no pause long enough here: only the search starts it

seen = {}
real_show = DashboardScreen._show

def show(screen, data):  # the dashboard's data arrives: is SQLAlchemy loaded at that moment?
    seen.setdefault("sqlalchemy at the dashboard", "sqlalchemy" in sys.modules)
    real_show(screen, data)

DashboardScreen._show = show

from clinic_tui.screens.residents import ResidentsScreen

real_results = ResidentsScreen._show

def results(screen, hits, query=None):  # the first search's results arrive: is SQLAlchemy loaded?
    if hits:
        seen.setdefault("sqlalchemy at the first search", "sqlalchemy" in sys.modules)
    real_results(screen, hits, query)

ResidentsScreen._show = results

async def drive(pilot):
    app = pilot.app
    while type(app.screen).__name__ != "LoginScreen" or not app.screen.is_mounted:
        await pilot.pause(0.01)
    await pilot.press("down", "enter")  # the second member of staff has no PIN
    while "sqlalchemy at the dashboard" not in seen:
        await pilot.pause(0.01)
    if type(app.screen).__name__ == "DraftsScreen":  # the demo's unsaved forms offered back: later
        await pilot.press("escape")
    await pilot.press("f3")
    while type(app.screen).__name__ != "ResidentsScreen" or not app.screen.is_mounted:
        await pilot.pause(0.01)
    await pilot.press("w", "j")  # the resident search is plain SQLite too
    while not app.screen.query_one("#results").row_count:
        await pilot.pause(0.01)
    deadline = time.monotonic() + 60  # then it loads, in the background, for the forms
    while "clinic_tui.data.models" not in sys.modules and time.monotonic() < deadline:
        await pilot.pause(0.05)
    seen["the models afterwards"] = "clinic_tui.data.models" in sys.modules
    app.exit()

real_run = App.run
App.run = lambda self, *a, **k: real_run(self, headless=True, size=(80, 24), auto_pilot=drive)
main(["--db", sys.argv[1]])
print(seen)
"""


def test_the_dashboard_and_the_first_search_of_an_ordinary_start_come_before_sqlalchemy_loads(tmp_path: Path):
    """Issue 19: neither waits for SQLAlchemy and the table models, nor shares the core with their
    load; that starts once the first search's results are on the screen."""
    settings = _quit_cleanly_before(tmp_path)
    env = {
        "CLINIC_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "CLINIC_TUI_DATA_DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(settings.database)], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert (
        run.stdout.strip().splitlines()[-1]
        == "{'sqlalchemy at the dashboard': False, 'sqlalchemy at the first search': False, "
        "'the models afterwards': True}"
    )
    assert _marker_present(settings.database)  # quit normally: the next start is quick again


def _count_warm_ups(monkeypatch) -> list[str]:
    from clinic_tui.data.store import Store

    calls: list[str] = []
    real = Store.warm_up
    monkeypatch.setattr(Store, "warm_up", lambda store: (calls.append("warm_up"), real(store))[1])
    return calls


async def test_the_orm_loads_once_the_first_search_is_shown_not_while_the_doctor_types(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("clinic_tui.app.WARM_UP_WHEN_IDLE_SECONDS", 600)
    calls = _count_warm_ups(monkeypatch)
    app = ClinicApp(_quit_cleanly_before(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        dashboard = app.screen
        await wait_for(pilot, lambda: dashboard.data is not None)
        await pilot.pause(0.3)
        assert calls == []  # the dashboard is up, the keys have not paused long enough
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
        assert calls == []
        await pilot.press("w", "j")
        await wait_for(pilot, lambda: app.screen.query_one("#results").row_count > 0)
        await wait_for(pilot, lambda: calls == ["warm_up"])
        await pilot.press("backspace", "z")  # more searches: it is loaded once
        await pilot.pause(0.2)
        assert calls == ["warm_up"]


async def test_the_orm_loads_when_the_keys_pause_after_the_dashboard(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("clinic_tui.app.WARM_UP_WHEN_IDLE_SECONDS", 0.2)
    calls = _count_warm_ups(monkeypatch)
    app = ClinicApp(_quit_cleanly_before(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await wait_for(pilot, lambda: calls == ["warm_up"])


async def test_a_form_opened_at_once_starts_the_orm_load(tmp_path: Path, monkeypatch):
    """F4 right after the dashboard: the registration form shows without the ORM and starts its load."""
    from clinic_tui.screens.resident_form import ResidentFormScreen

    monkeypatch.setattr("clinic_tui.app.WARM_UP_WHEN_IDLE_SECONDS", 600)
    calls = _count_warm_ups(monkeypatch)
    app = ClinicApp(_quit_cleanly_before(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentFormScreen))
        await wait_for(pilot, lambda: calls == ["warm_up"])


async def test_the_way_to_the_first_search_parses_no_stylesheet_again(tmp_path: Path, monkeypatch):
    """Textual re-parses every stylesheet of the app (and restyles every widget) when a screen with
    its own CSS_PATH first shows, and, twice, when a mode's new screen first shows
    (app._mode_screen): neither on the way from the sign-in to the first search's results."""
    from textual.css.stylesheet import Stylesheet

    app = ClinicApp(_quit_cleanly_before(tmp_path))
    reparsed: list[str] = []
    real = Stylesheet.reparse
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
        monkeypatch.setattr(
            Stylesheet, "reparse", lambda sheet: (reparsed.append(type(app.screen).__name__), real(sheet))
        )
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
        await pilot.press("w", "j")
        await wait_for(pilot, lambda: app.screen.query_one("#results").row_count > 0)
        await pilot.press("enter")  # the resident's page
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResidentScreen")
        await pilot.press("f7")  # a new visit
        await wait_for(pilot, lambda: type(app.screen).__name__ == "VisitFormScreen")
        await pilot.pause()
        await pilot.press("f2")  # a mode opened before, styled already
        await wait_for(pilot, lambda: app.screen is not None and type(app.screen).__name__ != "VisitFormScreen")
    assert reparsed == []


def test_names_read_differently_by_this_version_get_their_keys_made_again(tmp_path: Path):
    """A transliterated name keyed by an older version (阿不都 as "abudou") is found as "abudu" after
    the next start, and names this version reads as before are not touched."""
    settings = _quit_cleanly_before(tmp_path)
    db = settings.database
    connection = sqlite3.connect(db)
    (resident_id,) = connection.execute("SELECT id FROM resident WHERE instr(name, '·') = 0 LIMIT 1").fetchone()
    connection.close()
    _execute(
        db,
        "UPDATE resident SET name = '阿不都·热合曼', name_pinyin = 'abudoureheman', name_initials = 'abdrhm' "
        "WHERE id = ?",
        resident_id,
    )
    _execute(db, "UPDATE app_setting SET value = '1' WHERE key = 'name_keys_version'")
    assert open_as_is(settings) is None
    prepare_database(settings, app_session=True).engine.dispose()
    connection = sqlite3.connect(db)
    keys = connection.execute("SELECT name_pinyin, name_initials FROM resident WHERE id = ?", (resident_id,)).fetchone()
    others = connection.execute(
        "SELECT count(*) FROM resident WHERE instr(name, '·') = 0 AND name_pinyin IS NULL"
    ).fetchone()[0]
    connection.close()
    assert keys == ("abudureheman", "abdrhm") and others == 0
    mark_clean_exit(db)
    assert open_as_is(settings) == db  # the next ordinary start is quick again


async def test_the_footers_keys_are_styled_once_not_again_for_their_compact_style(tmp_path: Path, monkeypatch):
    """Textual's footer keys take the compact style through a data binding after they mount, each
    then restyled alone (widgets/footer.py): ours are made compact, so none is restyled on the way
    from the sign-in to the first search, and they still show in the compact style."""
    from textual.dom import DOMNode
    from textual.widgets._footer import FooterKey

    restyled: list[str] = []
    real = DOMNode.update_node_styles

    def update_node_styles(node, *args, **kwargs):
        if isinstance(node, FooterKey):
            restyled.append(node.key)
        return real(node, *args, **kwargs)

    monkeypatch.setattr(DOMNode, "update_node_styles", update_node_styles)
    app = ClinicApp(_quit_cleanly_before(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen))
        await pilot.press("w", "j")
        await wait_for(pilot, lambda: app.screen.query_one("#results").row_count > 0)
        keys = list(app.screen.query(FooterKey))
        assert keys and all(key.compact and key.has_class("-compact") for key in keys)
    assert restyled == []


async def test_results_of_a_query_typed_over_are_not_painted(tmp_path: Path):
    """The results of "w", arriving after "wj" was typed, are dropped: the list shows only what
    answers the box, and the search for "wj" fills it."""
    import threading

    from textual import events

    app = ClinicApp(_quit_cleanly_before(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await wait_for(pilot, lambda: app.screen.data is not None)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ResidentsScreen) and app.focused is not None)
        screen = app.screen
        await wait_for(pilot, lambda: screen.shown_query == "")
        residents = app.opened_store.residents
        real_search = residents.search
        searching_w, second_typed, w_answered = threading.Event(), threading.Event(), threading.Event()

        def search(query, **kwargs):
            if query == "w":  # still searching when "j" arrives
                searching_w.set()
                second_typed.wait(5)
                try:
                    return real_search(query, **kwargs)
                finally:
                    w_answered.set()
            return real_search(query, **kwargs)

        residents.search = search
        shown: list[tuple[str | None, str | None]] = []
        real_show = screen._show

        def show(hits, query=None):
            real_show(hits, query)
            shown.append((query, screen.shown_query))

        screen._show = show

        def type_key(key: str) -> None:  # as a terminal sends it
            event = events.Key(key, key)
            event.set_sender(app)
            app._driver.send_message(event)

        type_key("w")
        await wait_for(pilot, searching_w.is_set)
        type_key("j")
        await wait_for(pilot, lambda: screen.query_text == "wj")
        second_typed.set()
        await wait_for(pilot, lambda: w_answered.is_set() and shown == [("wj", "wj")])
        await pilot.pause(0.3)  # time for the answer to "w" to reach the screen, were it let through
        assert shown == [("wj", "wj")]  # "w"'s was never handed to the list
        assert screen.shown_query == "wj" and screen.query_one("#results").row_count > 0


def test_a_compact_typing_input_is_compact_without_styling_it_before_it_mounts(monkeypatch):
    """Each field of a form is a compact TypingInput: made compact without the early restyle that
    Input's own compact setting does in __init__ (widgets/form.py)."""
    from textual.dom import DOMNode

    from clinic_tui.widgets.form import TypingInput

    restyled: list[DOMNode] = []
    monkeypatch.setattr(DOMNode, "update_node_styles", lambda node, *a, **k: restyled.append(node))
    field = TypingInput(compact=True)
    assert field.compact and field.has_class("-textual-compact")
    plain = TypingInput()
    assert not plain.compact and not plain.has_class("-textual-compact")
    assert restyled == []
