"""Driving the app with Pilot: wait for a condition, sign in."""

from __future__ import annotations


async def wait_for(pilot, condition, tries: int = 200) -> None:
    """Poll ``condition`` every 50 ms (10 s at most) while the app runs its workers."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def login_shown(app) -> bool:
    """The sign-in screen is up and takes keys.

    ``app.screen`` is the new screen as soon as it is pushed, before its widgets exist: a query
    or a key sent then finds no staff list (NoMatches, or a key lost) when the CPU is busy.
    """
    from clinic_tui.screens.login import LoginScreen

    return isinstance(app.screen, LoginScreen) and app.screen.is_mounted


async def sign_in(app, pilot) -> None:
    """Log in as 李建国 (first in the list, PIN 1234) and wait for the dashboard."""
    from clinic_tui.screens.dashboard import DashboardScreen

    await wait_for(pilot, lambda: login_shown(app))
    await pilot.press("enter", "1", "2", "3", "4", "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


def app_on_demo_copy(tmp_path):
    """A ClinicApp on a fresh copy of local.db.example in ``tmp_path``."""
    import shutil

    from clinic_tui.app import ClinicApp
    from clinic_tui.config import EXAMPLE_DATABASE, Settings

    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    return ClinicApp(Settings(database=db))


def draft_data(app, form) -> dict:
    """What the form's draft holds now ({} when there is none)."""
    draft = app.drafts.get(form.draft_id)
    return draft.data if draft else {}


def columns_fit(table) -> bool:
    """Every column of a DataTable as wide as its widest cell. The table widens its columns when it
    is idle after the rows are added, so a picture taken on the refresh in between has every cell
    cut to its header's width (CI met it on the examination bookings list)."""
    from rich.cells import cell_len
    from rich.text import Text

    def width(cell) -> int:
        # As the table renders a cell: a string as markup, a Text as it is, anything else as str.
        text = Text.from_markup(cell) if isinstance(cell, str) else cell if isinstance(cell, Text) else Text(str(cell))
        return max(cell_len(line) for line in text.plain.split("\n"))

    for index, column in enumerate(table.ordered_columns):
        cells = (table.get_row_at(row)[index] for row in range(table.row_count))
        if column.content_width < max(map(width, cells), default=0):
            return False
    return True


def _tables_shown(app):
    """The DataTables in the picture: the screen's, and those of the screens a modal one shows over."""
    from textual.screen import ModalScreen

    for screen in reversed(app.screen_stack):
        yield from screen.query("DataTable")
        if not isinstance(screen, ModalScreen):
            break


async def steady(pilot) -> None:
    """No blinking cursor, every table's columns widened to their cells, nothing pending: what is on
    the screen stays there (for snapshots)."""
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await until(pilot, lambda: all(columns_fit(table) for table in _tables_shown(pilot.app)))
    await pilot.pause()


LANGUAGES = ["zh", "en"]  # every snapshot is taken in both


async def until(pilot, condition, timeout: float = 10.0) -> None:
    """Poll ``condition`` every 20 ms; fail naming the screen the app got stuck on."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"not reached on {pilot.app.screen!r}")


def screen_is(app, name: str) -> bool:
    return type(app.screen).__name__ == name
