import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui.domain.problems import Severity
from clinic_tui.domain.vitals import (
    BMI_CATEGORY,
    VITAL_SIGNS,
    bmi,
    bmi_category,
    check_vitals,
)
from clinic_tui.i18n import set_language


def messages(problem):
    """The problem's message in Chinese and in English."""
    set_language("zh")
    chinese = problem.message
    set_language("en")
    return chinese, problem.message


def codes(problems):
    return [(problem.code, problem.field) for problem in problems]


def test_normal_vitals_raise_nothing():
    assert (
        check_vitals(
            systolic=128,
            diastolic=82,
            heart_rate=72,
            temperature=36.6,
            weight=64,
            height=168,
            fasting_glucose=5.6,
            random_glucose=7.8,
            postprandial_glucose=8.1,
            hba1c=6.2,
        )
        == []
    )


def test_nothing_measured_is_nothing_wrong():
    assert check_vitals() == []
    assert check_vitals(systolic=None, diastolic=None, weight=None) == []


def test_an_unknown_field_is_a_programming_error():
    with pytest.raises(TypeError, match="pulse"):
        check_vitals(pulse=70)


@pytest.mark.parametrize(
    "field, value",
    [
        ("systolic", 1400),
        ("systolic", 40),
        ("diastolic", 8),
        ("heart_rate", 720),
        ("temperature", 98.6),  # Fahrenheit
        ("temperature", 3.65),
        ("weight", 0),
        ("weight", 650),
        ("height", 1.68),  # metres
        ("fasting_glucose", 108),  # mg/dL
        ("fasting_glucose", 0.5),
        ("hba1c", 65),  # IFCC mmol/mol
        ("systolic", math.nan),
        ("temperature", math.inf),
    ],
)
def test_impossible_values_are_refused(field, value):
    [problem] = check_vitals(**{field: value})
    assert (problem.code, problem.severity, problem.field) == ("vitals.impossible", Severity.ERROR, field)


def test_impossible_message_names_the_vital_value_unit_and_range(zh_catalog):
    [problem] = check_vitals(systolic=1400)
    zh_message, en_message = messages(problem)
    assert zh_message.startswith("收缩压 1400 mmHg 不可能（合理范围 50～300）")
    assert en_message.startswith("Systolic pressure 1400 mmHg is not possible (possible: 50 to 300)")


def test_200_over_120_is_accepted_and_flagged_as_crisis_on_both_fields(zh_catalog):
    problems = check_vitals(systolic=200, diastolic=120)
    assert codes(problems) == [("vitals.bp_crisis", "systolic"), ("vitals.bp_crisis", "diastolic")]
    assert all(problem.severity is Severity.FLAG for problem in problems)
    zh_message, en_message = messages(problems[1])
    assert "舒张压 120 mmHg 已达高血压危象范围（≥110）" in zh_message
    assert "Diastolic pressure 120 mmHg is in the hypertensive crisis range (110 or higher)" in en_message


