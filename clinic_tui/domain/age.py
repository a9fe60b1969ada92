"""Age in completed years (周岁), the age every rule of the specification means."""

from __future__ import annotations

from datetime import date


def completed_years(birth_date: date, on: date) -> int:
    """Born on 29 February, one turns a year older on 1 March in a common year."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday
