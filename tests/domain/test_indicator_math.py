"""Months, rates and text bars of the indicators screen."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_tui.domain.indicators import (
    EMPTY,
    FULL,
    bar,
    month_end,
    next_month,
    percent,
    previous_month,
    rate,
)


@pytest.mark.parametrize(
    "first, following, last",
    [
        (date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 31)),
        (date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 31)),
        (date(2028, 2, 1), date(2028, 3, 1), date(2028, 2, 29)),
    ],
)
def test_months_step_across_year_ends_and_leap_days(first, following, last):
    assert next_month(first) == following and previous_month(following) == first
    assert month_end(first) == last


def test_rate_and_percent():
    assert rate(23, 32) == 23 / 32 and percent(rate(23, 32)) == "72%"
    assert rate(0, 0) is None and percent(None) == "-"
    assert percent(rate(5, 4)) == "125%"  # more follow-ups than were due
    assert percent(0.805) == "81%"  # half up, as people round
    with pytest.raises(ValueError):
        rate(-1, 3)


def test_bars_are_proportional_and_a_small_count_still_shows():
    assert bar(5, 10, 10) == FULL * 5 + EMPTY * 5
    assert bar(1, 1000, 10) == FULL + EMPTY * 9
    assert bar(0, 10, 4) == EMPTY * 4 == bar(3, 0, 4)
    assert bar(20, 10, 4) == FULL * 4
