"""A worker's result that arrives after its screen closed is dropped, not shown on widgets that are
gone (a clean-clone CI run failed on both: the resident page closed by F3 at once, and the
dashboard's lists read while the app was closing)."""

from __future__ import annotations

import contextvars
import sqlite3
import threading

from pilot_helpers import sign_in, wait_for

from clinic_tui.screens import routes
from clinic_tui.widgets.from_worker import show_from_worker, still_shown


async def test_a_result_for_a_closed_page_is_dropped_and_one_for_an_open_page_is_shown(make_app):
    app = make_app("zh")
    shown: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        dashboard = app.screen
        with sqlite3.connect(app.settings.database) as db:
            (resident_id,) = db.execute("SELECT id FROM resident WHERE deleted = 0 LIMIT 1").fetchone()
        page = routes.record_page("resident", resident_id)
        await app.push_screen(page)
        await wait_for(pilot, lambda: page.is_mounted and page.page is not None)
        facts_before = str(page.query_one("#resident-facts").render())
        app.pop_screen()
        await wait_for(pilot, lambda: not still_shown(page))

        def late() -> None:
            # What the page's own worker does when its read ends: the page's _show queries its
            # widgets, which are gone (NoMatches, failing the app, without the check).
            show_from_worker(page, page._show, None, None)
            show_from_worker(dashboard, shown.append, "dashboard")

        # A worker thread runs in a copy of the app's context (Textual's workers do the same).
        worker = threading.Thread(target=contextvars.copy_context().run, args=(late,))
        worker.start()
        while worker.is_alive():
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        assert shown == ["dashboard"]  # the open screen still gets its result
        assert app.screen is dashboard
    assert app.return_code in (None, 0)
    assert facts_before  # the page showed its resident while it was open
