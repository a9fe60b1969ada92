"""The examination booking's rules: moves and who makes them, numbers, the catalogue, what a booking needs."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_tui.domain import exam
from clinic_tui.domain.problems import DomainError


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (None, "booked", "clinic"),
        ("booked", "confirmed", "hospital"),
        ("booked", "rescheduled", "hospital"),
        ("confirmed", "rescheduled", "hospital"),
        ("rescheduled", "rescheduled", "hospital"),
        ("confirmed", "examined", "hospital"),
        ("examined", "reported", "hospital"),
        ("booked", "cancelled", "clinic"),
        ("rescheduled", "cancelled", "clinic"),
    ],
)
def test_the_moves_the_table_allows(current, target, actor):
    exam.transition(current, target, actor)


@pytest.mark.parametrize(
    ("current", "target", "actor", "code"),
    [
        ("booked", "confirmed", "clinic", "exam.wrong_actor"),  # the hospital confirms
        (None, "booked", "hospital", "exam.wrong_actor"),  # the clinic books
        ("booked", "cancelled", "hospital", "exam.wrong_actor"),  # the hospital returns instead
        ("examined", "cancelled", "clinic", "exam.illegal_move"),  # too late: examined
        ("reported", "cancelled", "clinic", "exam.illegal_move"),
        ("booked", "reported", "hospital", "exam.illegal_move"),  # examined first
        ("booked", "returned", "hospital", "exam.reason_required"),
        ("returned", "booked", "clinic", "exam.illegal_move"),  # a returned booking is done: book anew
        ("cancelled", "confirmed", "hospital", "exam.illegal_move"),
        ("booked", "nonsense", "clinic", "exam.unknown_status"),
        ("booked", "confirmed", "robot", "exam.unknown_actor"),
    ],
)
def test_the_moves_it_refuses_say_why(current, target, actor, code):
    with pytest.raises(DomainError) as refused:
        exam.transition(current, target, actor)
    assert refused.value.problem.code == code


def test_a_return_with_its_reason_is_allowed():
    exam.transition("confirmed", "returned", "hospital", reason="造影剂过敏")


def test_who_may_do_what_next():
    assert set(exam.allowed_targets("booked", "clinic")) == {exam.Status.CANCELLED}
    assert set(exam.allowed_targets("booked", "hospital")) == {
        exam.Status.CONFIRMED,
        exam.Status.RESCHEDULED,
        exam.Status.RETURNED,
        exam.Status.EXAMINED,
    }
    assert exam.allowed_targets("reported", "hospital") == ()
    assert exam.allowed_targets("examined", "clinic") == ()


def test_the_refusal_reads_in_chinese(zh_catalog):
    with pytest.raises(DomainError) as refused:
        exam.transition("examined", "cancelled", "clinic")
    assert "已检查" in refused.value.message and "已撤销" in refused.value.message


def test_numbers_round_trip_and_follow_the_days_last():
    assert exam.make_booking_number("c0123", date(2025, 3, 14), 7) == "C0123-20250314-E0007"
    taken = ["C0123-20250314-E0002", "C0123-20250314-E0009", "C0123-20250313-E0050", "C0123-20250314-L0100"]
    assert exam.booking_number_after("C0123", date(2025, 3, 14), taken) == "C0123-20250314-E0010"
    assert exam.parse_booking_number("c0123-20250314-e0007") == ("C0123", date(2025, 3, 14), 7)
    for bad in ("C0123-20250314-L0007", "C0123-20250230-E0001", "C0123-20250314-E0000", ""):
        with pytest.raises(DomainError):
            exam.parse_booking_number(bad)


def test_the_catalogue_has_each_modality_and_preparation_notes(zh_catalog):
    modalities = {item.modality for item in exam.CATALOGUE.values()}
    assert modalities == {"CT", "MRI", "US", "ENDO", "DR"}
    abdominal = exam.CATALOGUE["US_ABD"]
    assert abdominal.fasting and "8" in abdominal.preparation_text
    assert not exam.CATALOGUE["DR_CHEST"].fasting and exam.CATALOGUE["DR_CHEST"].preparation_text == ""


def _fields(**overrides):
    fields = {
        "item_code": "CT_HEAD",
        "day": date(2026, 12, 10),
        "priority": "routine",
        "clinical_diagnosis": "头痛待查",
    }
    return {**fields, **overrides}


def test_a_complete_booking_has_no_problems():
    assert exam.booking_problems(_fields(), today=date(2026, 12, 3)) == []


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"item_code": "PET_CT"}, "exam.item_unknown", "item_code"),
        ({"day": None}, "exam.day_missing", "day"),
        ({"day": "2026-12-10"}, "exam.day_missing", "day"),  # a date, not text
        ({"day": date(2026, 12, 2)}, "exam.day_past", "day"),
        ({"priority": "stat"}, "exam.priority_unknown", "priority"),
        ({"clinical_diagnosis": "  "}, "exam.diagnosis_missing", "clinical_diagnosis"),
        ({"question": "x" * 501}, "exam.text_too_long", "question"),
    ],
)
def test_each_missing_or_bad_field_is_named(overrides, code, field):
    problems = exam.booking_problems(_fields(**overrides), today=date(2026, 12, 3))
    assert [(p.code, p.field) for p in problems] == [(code, field)]


def test_a_report_needs_findings_and_impression():
    assert [p.field for p in exam.report_problems(" ", "")] == ["findings", "impression"]
    assert exam.report_problems("肝内回声均匀", "肝胆未见异常") == []


def test_the_slot_is_held_until_returned_or_cancelled():
    assert exam.Status.RETURNED not in exam.HOLDS_SLOT and exam.Status.CANCELLED not in exam.HOLDS_SLOT
    assert exam.Status.EXAMINED in exam.HOLDS_SLOT
