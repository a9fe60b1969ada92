"""Notices open at the top right, under the header, not over a form's lower fields (issue 14, item 14)."""

from __future__ import annotations

from pilot_helpers import sign_in, wait_for
from textual.widgets._toast import Toast


async def test_a_notice_opens_under_the_header_not_over_the_form(make_app):
    app = make_app("zh")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:  # off by default in tests
        await sign_in(app, pilot)
        await pilot.press("f4")  # the register form: fields down to the last lines
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ResidentFormScreen")
        app.notify("已保存。", timeout=30)
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause(0.3)
        toast = app.screen.query_one(Toast)
        assert toast.region.y <= 2  # just under the header (row 0)
        assert toast.region.right >= 78  # at the right edge
        header = app.screen.query_one("AppHeader")
        assert not toast.region.overlaps(header.region)
