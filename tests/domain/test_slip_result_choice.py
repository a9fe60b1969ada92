"""domain/slip_results.py: which results a slip offers first and starts with, and their wire form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clinic_tui import i18n
from clinic_tui.domain.slip_results import (
    RECENT_DAYS,
    SlipResult,
    flag_text,
    is_recent,
    offered,
    preselected,
    recognised_label,
)

NOW = datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC)


def _result(name: str, days_ago: float | None, recognised: bool, **more) -> SlipResult:
    when = None if days_ago is None else NOW - timedelta(days=days_ago)
    return SlipResult("lab", f"e-{name}", name, name, "1", reported_at=when, recognised=recognised, **more)


def test_recognised_and_recent_first_then_recognised_then_recent_newest_first_within():
    results = [
        _result("old-other", 90, False),
        _result("recent-other", 2, False),
        _result("old-recognised", 60, True),
        _result("recent-recognised-older", 20, True),
        _result("recent-recognised-newer", 1, True),
        _result("undated", None, True),
    ]
    assert [r.code for r in offered(results, NOW)] == [
        "recent-recognised-newer",
        "recent-recognised-older",
        "old-recognised",
        "undated",
        "recent-other",
        "old-other",
    ]
    assert [r.code for r in preselected(results, NOW)] == ["recent-recognised-newer", "recent-recognised-older"]


def test_the_window_is_inclusive_and_one_constant():
    assert RECENT_DAYS == 30
    assert is_recent(_result("edge", RECENT_DAYS, True), NOW)
    assert not is_recent(_result("past", RECENT_DAYS + 0.01, True), NOW)
    assert [r.code for r in preselected([_result("x", 40, True)], NOW, days=45)] == ["x"]


def test_the_wire_form_round_trips_and_a_bad_entry_reads_blank_not_recognised():
    result = _result("GLU", 3, True, unit="mmol/L", reference_range="3.9-6.1", flag="H", institution="县医院")
    assert SlipResult.from_wire(result.wire()) == result
    assert result.wire()["reported_at"] == "2026-11-17T15:59:59+00:00"
    odd = SlipResult.from_wire({"item": ["x"], "recognised": "true", "reported_at": "2026-11-17T08:00:00", "value": 5})
    assert (odd.item, odd.recognised, odd.value, odd.source) == ("", False, "5", "lab")
    assert odd.reported_at == datetime(2026, 11, 17, 8, tzinfo=UTC)  # no offset: UTC, as on the wire
    assert SlipResult.from_wire({"reported_at": "yesterday"}).reported_at is None


def test_labels_in_both_languages():
    i18n.set_language("zh")
    assert (recognised_label(True), recognised_label(False)) == ("互认", "未互认")
    assert flag_text(_result("K", 1, True, flag="critical")) == "危急值"
    assert flag_text(_result("K", 1, True)) == "" and flag_text(_result("K", 1, True, flag="odd")) == "odd"
    i18n.set_language("en")
    try:
        assert (recognised_label(True), recognised_label(False)) == ("Recognised", "Not recognised")
    finally:
        i18n.set_language("zh")
