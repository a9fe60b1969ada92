"""The arithmetic of the monthly indicators: months, rates and the text bars that draw them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

FULL, EMPTY = "█", "░"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(first: date) -> date:
    return (first.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return next_month(first) - timedelta(days=1)


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` from 0 upwards (follow-ups done may exceed those due); None for 0 of 0."""
    if part < 0 or whole < 0:
        raise ValueError(f"counts cannot be negative: {part} of {whole}")
    return part / whole if whole else None


def percent(value: float | None) -> str:
    """A rate as a whole percent, rounded half up; "-" when there is nothing to divide by."""
    return "-" if value is None else f"{int(value * 100 + 0.5)}%"


def bar(value: float, maximum: float, width: int = 20) -> str:
    """``value`` against ``maximum`` as ``width`` characters: full blocks, then light shade.

    Any value above zero shows at least one block, so a small count never looks like none.
    """
    if width <= 0:
        raise ValueError("width must be positive")
    if maximum <= 0 or value <= 0:
        return EMPTY * width
    filled = min(width, max(1, round(width * value / maximum)))
    return FULL * filled + EMPTY * (width - filled)


def to_csv_rows(report: Any, label: Callable[[str, str], str]) -> list[list[str]]:
    """Header and rows (section, item, count, of, rate %) for the CSV export of a month's report
    (``data.indicators.MonthReport``).

    ``label(kind, code)`` gives the words for a status or population code in the user's language.
    """

    def share(part: int, whole: int) -> str:
        return f"{100 * part / whole:.1f}" if whole else ""

    month = f"{report.month:%Y-%m}"
    rows = [
        [
            label("header", "section"),
            label("header", "item"),
            label("header", "count"),
            label("header", "of"),
            label("header", "rate"),
        ]
    ]
    rows.append([month, label("item", "visits"), str(report.visits), "", ""])
    rows.append(
        [
            month,
            label("item", "followups"),
            str(report.followups_done),
            str(report.followups_due),
            share(report.followups_done, report.followups_due),
        ]
    )
    for direction, counts in (("up", report.up_by_status), ("down", report.down_by_status)):
        for status, count in sorted(counts.items()):
            rows.append([label("section", direction), label("status", status), str(count), "", ""])
    rows.append(
        [
            label("section", "coverage"),
            label("item", "overall"),
            str(report.overall.signed),
            str(report.overall.population),
            share(report.overall.signed, report.overall.population),
        ]
    )
    for tag, cover in report.by_population.items():
        rows.append(
            [
                label("section", "coverage"),
                label("population", tag),
                str(cover.signed),
                str(cover.population),
                share(cover.signed, cover.population),
            ]
        )
    return rows
