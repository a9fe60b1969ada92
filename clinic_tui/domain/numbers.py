"""Readable per-clinic numbers of the requests a clinic sends the lead hospital: the clinic's code,
the day and the day's sequence behind one letter (R remote request, L lab order, E examination
booking), e.g. ``C0123-20250314-E0007``; a referral's has no letter (``C0123-20250314-0007``,
domain/referral.py). The number is for people; records are keyed by UUID."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

MAX_DAILY_SEQUENCE = 9999
_CLINIC_CODE = re.compile(r"[A-Z0-9]{1,30}")


class DailyNumber(NamedTuple):
    clinic_code: str
    on: date
    sequence: int


def make_number(letter: str, clinic_code: str, on: date, sequence: int) -> str:
    code = clinic_code.strip().upper()
    if not _CLINIC_CODE.fullmatch(code):
        raise ValueError(f"clinic code must be 1-30 letters or digits, got {clinic_code!r}")
    if not 1 <= sequence <= MAX_DAILY_SEQUENCE:
        raise ValueError(f"sequence must be 1..{MAX_DAILY_SEQUENCE}, got {sequence}")
    return f"{code}-{on:%Y%m%d}-{letter}{sequence:04d}"


def number_after(letter: str, clinic_code: str, on: date, taken: Iterable[str]) -> str:
    """The clinic's next number of ``on``, after the ones ``taken``."""
    prefix = make_number(letter, clinic_code, on, 1)[:-4]
    tails = (no[len(prefix) :] for no in taken if no.startswith(prefix))
    last = max((int(tail) for tail in tails if tail.isdigit()), default=0)
    return make_number(letter, clinic_code, on, last + 1)


def parse_number(letter: str, text: str) -> DailyNumber | None:
    """The parts of a well formed number with that letter, else None (a day that does not exist too)."""
    match = re.fullmatch(rf"([A-Z0-9]{{1,30}})-(\d{{8}})-{letter}(\d{{4}})", text.strip().upper())
    if match is None or int(match[3]) < 1:
        return None
    try:
        on = datetime.strptime(match[2], "%Y%m%d").date()
    except ValueError:
        return None
    return DailyNumber(match[1], on, int(match[3]))
