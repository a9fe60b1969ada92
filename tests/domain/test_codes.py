import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui.domain.codes import (
    CHRONIC_CONDITION,
    ID_DOCUMENT_TYPE,
    INSURANCE_TYPE,
    KEY_POPULATION,
    SEX,
    VISIT_MODE,
    CodeSet,
)
from clinic_tui.domain.contract import KeyPopulation
from clinic_tui.i18n import set_language

ALL_SETS = [SEX, ID_DOCUMENT_TYPE, CHRONIC_CONDITION, INSURANCE_TYPE, VISIT_MODE, KEY_POPULATION]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "code_set, codes",
    [
        (SEX, ("0", "1", "2", "9")),
        (ID_DOCUMENT_TYPE, ("01", "02", "03", "04", "05", "06", "07", "99")),
        (CHRONIC_CONDITION, ("02", "03", "04", "05", "06", "07", "08", "09", "99")),
        (INSURANCE_TYPE, ("1", "2", "9")),
        (VISIT_MODE, ("1", "2", "3", "4")),
        (
            KEY_POPULATION,
            (
                "elderly_65",
                "child_0_6",
                "maternal",
                "disabled",
                "hypertension",
                "diabetes",
                "severe_mental",
                "tuberculosis",
                "poverty",
            ),
        ),
    ],
)
def test_codes_are_the_stored_ones_in_order(code_set, codes):
    # Codes are stored and synced: changing one breaks every record that holds it.
    assert code_set.codes() == codes


@pytest.mark.parametrize(
    "code_set, code, chinese, english",
    [
        (SEX, "0", "未知的性别", "Sex unknown"),
        (SEX, "1", "男", "Male"),
        (SEX, "2", "女", "Female"),
        (SEX, "9", "未说明的性别", "Sex not stated"),
        (ID_DOCUMENT_TYPE, "01", "居民身份证", "Resident identity card"),
        (ID_DOCUMENT_TYPE, "02", "户口簿", "Household register"),
        (ID_DOCUMENT_TYPE, "06", "港澳通行证", "Hong Kong/Macao travel permit"),
        (ID_DOCUMENT_TYPE, "99", "其他", "Other"),
        (CHRONIC_CONDITION, "02", "高血压", "Hypertension"),
        (CHRONIC_CONDITION, "05", "慢性阻塞性肺疾病", "Chronic obstructive pulmonary disease"),
        (CHRONIC_CONDITION, "08", "重性精神疾病", "Severe mental illness"),
        (INSURANCE_TYPE, "1", "城镇职工基本医疗保险", "Urban employee basic medical insurance"),
        (INSURANCE_TYPE, "2", "城乡居民基本医疗保险", "Urban and rural resident basic medical insurance"),
        (VISIT_MODE, "1", "门诊", "Clinic visit"),
        (VISIT_MODE, "4", "巡诊", "Village round"),
        (KEY_POPULATION, "elderly_65", "65岁及以上老年人", "Elderly (65 and over)"),
        (KEY_POPULATION, "poverty", "脱贫人口", "Poverty-alleviated population"),
    ],
)
def test_label_follows_the_current_language(zh_catalog, code_set, code, chinese, english):
    set_language("zh")
    assert code_set.label(code) == chinese
    set_language("en")
    assert code_set.label(code) == english


@pytest.mark.parametrize("code_set", ALL_SETS, ids=lambda code_set: code_set.name)
def test_every_label_has_a_chinese_translation(zh_catalog, code_set):
    set_language("zh")
    for code, label in code_set.items():
        assert CHINESE.search(label), f"{code_set.name} {code}: {label!r} is not translated"


def test_items_are_code_label_pairs_in_table_order(zh_catalog):
    set_language("en")
    assert VISIT_MODE.items() == [
        ("1", "Clinic visit"),
        ("2", "Home visit"),
        ("3", "Phone call"),
        ("4", "Village round"),
    ]
    set_language("zh")
    assert VISIT_MODE.items() == [("1", "门诊"), ("2", "家庭"), ("3", "电话"), ("4", "巡诊")]


def test_key_population_codes_are_the_contract_tags():
    assert set(KEY_POPULATION.codes()) == {tag.value for tag in KeyPopulation}


def test_is_valid():
    assert ID_DOCUMENT_TYPE.is_valid("01")
    assert not ID_DOCUMENT_TYPE.is_valid("1")
    assert not ID_DOCUMENT_TYPE.is_valid("")
    assert not CHRONIC_CONDITION.is_valid("01")  # CV02.10.006 "none" is not a condition


def test_label_of_an_unknown_code_raises_key_error_naming_the_set():
    with pytest.raises(KeyError, match="GB/T 2261.1"):
        SEX.label("3")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    "text, code",
    [
        ("1", "1"),
        (" 2 ", "2"),
        ("１", "1"),  # full-width digit from a Chinese input method
        ("男", "1"),
        ("女", "2"),
        ("Male", "1"),
        ("female", "2"),
        ("  SEX NOT STATED ", "9"),
        ("未说明的性别", "9"),
    ],
)
def test_parse_accepts_the_code_or_a_label_in_either_language(zh_catalog, language, text, code):
    set_language(language)
    assert SEX.parse(text) == code


@pytest.mark.parametrize("text", ["", "  ", "3", "man", "男性化", "01"])
def test_parse_gives_none_for_anything_else(zh_catalog, text):
    assert SEX.parse(text) is None


@pytest.mark.parametrize("code_set", ALL_SETS, ids=lambda code_set: code_set.name)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_label_parses_back_to_its_code(zh_catalog, code_set, language):
    set_language(language)
    for code, label in code_set.items():
        assert code_set.parse(label) == code
        assert code_set.parse(code) == code


def test_duplicate_codes_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        CodeSet("broken", (("1", "Male"), ("1", "Female")))


def test_code_sets_cannot_be_changed():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SEX.entries = ()


@given(st.sampled_from(ALL_SETS), st.text(max_size=12))
def test_parse_of_any_text_is_none_or_a_valid_code(code_set, text):
    parsed = code_set.parse(text)
    assert parsed is None or code_set.is_valid(parsed)
