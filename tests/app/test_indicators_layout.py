"""The indicators report fits 80 columns in both languages, its bars in one column (issue 14,
item 13: English rows wrapped and the bars wandered with the labels' lengths)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from rich.cells import cell_len

from clinic_tui import i18n
from clinic_tui.config import EXAMPLE_DATABASE
from clinic_tui.data.indicators import month_report
from clinic_tui.data.migrate import open_database
from clinic_tui.domain.indicators import EMPTY, FULL
from clinic_tui.screens.indicators import TEXT_WIDTH, report_text

TODAY = date(2026, 11, 20)  # the demo data's today


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_report_fits_80_columns_with_its_bars_in_one_column(tmp_path, language):
    path = tmp_path / "demo.db"
    shutil.copyfile(EXAMPLE_DATABASE, path)
    engine = open_database(path).engine
    report = month_report(engine, TODAY.replace(day=1), TODAY)
    engine.dispose()
    i18n.set_language(language)
    lines = report_text(report).plain.splitlines()
    assert max(cell_len(line) for line in lines) <= TEXT_WIDTH
    starts = set()
    for line in lines:
        cut = min((line.find(c) for c in (FULL, EMPTY) if c in line), default=-1)
        if cut >= 0:
            starts.add(cell_len(line[:cut]))
    assert len(starts) == 1, starts
    assert len([line for line in lines if line.strip()]) >= 15
