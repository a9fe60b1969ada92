"""The indicators screen by keys: Ctrl+G opens it, F5/F6 step months, F7 exports a CSV Excel reads.

(Named apart from tests/data/test_indicators.py: test directories are not packages, so two test
modules cannot share a name.)
"""

from __future__ import annotations

import csv
import re
import stat

from pilot_helpers import app_on_demo_copy, sign_in, wait_for
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.data.indicators import month_report
from clinic_tui.domain.indicators import previous_month
from clinic_tui.screens.indicators import IndicatorsScreen


async def test_step_back_a_month_and_export_it_as_csv_with_a_bom(tmp_path):
    app = app_on_demo_copy(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(app, pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, IndicatorsScreen) and app.screen.report is not None)
        this_month = clock.today().replace(day=1)
        assert app.screen.report.month == this_month
        await pilot.press("f5")
        last_month = previous_month(this_month)
        await wait_for(pilot, lambda: app.screen.report is not None and app.screen.report.month == last_month)
        report = app.screen.report
        assert report == month_report(app.store.engine, last_month, clock.today())
        shown = str(app.screen.query_one("#indicators-text", Static).render())
        assert f"{last_month:%Y-%m} 指标" in shown and "签约覆盖率（目标 81%）" in shown
        assert re.search(rf"^就诊 +{report.visits}$", shown, re.MULTILINE)
        await pilot.press("f7")
        path = tmp_path / "data" / "exports" / f"indicators-{last_month:%Y-%m}.csv"
        await wait_for(pilot, path.exists)
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert rows[1][2] == str(report.visits) and rows[1][0] == f"{last_month:%Y-%m}"
        overall = next(r for r in rows if r[1] == "全体居民")
        assert overall[2:4] == [str(report.overall.signed), str(report.overall.population)]
        assert all(len(r) == 5 for r in rows)
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.screen.report is not None and app.screen.report.month == this_month)
