"""The referral list fits 80 columns in Chinese and in English, and a referral at the hub has an
empty sync cell (issue 14: the list scrolled sideways in English, and in Chinese the empty mark
was translated into the catalogue's header, "Project-Id-Version: ...")."""

from __future__ import annotations

import pytest
from pilot_helpers import sign_in, wait_for
from textual.widgets import DataTable

from clinic_tui.i18n import _


@pytest.mark.parametrize(("language", "sent"), [("zh", "↑ 待接收"), ("en", "↑ Awaiting")])
async def test_the_referral_list_fits_80_columns(make_app, language, sent):
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await app.switch_mode("referrals")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReferralsScreen" and app.screen.row_count > 0)
        await pilot.pause(0.2)
        table = app.screen.query_one("#results", DataTable)
        assert table.virtual_size.width <= table.size.width, [c.label.plain for c in table.columns.values()]
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert {row[-1] for row in rows} <= {"", _("to send"), _("refused")}
        assert "" in {row[-1] for row in rows}  # the demo has referrals the hub holds
        assert sent in {row[2] for row in rows}
        assert all(row[0].count("-") == 2 for row in rows)  # the number, which carries the date
