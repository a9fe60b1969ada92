"""Every screen's footer fits 80 columns, in Chinese and in English (issue 14, item 14: "Ctrl+R▏").

Textual's Footer scrolls what does not fit out of sight: a key cut there is a key the doctor never
learns. Keys left out of a footer are in F1's list and the command palette.
"""

from __future__ import annotations

import sqlite3

import pytest
from pilot_helpers import sign_in, wait_for
from textual.widgets import Footer

from clinic_tui.screens import routes


def _overflow(app) -> tuple[int, int, list[str]]:
    footer = app.screen.query_one(Footer)
    keys = [f"{key.key_display or key.key} {key.description}" for key in footer.query("FooterKey")]
    return footer.virtual_size.width, footer.size.width, keys


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_every_screens_footer_fits_80_columns(make_app, language):
    app = make_app(language)
    with sqlite3.connect(app.settings.database) as db:
        ids = {
            kind: db.execute(f"SELECT id FROM {kind} WHERE deleted = 0 LIMIT 1").fetchone()[0]
            for kind in ("resident", "referral", "contract")
        }
    cut = []

    async def check(name: str) -> None:
        # The footer lays out its keys once the screen has mounted (a page loads its record first).
        await wait_for(pilot, lambda: bool(app.screen.query(Footer)) and bool(_overflow(app)[2]))
        await pilot.pause(0.2)
        # A footer recomposes its keys when the screen's bindings change (a page that has loaded its
        # record offers more keys): on a loaded machine the pause can end inside that recompose.
        await wait_for(pilot, lambda: bool(_overflow(app)[2]))
        wanted, width, keys = _overflow(app)
        assert any(key.startswith("F1 ") for key in keys), (name, keys)
        if wanted > width:
            cut.append(f"{name}: {wanted} > {width}: {' | '.join(keys)}")

    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        for mode in routes.MODE_SCREENS:
            await app.switch_mode(mode)
            await check(mode)
        await app.switch_mode("dashboard")
        for kind, record_id in ids.items():
            await app.push_screen(routes.record_page(kind, record_id))
            await check(f"{kind} page")
            app.pop_screen()
        for form in routes.FORMS:
            await app.push_screen(routes.form_class(form)(record_id=None, context={"resident_id": ids["resident"]}))
            await check(f"{form} form")
            app.pop_screen()
    assert cut == []
