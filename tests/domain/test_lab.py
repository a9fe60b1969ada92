"""The lab order's rules: moves and who makes them, numbers, flags, the catalogue, what an order needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from clinic_tui.domain import lab
from clinic_tui.domain.problems import DomainError


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    [
        (None, "ordered", "clinic"),
        ("ordered", "collected", "clinic"),
        ("collected", "sent", "clinic"),
        ("sent", "received", "hospital"),
        ("received", "reported", "hospital"),
        ("sent", "cancelled", "clinic"),
        ("rejected", "collected", "clinic"),
    ],
)
def test_the_moves_the_table_allows(current, target, actor):
    lab.transition(current, target, actor)


@pytest.mark.parametrize(
    ("current", "target", "actor", "code"),
    [
        ("sent", "received", "clinic", "lab.wrong_actor"),
        ("received", "cancelled", "clinic", "lab.illegal_move"),  # too late: the lab has it
        ("reported", "cancelled", "clinic", "lab.illegal_move"),
        ("ordered", "sent", "clinic", "lab.illegal_move"),  # no specimen yet
        ("collected", "received", "hospital", "lab.illegal_move"),  # not sent
        ("sent", "reported", "hospital", "lab.illegal_move"),  # received first
        ("sent", "rejected", "hospital", "lab.reason_required"),
        ("cancelled", "ordered", "clinic", "lab.illegal_move"),
        ("sent", "lost", "hospital", "lab.unknown_status"),
    ],
)
def test_the_moves_refused_say_why(current, target, actor, code):
    with pytest.raises(DomainError) as refused:
        lab.transition(current, target, actor)
    assert refused.value.problem.code == code


def test_a_rejection_with_its_reason_and_who_moves_what():
    lab.transition("sent", "rejected", "hospital", "标本溶血")
    assert lab.allowed_targets("sent", "hospital") == (lab.Status.RECEIVED, lab.Status.REJECTED)
    assert lab.allowed_targets("sent", "clinic") == (lab.Status.CANCELLED,)
    assert lab.allowed_targets("rejected", "clinic") == (lab.Status.COLLECTED, lab.Status.CANCELLED)
    assert lab.is_terminal("reported") and lab.is_terminal("cancelled") and not lab.is_terminal("rejected")


def test_numbers_are_the_clinics_with_an_L():
    day = date(2026, 12, 3)
    assert lab.make_order_number("c01", day, 7) == "C01-20261203-L0007"
    taken = ["C01-20261203-L0001", "C01-20261203-L0002", "C01-20261202-L0009", "C01-20261203-R0005"]
    assert lab.order_number_after("C01", day, taken) == "C01-20261203-L0003"
    assert lab.parse_order_number("c01-20261203-l0003") == ("C01", day, 3)
    for bad in ("C01-20261203-R0003", "C01-20261331-L0001", "C01-20261203-L0000"):
        with pytest.raises(DomainError) as refused:
            lab.parse_order_number(bad)
        assert refused.value.problem.code == "lab.number_invalid"


def test_the_catalogue_has_the_common_tests_with_units_and_ranges():
    items = lab.catalogue()
    assert len(items) >= 20
    assert {"WBC", "HGB", "GLU", "HBA1C", "ALT", "AST", "CREA", "UREA", "TC", "K", "NA", "CTNI"} <= set(items)
    potassium = items["K"]
    assert (potassium.name, potassium.unit, potassium.specimen) == ("血钾", "mmol/L", "serum")
    assert potassium.reference_range == "3.5-5.3"
    assert items["HDLC"].reference_range == ">=1.0" and items["UPRO"].reference_range == ""


@pytest.mark.parametrize(
    ("code", "value", "entered", "flag"),
    [
        ("K", "4.2", None, "N"),
        ("K", "5.8", None, "H"),
        ("K", "3.1", None, "L"),
        ("K", "6.8", None, "critical"),  # >= 6.2
        ("K", "2.8", None, "critical"),  # <= 2.8
        ("GLU", 7.4, "N", "H"),  # a number: the range decides, not what was typed
        ("CTNI", "0.62", None, "critical"),
        ("UPRO", "2+", "H", "H"),  # a text result: the flag entered
        ("UPRO", "阴性", None, "N"),
        ("K", "4.0", "critical", "critical"),  # the lab may call it critical
        ("NOPE", "4.0", None, "N"),
    ],
)
def test_a_results_flag(code, value, entered, flag):
    assert lab.item_flag(code, value, entered) == flag


def test_flag_for_without_a_number_is_none_and_critical_found():
    assert lab.flag_for("溶血", Decimal(1), Decimal(2)) is None
    assert lab.flag_for("nan", Decimal(1), Decimal(2)) is None
    assert lab.has_critical([{"flag": "H"}, {"flag": "critical"}]) and not lab.has_critical([{"flag": "H"}])


GOOD = {
    "items": [{"code": "K", "name": "血钾"}, {"code": "NA", "name": "血钠"}],
    "specimen": "serum",
    "priority": "urgent",
    "fasting": False,
    "clinical_diagnosis": "乏力，服用利尿剂",
}


def test_a_good_order_and_what_it_needs_to_leave():
    assert lab.order_problems(GOOD) == []
    missing = lab.sending_problems(GOOD)
    assert [p.field for p in missing] == ["collected_at", "collected_by", "barcode"]
    ready = {
        **GOOD,
        "collected_at": datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
        "collected_by": "王护士",
        "barcode": "S0012345",
    }
    assert lab.sending_problems(ready) == []
    assert [p.code for p in lab.sending_problems({**ready, "barcode": "a b"})] == ["lab.barcode_invalid"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"items": []}, "lab.items_missing"),
        ({"items": [{"code": "XX"}]}, "lab.item_unknown"),
        ({"items": [{"code": "K"}, {"code": "K"}]}, "lab.item_repeated"),
        ({"items": [{"code": "K"}, {"code": "WBC"}]}, "lab.specimen_mismatch"),
        ({"specimen": "csf"}, "lab.specimen_unknown"),
        ({"priority": "stat"}, "lab.priority_unknown"),
        ({"fasting": "yes"}, "lab.fasting_invalid"),
        ({"clinical_diagnosis": "x" * 501}, "lab.text_too_long"),
    ],
)
def test_what_stops_an_order(change, code):
    assert code in [p.code for p in lab.order_problems({**GOOD, **change})]
