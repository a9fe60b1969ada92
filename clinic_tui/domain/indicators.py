"""The arithmetic of the monthly indicators: months, rates and the text bars that draw them."""

from __future__ import annotations

from datetime import date, timedelta

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
