"""A lab order's results as the hub stores and sends them: those a report gives checked against the
tests ordered and those reported before, each with the catalogue's name, unit and range and its
flag computed (clinic_tui.domain.lab). Used by the lab desk's report (clinic_hub/lab_desk.py) and
its corrections (clinic_hub/lab_corrections.py)."""

from __future__ import annotations

from typing import Any

from clinic_hub.errors import ApiError
from clinic_hub.schemas.lab import ReportLab
from clinic_tui.domain import lab


def checked_results(
    ordered: list[dict[str, Any]], body: ReportLab, earlier: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Each ordered test's result so far, in the order's order: those reported ``earlier`` (a
    partial report) and those of ``body``, with name, unit, reference range and flag from the
    catalogue (domain.lab.item_flag). Refuses a test not ordered, one already reported (corrected,
    not reported again), a text result without its flag, and unless ``body.partial`` a missing one."""
    ordered_codes = [str(i.get("code")) for i in ordered]
    before = {str(r.get("code")): r for r in earlier or []}
    given = {r.code.strip().upper(): r for r in body.results}
    for code in given:
        if code not in ordered_codes:
            raise ApiError(422, "result_not_ordered", test=code)
        if code in before:
            raise ApiError(422, "result_already_reported", test=code)
    missing = [code for code in ordered_codes if code not in given and code not in before]
    if missing and not body.partial:
        raise ApiError(422, "results_incomplete", codes=", ".join(missing))
    results = []
    for item in ordered:
        code = str(item.get("code"))
        if code in before:
            results.append(before[code])
        elif code in given:
            results.append(
                result_entry(
                    code, str(item.get("name") or code), given[code].value, given[code].flag, given[code].method
                )
            )
    return results


def result_entry(code: str, name: str, value: str, flag: str | None, method: str | None) -> dict[str, Any]:
    """One result as stored and sent: the catalogue's name, unit and range, the flag computed."""
    known = lab.catalogue().get(code)
    value = value.strip()
    if lab.number(value) is None and flag is None:
        raise ApiError(422, "result_flag_required", test=code)
    return {
        "code": code,
        "name": known.name if known else name,
        "value": value,
        "unit": known.unit if known else "",
        "reference_range": known.reference_range if known else "",
        "flag": lab.item_flag(code, value, flag).value,
        "method": (method or "").strip() or None,
    }
