"""Hypertension and type 2 diabetes follow-up rules (基本公卫规范 第三版)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui import i18n
from clinic_tui.domain.followup import (
    CLASSIFICATION_LABELS,
    DIABETES_SIGNS,
    HYPERTENSION_SIGNS,
    BloodPressure,
    DiabetesReading,
    DiabetesThresholds,
    HypertensionThresholds,
    annual_status,
    check_doctor_decision,
    classify_diabetes,
    classify_hypertension,
    overdue,
    override_requires_reason,
)
from clinic_tui.domain.problems import Severity

PO_FILE = Path(i18n.__file__).with_name("locale") / "zh_CN" / "LC_MESSAGES" / "clinic_tui.po"
ON = date(2025, 3, 10)
IN_TWO_WEEKS = date(2025, 3, 24)
IN_THREE_MONTHS = date(2025, 6, 10)


@pytest.fixture
def zh():
    """Chinese messages from the shipped catalogue."""
    i18n.set_language("zh")
    yield
    i18n.translations.cache_clear()


def hypertension(
    systolic, diastolic, *, previous=None, age=50, reaction="none", complication=False,
    signs=(), on=ON, thresholds=HypertensionThresholds(),
):  # fmt: skip
    reading = BloodPressure(systolic, diastolic)
    return classify_hypertension(reading, previous, age, reaction, complication, signs, on=on, thresholds=thresholds)


def diabetes(
    fasting, *, previous=None, reaction="none", complication=False, signs=(), on=ON,
    thresholds=DiabetesThresholds(), **measurements,
):  # fmt: skip
    reading = DiabetesReading(fasting, **measurements)
    return classify_diabetes(reading, previous, reaction, complication, signs, on=on, thresholds=thresholds)


def codes(problems):
    return [p.code for p in problems]


# --- Hypertension


def test_controlled_hypertension_is_seen_again_in_three_months():
    result = hypertension(132, 84)
    assert result.classification == "1"
    assert not result.emergency_referral and not result.recommend_referral
    assert result.next_due == IN_THREE_MONTHS


@pytest.mark.parametrize(
    ("systolic", "diastolic", "age", "classification"),
    [
        (139, 89, 50, "1"),
        (140, 80, 50, "2"),
        (120, 90, 50, "2"),
        (149, 89, 65, "1"),  # 65 and over: below 150/90
        (150, 80, 65, "2"),
        (140, 80, 64, "2"),
        (130, 90, 80, "2"),
    ],
)
def test_control_thresholds_depend_on_age(systolic, diastolic, age, classification):
    assert hypertension(systolic, diastolic, age=age).classification == classification


def test_first_uncontrolled_reading_is_followed_up_within_two_weeks_without_referral():
    result = hypertension(150, 95, previous="1")
    assert (result.classification, result.next_due, result.recommend_referral) == (
        "2",
        IN_TWO_WEEKS,
        False,
    )


def test_uncontrolled_twice_in_a_row_recommends_referral():
    result = hypertension(150, 95, previous="2")
    assert codes(result.referral_reasons) == ["followup.uncontrolled_twice"]
    assert result.next_due == IN_TWO_WEEKS
    assert not hypertension(130, 80, previous="2").recommend_referral


def test_adverse_reactions():
    mild = hypertension(130, 80, reaction="present")
    assert (mild.classification, mild.next_due) == ("3", IN_TWO_WEEKS)
    assert not mild.recommend_referral
    hard = hypertension(130, 80, reaction="hard_to_control")
    assert hard.classification == "3"
    assert codes(hard.referral_reasons) == ["followup.reaction_hard_to_control"]


def test_a_new_or_worse_complication_wins_and_recommends_referral():
    result = hypertension(150, 95, previous="2", reaction="present", complication=True)
    assert result.classification == "4"
    assert codes(result.referral_reasons) == [
        "followup.uncontrolled_twice",
        "followup.complication_change",
    ]


@pytest.mark.parametrize(("systolic", "diastolic"), [(180, 100), (150, 110), (200, 120)])
def test_very_high_blood_pressure_is_an_emergency(systolic, diastolic):
    result = hypertension(systolic, diastolic)
    assert codes(result.emergency_reasons) == ["followup.blood_pressure_high"]
    assert result.emergency_reasons[0].severity is Severity.FLAG
    assert result.next_due == IN_TWO_WEEKS


def test_just_below_the_emergency_limits_is_not_an_emergency():
    assert not hypertension(179, 109).emergency_referral


def test_emergency_signs_are_reasons_in_a_stable_order():
    result = hypertension(130, 80, signs={"chest_tightness", "altered_consciousness"})
    assert codes(result.emergency_reasons) == [
        "followup.sign.altered_consciousness",
        "followup.sign.chest_tightness",
    ]
    assert result.classification == "1"  # control is judged on the reading alone
    assert result.next_due == IN_TWO_WEEKS  # the referral is followed up within 2 weeks


def test_a_sign_of_another_disease_is_refused():
    with pytest.raises(ValueError):
        hypertension(130, 80, signs={"acetone_breath"})
    with pytest.raises(ValueError):
        hypertension(130, 80, signs={"not_a_sign"})


def test_thresholds_are_configurable():
    strict = HypertensionThresholds(controlled_below=(130, 90), emergency_from=(170, 110))
    assert hypertension(135, 80, thresholds=strict).classification == "2"
    assert hypertension(172, 80, thresholds=strict).emergency_referral


def test_three_months_from_the_end_of_a_month_is_the_end_of_a_shorter_month():
    assert hypertension(120, 80, on=date(2025, 11, 30)).next_due == date(2026, 2, 28)
    assert hypertension(120, 80, on=date(2023, 11, 30)).next_due == date(2024, 2, 29)


@pytest.mark.parametrize(("previous", "reaction"), [("7", "none"), (None, "severe")])
def test_unknown_codes_are_refused(previous, reaction):
    with pytest.raises(ValueError):
        hypertension(130, 80, previous=previous, reaction=reaction)


def test_reasons_and_labels_in_chinese_and_english(zh):
    result = hypertension(185, 100, signs={"raised_in_pregnancy"})
    assert [p.message for p in result.emergency_reasons] == [
        "血压185/100 mmHg：收缩压≥180 mmHg和/或舒张压≥110 mmHg。",
        "妊娠期或哺乳期血压或血糖高于正常",
    ]
    assert i18n._(CLASSIFICATION_LABELS[result.classification]) == "控制不满意"
    assert hypertension(150, 95, previous="2").referral_reasons[0].message == "连续两次随访控制不满意。"
    i18n.set_language("en")
    assert result.emergency_reasons[0].message == (
        "Blood pressure 185/100 mmHg: systolic 180 or more, or diastolic 110 or more."
    )


# --- Diabetes


@pytest.mark.parametrize(("fasting", "classification"), [(6.9, "1"), (7.0, "2"), (12.0, "2")])
def test_diabetes_control_is_fasting_glucose_below_7(fasting, classification):
    assert diabetes(fasting).classification == classification


@pytest.mark.parametrize(
    ("fasting", "reading", "code"),
    [
        (16.7, {}, "followup.glucose_high"),
        (8.0, {"postprandial_glucose": 20.1}, "followup.glucose_high"),
        (3.9, {}, "followup.glucose_low"),
        (6.0, {"blood_pressure": BloodPressure(182, 90)}, "followup.blood_pressure_high"),
        (6.0, {"heart_rate": 101}, "followup.heart_rate_high"),
        (6.0, {"temperature": 39.1}, "followup.fever"),
    ],
)
def test_diabetes_emergencies(fasting, reading, code):
    assert codes(diabetes(fasting, **reading).emergency_reasons) == [code]


def test_diabetes_readings_at_the_limits_are_not_emergencies():
    limits = {"blood_pressure": BloodPressure(179, 109), "heart_rate": 100, "temperature": 39.0}
    result = diabetes(16.6, postprandial_glucose=4.0, **limits)
    assert result.emergency_reasons == ()


def test_diabetes_signs():
    result = diabetes(6.0, signs={"acetone_breath", "deep_breathing"})
    assert codes(result.emergency_reasons) == [
        "followup.sign.acetone_breath",
        "followup.sign.deep_breathing",
    ]
    with pytest.raises(ValueError):
        diabetes(6.0, signs={"eye_pain"})
    assert "eye_pain" in HYPERTENSION_SIGNS and "eye_pain" not in DIABETES_SIGNS


def test_diabetes_twice_uncontrolled_and_configurable_threshold():
    assert codes(diabetes(8.0, previous="2").referral_reasons) == ["followup.uncontrolled_twice"]
    lenient = DiabetesThresholds(controlled_fasting_below=8.0)
    assert diabetes(7.5, thresholds=lenient).classification == "1"


def test_diabetes_messages_in_chinese(zh):
    result = diabetes(2.8, heart_rate=112, temperature=39.5)
    assert [p.message for p in result.emergency_reasons] == [
        "血糖2.8 mmol/L：≤3.9 mmol/L。",
        "心率112次/分，超过100次/分：如持续不降须紧急转诊。",
        "体温39.5℃，超过39.0℃。",
    ]


# --- The doctor decides


def test_agreeing_with_the_suggestion_needs_no_reason():
    assessment = hypertension(150, 95)
    assert not override_requires_reason(assessment, "2", referred=False)
    assert check_doctor_decision(assessment, "2", False, None) == []


def test_another_classification_needs_a_reason(zh):
    assessment = hypertension(150, 95)
    assert override_requires_reason(assessment, "1", referred=False)
    problems = check_doctor_decision(assessment, "1", False, "  ")
    assert [(p.code, p.field) for p in problems] == [("followup.override_reason_missing", "override_reason")]
    assert problems[0].message == "随访分类与系统建议不同，请填写原因。"
    assert check_doctor_decision(assessment, "1", False, "复测血压138/86") == []


def test_declining_a_suggested_referral_needs_a_reason():
    emergency = hypertension(190, 100)
    assert codes(check_doctor_decision(emergency, "2", False, "")) == ["followup.referral_declined_reason_missing"]
    assert check_doctor_decision(emergency, "2", True, "") == []
    both = codes(check_doctor_decision(hypertension(150, 95, previous="2"), "1", False, None))
    assert both == ["followup.override_reason_missing", "followup.referral_declined_reason_missing"]


def test_the_doctor_must_choose_a_known_classification():
    assert codes(check_doctor_decision(hypertension(120, 80), "5", False, "x")) == ["followup.classification_unknown"]


# --- Yearly count and overdue


def test_four_face_to_face_follow_ups_a_year():
    dates = [date(2025, 1, 5), date(2025, 4, 5), date(2025, 4, 5), date(2025, 7, 5)]
    dates.append(date(2024, 12, 30))  # last year's
    short = annual_status(dates, 2025)
    assert (short.face_to_face, short.met, short.remaining) == (3, False, 1)  # same day counts once
    done = annual_status([*dates, date(2025, 10, 5)], 2025)
    assert (done.face_to_face, done.met, done.remaining) == (4, True, 0)


def test_overdue_only_after_the_due_day():
    assert not overdue(date(2025, 3, 24), date(2025, 3, 24))
    assert overdue(date(2025, 3, 24), date(2025, 3, 25))


# --- Properties

pressures = st.tuples(st.integers(70, 260), st.integers(40, 150))
context = st.fixed_dictionaries(
    {
        "previous": st.sampled_from([None, "1", "2", "3", "4"]),
        "age": st.integers(18, 100),
        "reaction": st.sampled_from(["none", "present", "hard_to_control"]),
        "complication": st.booleans(),
        "signs": st.sets(st.sampled_from(sorted(HYPERTENSION_SIGNS)), max_size=2),
        "on": st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    }
)


@given(pressures, st.integers(0, 60), st.integers(0, 40), context)
def test_raising_blood_pressure_never_looks_more_controlled(pressure, rise, diastolic_rise, ctx):
    lower = hypertension(*pressure, **ctx)
    higher = hypertension(pressure[0] + rise, pressure[1] + diastolic_rise, **ctx)
    assert higher.classification >= lower.classification  # codes "1".."4" grow with severity
    assert higher.emergency_referral >= lower.emergency_referral
    assert higher.recommend_referral >= lower.recommend_referral
    assert higher.next_due <= lower.next_due


@given(st.floats(1.0, 30.0), st.floats(0.0, 10.0), st.sampled_from([None, "1", "2"]))
def test_raising_fasting_glucose_never_looks_more_controlled(fasting, rise, previous):
    lower = diabetes(fasting, previous=previous)
    higher = diabetes(fasting + rise, previous=previous)
    assert higher.classification >= lower.classification
    assert higher.recommend_referral >= lower.recommend_referral


@given(pressures, context)
def test_next_due_is_two_weeks_or_about_three_months(pressure, ctx):
    result = hypertension(*pressure, **ctx)
    gap = result.next_due - ctx["on"]
    if result.classification == "1" and not result.emergency_referral:
        assert 89 <= gap.days <= 92
        assert not result.recommend_referral
    else:
        assert gap == timedelta(days=14)


def test_an_adverse_reaction_must_say_what_it_was_and_none_needs_nothing():
    from clinic_tui.domain.followup import check_adverse_reaction

    (problem,) = check_adverse_reaction("present", "  ")
    assert (problem.code, problem.field) == ("followup.adverse_reaction_unexplained", "adverse_reaction_note")
    assert check_adverse_reaction("hard_to_control", None)
    assert check_adverse_reaction("present", "metformin: nausea") == []
    assert check_adverse_reaction("none", None) == []
