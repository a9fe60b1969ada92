"""F1's list is an opaque panel (issue 14, item 14: it was see-through over the screen behind)."""

from __future__ import annotations

import pytest
from pilot_helpers import sign_in, wait_for


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_the_help_panel_hides_what_is_behind_it(make_app, language):
    app = make_app(language)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.pause()
        panel = app.screen.query_one("#help")
        region = panel.region
        assert region.width >= 60 and region.height >= 10
        for y in range(region.y, region.bottom):
            for x in range(region.x, region.right):
                widget, _ = app.screen.get_widget_at(x, y)
                assert widget is panel or panel in widget.ancestors, (x, y, widget)
                assert widget.background_colors[1].a == 1, (x, y, widget)  # its own colour, not blended