@pytest.mark.parametrize(
    "field, quiet, alarming, code, chinese, english",
    [
        (
            "systolic",
            179,
            180,
            "vitals.bp_crisis",
            "收缩压 180 mmHg 已达高血压危象范围",
            "crisis range (180 or higher)",
        ),
        ("diastolic", 109, 110, "vitals.bp_crisis", "舒张压 110 mmHg", "Diastolic pressure 110 mmHg"),
        ("systolic", 90, 89, "vitals.hypotension", "收缩压 89 mmHg 偏低（低于 90）", "is low (below 90)"),
        ("heart_rate", 100, 101, "vitals.tachycardia", "心率 101 次/分 偏快（超过 100）", "Heart rate 101 bpm is fast"),
        ("heart_rate", 50, 49, "vitals.bradycardia", "心率 49 次/分 偏慢（低于 50）", "is slow (below 50)"),
        ("temperature", 39.0, 39.1, "vitals.high_fever", "体温 39.1 ℃，属于高热", "39.1 °C is a high fever"),
        ("temperature", 35.0, 34.9, "vitals.hypothermia", "可能是低体温", "possible hypothermia"),
        ("fasting_glucose", 16.6, 16.7, "vitals.hyperglycaemia", "空腹血糖 16.7 mmol/L 过高", "dangerously high"),
        ("random_glucose", 16.6, 16.7, "vitals.hyperglycaemia", "随机血糖", "Random glucose"),
        ("postprandial_glucose", 16.6, 20.1, "vitals.hyperglycaemia", "餐后2小时血糖", "2-hour glucose"),
        (
            "fasting_glucose",
            4.0,
            3.9,
            "vitals.hypoglycaemia",
            "已达低血糖范围（≤3.9）",
            "hypoglycaemia range (3.9 or lower)",
        ),
    ],
)
def test_alarming_values_are_accepted_and_flagged_from_their_threshold_on(
    zh_catalog, field, quiet, alarming, code, chinese, english
):
    assert check_vitals(**{field: quiet}) == []
    [problem] = check_vitals(**{field: alarming})
    assert (problem.code, problem.severity, problem.field) == (code, Severity.FLAG, field)
    zh_message, en_message = messages(problem)
    assert chinese in zh_message
    assert english in en_message


@pytest.mark.parametrize("values", [{"heart_rate": 130}, {"heart_rate": 45}, {"systolic": 85, "diastolic": 55}])
def test_adult_only_flags_are_off_for_children(values):
    assert check_vitals(adult=False, **values) == []
    assert check_vitals(**values) != []


@pytest.mark.parametrize(
    "values, code",
    [
        ({"temperature": 39.5}, "vitals.high_fever"),
        ({"systolic": 190, "diastolic": 100}, "vitals.bp_crisis"),
        ({"random_glucose": 2.8}, "vitals.hypoglycaemia"),
    ],
)
def test_age_independent_flags_stay_on_for_children(values, code):
    assert [problem.code for problem in check_vitals(adult=False, **values)] == [code]


@pytest.mark.parametrize("systolic, diastolic", [(120, 130), (120, 120), (95, 100)])
def test_diastolic_must_be_below_systolic(zh_catalog, systolic, diastolic):
    problems = [p for p in check_vitals(systolic=systolic, diastolic=diastolic) if p.severity is Severity.ERROR]
    assert codes(problems) == [("vitals.diastolic_not_below_systolic", "diastolic")]
    zh_message, en_message = messages(problems[0])
    assert f"舒张压 {diastolic} 应低于收缩压 {systolic}，是不是填反了" in zh_message
    assert f"Diastolic pressure {diastolic} must be lower than systolic pressure {systolic}" in en_message


def test_a_refused_value_takes_no_part_in_cross_checks():
    assert codes(check_vitals(systolic=1400, diastolic=80)) == [("vitals.impossible", "systolic")]
    assert codes(check_vitals(weight=70, height=1.75)) == [("vitals.impossible", "height")]


@pytest.mark.parametrize(
    "systolic, diastolic, code, chinese, english",
    [
        (120, 105, "vitals.narrow_pulse_pressure", "脉压（收缩压减舒张压）只有 15 mmHg", "is only 15 mmHg"),
        (170, 60, "vitals.wide_pulse_pressure", "脉压（收缩压减舒张压）达 110 mmHg", "is 110 mmHg, unusually wide"),
    ],
)
def test_implausible_pulse_pressure_asks_for_confirmation(zh_catalog, systolic, diastolic, code, chinese, english):
    [problem] = check_vitals(systolic=systolic, diastolic=diastolic)
    assert (problem.code, problem.severity) == (code, Severity.WARNING)
    zh_message, en_message = messages(problem)
    assert chinese in zh_message
    assert english in en_message


@pytest.mark.parametrize("systolic, diastolic", [(100, 80), (160, 60)])
def test_pulse_pressure_of_20_and_100_is_fine(systolic, diastolic):
    assert check_vitals(systolic=systolic, diastolic=diastolic) == []


