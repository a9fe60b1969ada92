"""The county lab's catalogue as a file (检验项目目录, "imported like the diagnosis list"): what a
catalogue CSV must hold, checked line by line with a specific problem per line (DOMAIN.md, "Tests
at the lead hospital"). The hub's ``clinic-hub lab-catalogue import`` keeps each accepted file as a
version; the shipped ``lab_catalogue.csv`` passes the same checks.

Columns: ``code`` (1-20 capital letters, digits, ``_`` or ``-``, unique), ``name`` (中文名),
``name_en``, ``specimen`` (domain.lab.Specimen), ``unit`` (empty for a qualitative test), ``low``,
``high`` (the reference range; either may be empty), ``critical_low``, ``critical_high`` (危急值
limits, optional; a critical low at or below the range's low, a critical high at or above its high).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from clinic_tui.domain.lab import CatalogueItem, Specimen

COLUMNS = ("code", "name", "name_en", "specimen", "unit", "low", "high", "critical_low", "critical_high")
MAX_ITEMS = 2000
_CODE = re.compile(r"[A-Z0-9_-]{1,20}")


@dataclass(frozen=True)
class LineProblem:
    """Why one line (or the header, line 1) of a catalogue file is refused: ``code`` is the
    machine's (catalogue_*), ``column`` the column it is about."""

    line: int
    code: str
    column: str = ""


def _number(text: str) -> Decimal | None | str:
    text = text.strip()
    if not text:
        return None
    try:
        found = Decimal(text)
    except InvalidOperation:
        return "bad"
    return found if found.is_finite() else "bad"


def read_catalogue(text: str) -> tuple[dict[str, CatalogueItem], list[LineProblem]]:
    """The items by code, and every problem found (the file is taken only when there is none)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error:
        return {}, [LineProblem(1, "catalogue_not_csv")]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return {}, [LineProblem(1, "catalogue_column_missing", ", ".join(missing))]
    items: dict[str, CatalogueItem] = {}
    problems: list[LineProblem] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
            found = _item(line, row, items, problems)
            if found is not None:
                items[found.code] = found
            if len(items) > MAX_ITEMS:
                return {}, [LineProblem(line, "catalogue_too_many_items")]
    except csv.Error:
        problems.append(LineProblem(reader.line_num, "catalogue_not_csv"))
    if not items and not problems:
        problems.append(LineProblem(1, "catalogue_empty"))
    return items, problems


def _item(
    line: int, row: dict[str, str], items: dict[str, CatalogueItem], problems: list[LineProblem]
) -> CatalogueItem | None:
    before = len(problems)
    code = row["code"].upper()
    if not _CODE.fullmatch(code):
        problems.append(LineProblem(line, "catalogue_bad_code", "code"))
    elif code in items:
        problems.append(LineProblem(line, "catalogue_duplicate_code", "code"))
    if not row["name"]:  # a qualitative test (尿蛋白) has no unit
        problems.append(LineProblem(line, "catalogue_missing_value", "name"))
    if not any(row["specimen"] == s for s in Specimen):
        problems.append(LineProblem(line, "catalogue_bad_specimen", "specimen"))
    limits: dict[str, Decimal | None] = {}
    for column in ("low", "high", "critical_low", "critical_high"):
        value = _number(row[column])
        if value == "bad":
            problems.append(LineProblem(line, "catalogue_bad_number", column))
        else:
            limits[column] = value  # type: ignore[assignment]
    if len(problems) > before:
        return None
    low, high = limits["low"], limits["high"]
    critical_low, critical_high = limits["critical_low"], limits["critical_high"]
    if low is not None and high is not None and low > high:
        problems.append(LineProblem(line, "catalogue_range_reversed", "high"))
    elif critical_low is not None and low is not None and critical_low > low:
        problems.append(LineProblem(line, "catalogue_critical_inside_range", "critical_low"))
    elif critical_high is not None and high is not None and critical_high < high:
        problems.append(LineProblem(line, "catalogue_critical_inside_range", "critical_high"))
    if len(problems) > before:
        return None
    return CatalogueItem(
        code, row["name"], row["name_en"], row["specimen"], row["unit"], low, high, critical_low, critical_high
    )
