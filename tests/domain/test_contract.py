"""Family-doctor contracts: period, status, fee split, overlap, renewal, termination, tags."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clinic_tui import i18n
from clinic_tui.domain.contract import (
    KEY_POPULATION_COVERAGE_TARGET_PERCENT,
    ContractStatus,
    ContractTerms,
    KeyPopulation,
    Period,
    check_fee_split,
    check_manual_tags,
    check_no_overlap,
    check_termination,
    coverage,
    default_period,
    derive_key_populations,
    make_contract_number,
    renewal_terms,
    status_on,
)
from clinic_tui.domain.problems import DomainError

PO_FILE = Path(i18n.__file__).with_name("locale") / "zh_CN" / "LC_MESSAGES" / "clinic_tui.po"
YEAR_2025 = ContractTerms(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture
def zh():
    """Chinese messages from the shipped catalogue."""
    i18n.set_language("zh")
    yield
    i18n.translations.cache_clear()


def codes(problems):
    return [p.code for p in problems]


# --- Period and status


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 1, 1), date(2025, 12, 31)),
        (date(2025, 3, 15), date(2026, 3, 14)),
        (date(2024, 2, 29), date(2025, 2, 28)),  # no 29 February in 2025
        (date(2023, 3, 1), date(2024, 2, 29)),  # the period spans a leap day
    ],
)
def test_default_period_is_one_year(start, end):
    assert default_period(start) == (start, end)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2024, 12, 20), ContractStatus.ACTIVE),  # signed ahead of its start
        (date(2025, 6, 1), ContractStatus.ACTIVE),
        (date(2025, 11, 30), ContractStatus.ACTIVE),  # 31 days left
        (date(2025, 12, 1), ContractStatus.EXPIRING),  # 30 days left
        (date(2025, 12, 31), ContractStatus.EXPIRING),
        (date(2026, 1, 1), ContractStatus.EXPIRED),
    ],
)
def test_status_follows_the_calendar(today, status):
    assert status_on(YEAR_2025, today) == status


def test_expiring_window_is_configurable():
    assert status_on(YEAR_2025, date(2025, 11, 1), expiring_within_days=60) == "expiring"


def test_pending_renewed_and_terminated_statuses():
    pending = ContractTerms(date(2025, 1, 1), date(2025, 12, 31), approved=False)
    assert status_on(pending, date(2025, 6, 1)) == "pending"
    assert status_on(pending, date(2026, 6, 1)) == "expired"
    renewed = ContractTerms(date(2025, 1, 1), date(2025, 12, 31), renewed=True)
    assert status_on(renewed, date(2025, 12, 20)) == "renewed"
    ended = ContractTerms(date(2025, 1, 1), date(2025, 12, 31), terminated_on=date(2025, 5, 10))
    assert status_on(ended, date(2025, 5, 9)) == "active"
    assert status_on(ended, date(2025, 5, 10)) == "terminated"


# --- Fee split


def test_fee_parts_that_sum_to_the_total_pass():
    assert check_fee_split(12000, 7000, 4000, 1000) == []


def test_a_fee_mismatch_says_by_how_much_in_yuan(zh):
    problems = check_fee_split(12000, 7000, 4000, 950)
    assert [(p.code, p.field) for p in problems] == [("contract.fee_mismatch", "fee_total_fen")]
    assert problems[0].message == "各分项合计119.50元，与总额120.00元不符，相差0.50元。"
    i18n.set_language("en")
    assert problems[0].message == "The parts add up to ¥119.50, not ¥120.00: they differ by ¥0.50."


def test_negative_amounts_are_refused_field_by_field():
    problems = check_fee_split(1000, -500, 1000, 500)
    assert [(p.code, p.field) for p in problems] == [("contract.fee_negative", "fee_insurance_fen")]


@pytest.mark.parametrize("bad", [12.5, "100", True, None])
def test_amounts_must_be_integer_fen(bad):
    with pytest.raises(TypeError):
        check_fee_split(bad, 0, 0, 0)


# --- One contract at a time


def test_a_renewal_may_start_the_day_after_the_previous_ends():
    assert check_no_overlap([YEAR_2025.period], default_period(date(2026, 1, 1))) == []


def test_overlapping_periods_are_refused(zh):
    problems = check_no_overlap(
        [(date(2024, 1, 1), date(2024, 12, 31)), YEAR_2025.period],
        (date(2025, 12, 31), date(2026, 12, 30)),
    )
    assert [(p.code, p.field) for p in problems] == [("contract.period_overlap", "start_date")]
    assert problems[0].message == "该居民已有2025-01-01至2025-12-31的签约协议。"


def test_a_period_ending_before_it_starts_is_refused():
    problems = check_no_overlap([], (date(2025, 5, 1), date(2025, 4, 30)))
    assert codes(problems) == ["contract.period_reversed"]


# --- Renewal


def test_renewal_signed_early_starts_when_the_previous_ends():
    assert renewal_terms(YEAR_2025, date(2025, 12, 10)) == (date(2026, 1, 1), date(2026, 12, 31))


def test_renewal_after_a_lapse_starts_on_the_day_it_is_signed():
    assert renewal_terms(YEAR_2025, date(2026, 2, 3)) == (date(2026, 2, 3), date(2027, 2, 2))


@pytest.mark.parametrize(
    "previous",
    [
        ContractTerms(date(2025, 1, 1), date(2025, 12, 31), approved=False),
        ContractTerms(date(2025, 1, 1), date(2025, 12, 31), renewed=True),
        ContractTerms(date(2025, 1, 1), date(2025, 12, 31), terminated_on=date(2025, 3, 1)),
    ],
)
def test_pending_renewed_or_terminated_contracts_cannot_be_renewed(previous):
    with pytest.raises(DomainError) as caught:
        renewal_terms(previous, date(2025, 12, 10))
    assert caught.value.problem.code == "contract.not_renewable"


# --- Termination


def test_a_complete_termination_passes():
    assert check_termination("1", None, date(2025, 6, 1), YEAR_2025) == []
    assert check_termination("9", "长期外出务工", date(2025, 6, 1), YEAR_2025) == []


@pytest.mark.parametrize(
    ("reason", "note", "on", "expected"),
    [
        (None, None, date(2025, 6, 1), ["contract.termination_reason_missing"]),
        ("", None, date(2025, 6, 1), ["contract.termination_reason_missing"]),
        ("7", None, date(2025, 6, 1), ["contract.termination_reason_unknown"]),
        ("9", "  ", date(2025, 6, 1), ["contract.termination_note_missing"]),
        ("5", None, date(2026, 1, 1), ["contract.termination_outside_period"]),
        ("4", None, date(2024, 12, 31), ["contract.termination_outside_period"]),
    ],
)
def test_termination_problems(reason, note, on, expected):
    assert codes(check_termination(reason, note, on, YEAR_2025)) == expected


def test_a_terminated_contract_cannot_be_terminated_again():
    ended = ContractTerms(date(2025, 1, 1), date(2025, 12, 31), terminated_on=date(2025, 3, 1))
    assert codes(check_termination("4", None, date(2025, 6, 1), ended)) == ["contract.already_terminated"]


def test_termination_messages_in_chinese(zh):
    messages = [p.message for p in check_termination("9", "", date(2026, 2, 1), YEAR_2025)]
    assert messages == [
        "解约原因为“其他”时须说明具体情况。",
        "解约日期须在签约周期（2025-01-01至2025-12-31）内。",
    ]


# --- Key populations


TODAY = date(2025, 6, 15)


def test_age_tags_turn_on_and_off_on_birthdays():
    def tags(born):
        return derive_key_populations(born, "2", [], [], TODAY)

    assert tags(date(1960, 6, 15)) == {"elderly_65"}  # 65 today
    assert tags(date(1960, 6, 16)) == set()  # 65 tomorrow
    assert tags(date(2018, 6, 16)) == {"child_0_6"}  # 7 tomorrow
    assert tags(date(2018, 6, 15)) == set()  # 7 today
    assert tags(TODAY) == {"child_0_6"}  # born today
    assert tags(TODAY + timedelta(days=1)) == set()  # a birth date in the future gives no tag


def test_a_leap_day_birthday_counts_from_1_march():
    assert derive_key_populations(date(1960, 2, 29), "1", [], [], date(2025, 2, 28)) == set()
    assert derive_key_populations(date(1960, 2, 29), "1", [], [], date(2025, 3, 1)) == {"elderly_65"}


def test_chronic_conditions_and_manual_tags():
    tags = derive_key_populations(date(1980, 1, 1), "2", ["02", "03", "04", "08", "09"], ["maternal", "poverty"], TODAY)
    assert tags == {
        KeyPopulation.HYPERTENSION,
        KeyPopulation.DIABETES,
        KeyPopulation.SEVERE_MENTAL,
        KeyPopulation.TUBERCULOSIS,
        KeyPopulation.MATERNAL,
        KeyPopulation.POVERTY,
    }


@pytest.mark.parametrize("tag", ["elderly_65", "child_0_6", "hypertension", "unknown"])
def test_derived_tags_cannot_be_entered_by_hand(tag):
    with pytest.raises(ValueError):
        derive_key_populations(date(1980, 1, 1), "2", [], [tag], TODAY)


def test_a_man_is_never_tagged_maternal(zh):
    assert derive_key_populations(date(1980, 1, 1), "1", [], ["maternal", "disabled"], TODAY) == {"disabled"}
    problems = check_manual_tags("1", ["maternal"])
    assert [(p.code, p.field) for p in problems] == [("contract.maternal_tag_male", "manual_population_tags")]
    assert problems[0].message == "男性不能标记为孕产妇，请核对性别或人群标签。"
    assert check_manual_tags("2", ["maternal"]) == []


# --- Coverage and numbers


def test_coverage_against_the_81_percent_target():
    assert KEY_POPULATION_COVERAGE_TARGET_PERCENT == 81
    short = coverage(80, 100)
    assert (short.rate, short.meets_target, short.still_to_sign) == (0.8, False, 1)
    assert coverage(81, 100).meets_target
    assert coverage(9, 11).still_to_sign == 0  # 81% of 11 is 8.91: 9 residents
    assert coverage(8, 11).still_to_sign == 1
    assert coverage(0, 0).rate is None


@pytest.mark.parametrize(("signed", "population"), [(-1, 10), (11, 10)])
def test_coverage_refuses_impossible_counts(signed, population):
    with pytest.raises(ValueError):
        coverage(signed, population)


def test_contract_number_format():
    assert make_contract_number("c0123", 2025, 42) == "C0123-QY2025-00042"
    with pytest.raises(ValueError):
        make_contract_number("C0123", 2025, 0)
    with pytest.raises(ValueError):
        make_contract_number("C-0123", 2025, 1)


# --- Properties

days = st.dates(date(1990, 1, 1), date(2100, 12, 31))
fen = st.integers(0, 10**8)


@given(days)
def test_default_period_ends_364_or_365_days_later(start):
    period = default_period(start)
    assert (period.end - period.start).days in (364, 365)
    assert period.end.year == start.year + 1 or (start.month, start.day) == (1, 1)


@given(fen, fen, fen)
def test_fee_parts_that_add_up_always_pass(insurance, public_health, self_paid):
    total = insurance + public_health + self_paid
    assert check_fee_split(total, insurance, public_health, self_paid) == []


@given(fen, fen, fen, st.integers(-(10**6), 10**6).filter(bool))
def test_any_fee_mismatch_fails(insurance, public_health, self_paid, error):
    total = insurance + public_health + self_paid + error
    assume(total >= 0)
    problems = check_fee_split(total, insurance, public_health, self_paid)
    assert codes(problems) == ["contract.fee_mismatch"]


@given(days, st.integers(-400, 800))
def test_a_renewal_never_overlaps_and_leaves_no_gap_if_signed_in_time(start, signed_after):
    previous = ContractTerms(*default_period(start))
    today = start + timedelta(days=signed_after)
    renewal = renewal_terms(previous, today)
    assert check_no_overlap([previous.period], renewal) == []
    assert renewal.start >= today
    if today <= previous.end:
        assert renewal.start == previous.end + timedelta(days=1)


@given(days, days, days, days)
def test_overlap_is_symmetric_and_matches_shared_days(a, b, c, d):
    first, second = Period(*sorted((a, b))), Period(*sorted((c, d)))
    shares_a_day = max(first.start, second.start) <= min(first.end, second.end)
    assert bool(check_no_overlap([first], second)) == shares_a_day
    assert bool(check_no_overlap([second], first)) == shares_a_day
