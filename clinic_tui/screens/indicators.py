"""Monthly indicators: visits, follow-ups done against due, referrals by status, contract coverage
overall and per key population against the 81% target, drawn as bars; F7 exports them as CSV.

F5 and F6 step to the previous and next month. The CSV is UTF-8 with a BOM, so Excel shows the
Chinese correctly, and goes into the ``exports`` folder of the user data directory.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from clinic_tui import clock
from clinic_tui.domain.codes import KEY_POPULATION
from clinic_tui.domain.indicators import (
    bar,
    month_start,
    next_month,
    percent,
    previous_month,
    rate,
    to_csv_rows,
)
from clinic_tui.domain.referral import status_label
from clinic_tui.i18n import N_, _
from clinic_tui.screens.base import ClinicScreen
from clinic_tui.widgets.app_header import AppHeader
from clinic_tui.widgets.footer import ClinicFooter
from clinic_tui.widgets.from_worker import show_from_worker

# The report fits an 80-column terminal in both languages (78 cells: the scroll bar takes two):
# labels take the width of the longest, bars what is left, between 8 and 24 cells.
TEXT_WIDTH = 78
BAR_WIDTH = 24
MIN_BAR_WIDTH = 8
# After the label: a count (10 cells), the percentage (5) and "103 more to sign" (up to 21).
BESIDE_BAR = 36
WORDS = {
    ("header", "section"): N_("Section"),
    ("header", "item"): N_("Item"),
    ("header", "count"): N_("Count"),
    ("header", "of"): N_("Of"),
    ("header", "rate"): N_("Rate %"),
    ("item", "visits"): N_("Visits"),
    ("item", "followups"): N_("Follow-ups done / due"),
    ("item", "overall"): N_("All residents"),
    ("section", "up"): N_("Upward referrals"),
    ("section", "down"): N_("Downward referrals"),
    ("section", "coverage"): N_("Contract coverage"),
}


def word(kind: str, code: str) -> str:
    if kind == "status":
        return status_label(code)
    if kind == "population":
        return KEY_POPULATION.label(code)
    return _(WORDS[(kind, code)])


def _pad(text: str, width: int) -> str:
    """Pad to ``width`` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def _count(text: str) -> str:
    """A count column of 10 cells, right-aligned, so that every bar starts in the same column."""
    return f"{text:>9} "


def _widths(report) -> tuple[int, int]:
    """(label width, bar width) for this report in the current language."""
    from rich.cells import cell_len

    labels = [word("item", "visits"), word("item", "followups"), word("item", "overall")]
    labels += ["  " + status_label(status) for status in (*report.up_by_status, *report.down_by_status)]
    labels += [KEY_POPULATION.label(tag) for tag, cover in report.by_population.items() if cover.population]
    label_width = max(cell_len(label) for label in labels) + 1
    return label_width, max(MIN_BAR_WIDTH, min(BAR_WIDTH, TEXT_WIDTH - label_width - BESIDE_BAR))


def report_text(report) -> Text:
    label_width, bar_width = _widths(report)
    out = Text()
    out.append(
        _("Indicators for {month} (coverage on {day})").format(month=f"{report.month:%Y-%m}", day=report.as_of) + "\n",
        style="bold",
    )
    out.append(_pad(word("item", "visits"), label_width) + _count(str(report.visits)).rstrip() + "\n")
    done, due = report.followups_done, report.followups_due
    out.append(_pad(word("item", "followups"), label_width) + _count(f"{done}/{due}"))
    out.append(f"{bar(done, max(done, due), bar_width)} {percent(rate(done, due)):>4}\n")
    for direction, counts in (("up", report.up_by_status), ("down", report.down_by_status)):
        total = sum(counts.values())
        out.append(f"\n{word('section', direction)}: {total}\n", style="bold")
        biggest = max(counts.values(), default=0)
        for status, count in sorted(counts.items(), key=lambda item: -item[1]):
            out.append("  " + _pad(status_label(status), label_width - 2) + _count(str(count)))
            out.append(bar(count, biggest, bar_width) + "\n", style="cyan")
    out.append(
        "\n" + _("Contract coverage (target {target}%)").format(target=report.overall.target_percent) + "\n",
        style="bold",
    )
    rows = [(word("item", "overall"), report.overall)] + [
        (KEY_POPULATION.label(tag), cover) for tag, cover in report.by_population.items() if cover.population
    ]
    for name, cover in rows:
        style = "green" if cover.meets_target else "yellow"
        out.append(_pad(name, label_width) + _count(f"{cover.signed}/{cover.population}"))
        out.append(bar(cover.signed, cover.population, bar_width), style=style)
        out.append(f" {percent(cover.rate):>4}")
        if not cover.meets_target:
            out.append("  " + _("{count} more to sign").format(count=cover.still_to_sign), style=style)
        out.append("\n")
    return out


def export_path(month: date) -> Path:
    from clinic_tui.config import data_dir

    return data_dir() / "exports" / f"indicators-{month:%Y-%m}.csv"


class IndicatorsScreen(ClinicScreen):
    CSS_PATH = "indicators.tcss"
    BINDINGS = [
        Binding("f5", "month(-1)", N_("Previous month"), id="indicators.previous"),
        Binding("f6", "month(1)", N_("Next month"), id="indicators.next"),
        Binding("f7", "export", N_("Export CSV"), id="indicators.export"),
        Binding("escape", "back", N_("Back"), id="indicators.back"),
    ]

    def __init__(self, month: date | None = None) -> None:
        super().__init__()
        self.month = month_start(month or clock.today())
        self.report = None

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="indicators"):
            yield Static(_("Counting…"), id="indicators-text")
        yield ClinicFooter()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="indicators")
    def load(self) -> None:
        report = self.clinic_store.indicators.month_report(self.month, clock.today())
        show_from_worker(self, self._show, report)

    def _show(self, report) -> None:
        if report.month != self.month:  # a month stepped past while counting
            return
        self.report = report
        self.query_one("#indicators-text", Static).update(report_text(report))

    def action_month(self, step: int) -> None:
        self.month = next_month(self.month) if step > 0 else previous_month(self.month)
        self.report = None
        self.load()

    def action_export(self) -> None:
        if self.report is None:
            return
        path = self.clinic_store.indicators.export_csv(to_csv_rows(self.report, word), export_path(self.report.month))
        self.app.notify(_("Exported to {path}").format(path=path), timeout=8)

    def action_back(self) -> None:
        self.dismiss()