def test_bmi_is_kg_over_metres_squared_to_one_decimal():
    assert bmi(70, 175) == 22.9
    assert bmi(64, 168) == 22.7
    assert bmi(3.4, 50) == 13.6


@pytest.mark.parametrize("weight, height", [(0, 170), (70, 0), (-1, 170)])
def test_bmi_needs_positive_measurements(weight, height):
    with pytest.raises(ValueError):
        bmi(weight, height)


@pytest.mark.parametrize(
    "value, category",
    [
        (16.0, "underweight"),
        (18.4, "underweight"),
        (18.5, "normal"),
        (23.9, "normal"),
        (24.0, "overweight"),
        (27.9, "overweight"),
        (28.0, "obese"),
        (41.2, "obese"),
    ],
)
def test_bmi_categories_use_the_chinese_adult_cut_offs(value, category):
    assert bmi_category(value) == category


@pytest.mark.parametrize(
    "code, chinese, english",
    [
        ("underweight", "体重过低", "Underweight"),
        ("normal", "体重正常", "Normal weight"),
        ("overweight", "超重", "Overweight"),
        ("obese", "肥胖", "Obese"),
    ],
)
def test_bmi_category_labels(zh_catalog, code, chinese, english):
    set_language("zh")
    assert BMI_CATEGORY.label(code) == chinese
    set_language("en")
    assert BMI_CATEGORY.label(code) == english


def test_implausible_bmi_asks_to_check_weight_and_height(zh_catalog):
    [problem] = check_vitals(weight=6.5, height=170)
    assert (problem.code, problem.severity, problem.field) == ("vitals.bmi_implausible", Severity.WARNING, "bmi")
    zh_message, en_message = messages(problem)
    assert "体重指数为 2.2，不合常理" in zh_message
    assert "BMI of 2.2, which is not plausible" in en_message


def test_every_vital_name_is_translated(zh_catalog):
    set_language("zh")
    for name, sign in VITAL_SIGNS.items():
        [problem] = check_vitals(**{name: sign.highest_possible + 1})
        assert sign.label not in problem.message, f"{name}: {problem.message}"


@st.composite
def possible_readings(draw):
    name = draw(st.sampled_from(list(VITAL_SIGNS)))
    sign = VITAL_SIGNS[name]
    return name, draw(st.floats(sign.lowest_possible, sign.highest_possible))


@st.composite
def impossible_readings(draw):
    name = draw(st.sampled_from(list(VITAL_SIGNS)))
    sign = VITAL_SIGNS[name]
    value = draw(
        st.one_of(
            st.floats(max_value=sign.lowest_possible, exclude_max=True),
            st.floats(min_value=sign.highest_possible, exclude_min=True),
        )
    )
    return name, value


@given(possible_readings(), st.booleans())
def test_values_inside_the_possible_range_are_never_refused(reading, adult):
    name, value = reading
    problems = check_vitals(adult=adult, **{name: value})
    assert all(problem.severity is Severity.FLAG and problem.field == name for problem in problems)


@given(impossible_readings())
def test_values_outside_the_possible_range_are_always_refused(reading):
    name, value = reading
    assert codes(check_vitals(**{name: value})) == [("vitals.impossible", name)]


@given(st.integers(50, 300), st.integers(20, 200))
def test_diastolic_not_below_systolic_is_refused_exactly_when_it_is_so(systolic, diastolic):
    refused = "vitals.diastolic_not_below_systolic" in [
        p.code for p in check_vitals(systolic=systolic, diastolic=diastolic)
    ]
    assert refused == (diastolic >= systolic)


@given(st.floats(0, 100), st.floats(0, 100))
def test_bmi_categories_never_go_down_as_bmi_goes_up(a, b):
    order = BMI_CATEGORY.codes()
    low, high = sorted([a, b])
    assert order.index(bmi_category(low)) <= order.index(bmi_category(high))
