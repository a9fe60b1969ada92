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


async def steady(pilot) -> None:
    """No blinking cursor, nothing pending: what is on the screen stays there (for snapshots)."""
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
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
