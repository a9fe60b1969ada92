from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui.domain.idnumber import (
    check_character,
    compare_with_entered,
    mask_citizen_id,
    validate_citizen_id,
)
from clinic_tui.domain.problems import Severity
from clinic_tui.i18n import set_language

TODAY = date(2025, 6, 1)
STANDARD_EXAMPLE = "11010519491231002X"  # from GB 11643: a woman born 1949-12-31

addresses = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


@st.composite
def valid_ids(draw, births=st.dates(min_value=date(1900, 1, 1), max_value=TODAY)):
    return with_check(draw(addresses) + draw(births).strftime("%Y%m%d") + draw(sequences))


def messages(problem):
    """The problem's message in Chinese and in English."""
    set_language("zh")
    chinese = problem.message
    set_language("en")
    return chinese, problem.message


@pytest.mark.parametrize(
    "first17, expected",
    [
        (STANDARD_EXAMPLE[:17], "X"),
        ("44030119800101001", "8"),  # weighted sum 158, mod 11 = 4
        ("44030119800101005", "0"),  # 166 mod 11 = 1
        ("44030119800101018", "1"),  # 176 mod 11 = 0
        ("44030119800101019", "X"),  # 178 mod 11 = 2
    ],
)
def test_check_character(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310023", "1101051949123100A", "１" * 17])
def test_check_character_needs_exactly_17_ascii_digits(bad):
    with pytest.raises(ValueError):
        check_character(bad)


def test_the_standard_example_is_valid_and_tells_birth_date_and_sex():
    check = validate_citizen_id(STANDARD_EXAMPLE, TODAY)
    assert check.ok
    assert check.problems == []
    assert check.normalized == STANDARD_EXAMPLE
    assert check.birth_date == date(1949, 12, 31)
    assert check.sex == "2"  # sequence 002 is even
    assert check.upgraded_from_15 is False


@pytest.mark.parametrize(
    "typed",
    ["11010519491231002x", " 11010519491231002X ", "110105 19491231 002X", "１１０１０５１９４９１２３１００２ｘ"],
)
def test_lower_case_x_spaces_and_full_width_input_are_accepted(typed):
    assert validate_citizen_id(typed, TODAY).normalized == STANDARD_EXAMPLE


def test_odd_sequence_means_male():
    check = validate_citizen_id(with_check("11010519800101001"), TODAY)
    assert check.sex == "1"


@pytest.mark.parametrize("address", ["000000", "999999", "110105", "512926"])
def test_address_code_is_never_checked(address):
    # 512926 was a county of Sichuan before Chongqing split off: historical codes stay valid.
    assert validate_citizen_id(with_check(address + "19800101001"), TODAY).ok


def test_birth_dates_today_and_on_1_january_1900_are_accepted():
    assert validate_citizen_id(with_check("110105" + "20250601" + "001"), TODAY).ok
    assert validate_citizen_id(with_check("110105" + "19000101" + "001"), TODAY).ok


@pytest.mark.parametrize(
    "text, code, chinese, english",
    [
        ("", "id.empty", "请填写身份证号", "Enter the citizen ID number"),
        ("   ", "id.empty", "改选其他证件类型", "choose another document type"),
        ("11010519491231002", "id.length", "现在是 17 位", "this one has 17"),
        ("1101051949123100200", "id.length", "应为18位", "this one has 19"),
        ("1101A519491231002X", "id.character", "第 5 位的“A”", "“A” at position 5"),
        ("110105-19491231002", "id.character", "第 7 位的“-”", "“-” at position 7"),
        ("1101051949123100X2", "id.x_not_last", "现在在第 17 位", "it is at position 17"),
        ("11010549123100X", "id.x_not_last", "第 15 位", "position 15"),
        (with_check("11010519990230002"), "id.birth_date_invalid", "19990230 不存在", "19990230, is not a real date"),
        (with_check("11010519991301002"), "id.birth_date_invalid", "19991301", "19991301"),
        (
            with_check("11010520250602002"),
            "id.birth_date_future",
            "2025-06-02 晚于今天",
            "2025-06-02, is in the future",
        ),
        (with_check("11010518991231002"), "id.birth_date_too_early", "早于 1900 年", "1899-12-31, is before 1900"),
        ("110105194912310021", "id.checksum", "校验位不符", "has a typo"),
    ],
)
def test_each_way_of_being_wrong_has_its_own_code_and_message(zh_catalog, text, code, chinese, english):
    check = validate_citizen_id(text, TODAY)
    assert [problem.code for problem in check.problems] == [code]
    assert not check.ok
    assert (check.normalized, check.birth_date, check.sex) == (None, None, None)
    problem = check.problems[0]
    assert problem.severity is Severity.ERROR
    assert problem.field == "id_number"
    zh_message, en_message = messages(problem)
    assert chinese in zh_message
    assert english in en_message


def test_wrong_length_and_wrong_character_are_both_reported():
    check = validate_citizen_id("1101A5", TODAY)
    assert [problem.code for problem in check.problems] == ["id.character", "id.length"]


def test_checksum_message_never_reveals_the_right_character(zh_catalog):
    # The right last character here is "X"; the message must not offer it (nor any digit).
    problem = validate_citizen_id("110105194912310021", TODAY).problems[0]
    assert problem.params == {}
    for message in messages(problem):
        assert "X" not in message
        assert not any(character.isdigit() for character in message)


def test_a_legacy_15_digit_number_is_upgraded_with_a_warning(zh_catalog):
    check = validate_citizen_id("110105491231002", TODAY)
    assert check.ok
    assert check.normalized == STANDARD_EXAMPLE
    assert check.upgraded_from_15 is True
    assert check.birth_date == date(1949, 12, 31)
    assert [(p.code, p.severity) for p in check.problems] == [("id.upgraded", Severity.WARNING)]
    zh_message, en_message = messages(check.problems[0])
    assert "已将15位旧身份证号升级为18位" in zh_message
    assert "converted to 18 digits" in en_message


def test_a_legacy_number_with_an_impossible_date_is_refused():
    check = validate_citizen_id("110105990230002", TODAY)
    assert not check.ok
    assert check.upgraded_from_15 is True
    assert "id.birth_date_invalid" in [problem.code for problem in check.problems]


def test_entered_sex_and_birth_date_that_agree_give_no_warning():
    check = validate_citizen_id(STANDARD_EXAMPLE, TODAY)
    assert compare_with_entered(check, "2", date(1949, 12, 31)) == []
    assert compare_with_entered(check, None, None) == []


@pytest.mark.parametrize("unknown_sex", ["0", "9"])
def test_unknown_or_unstated_sex_does_not_conflict(unknown_sex):
    check = validate_citizen_id(STANDARD_EXAMPLE, TODAY)
    assert compare_with_entered(check, unknown_sex, None) == []


@pytest.mark.parametrize(
    "first17, entered, chinese, english",
    [
        ("11010519800101001", "2", "身份证号显示是男性", "belongs to a man"),
        ("11010519800101002", "1", "身份证号显示是女性", "belongs to a woman"),
    ],
)
def test_entered_sex_that_disagrees_is_a_warning(zh_catalog, first17, entered, chinese, english):
    check = validate_citizen_id(with_check(first17), TODAY)
    [problem] = compare_with_entered(check, entered, None)
    assert (problem.code, problem.severity, problem.field) == ("id.sex_mismatch", Severity.WARNING, "sex")
    zh_message, en_message = messages(problem)
    assert chinese in zh_message
    assert english in en_message


def test_entered_birth_date_that_disagrees_is_a_warning(zh_catalog):
    check = validate_citizen_id(STANDARD_EXAMPLE, TODAY)
    [problem] = compare_with_entered(check, "2", date(1949, 12, 30))
    assert (problem.code, problem.severity, problem.field) == (
        "id.birth_date_mismatch",
        Severity.WARNING,
        "birth_date",
    )
    zh_message, en_message = messages(problem)
    assert "1949-12-30 与身份证号里的 1949-12-31 不一致" in zh_message
    assert "1949-12-30, differs from the one in the ID number, 1949-12-31" in en_message


def test_an_invalid_number_is_not_compared():
    check = validate_citizen_id("110105194912310021", TODAY)
    assert compare_with_entered(check, "1", date(2000, 1, 1)) == []


@pytest.mark.parametrize(
    "number, masked",
    [
        (STANDARD_EXAMPLE, "1101**********002X"),
        ("110105491231002", "1101*******1002"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_hides_the_middle(number, masked):
    assert mask_citizen_id(number) == masked


@given(valid_ids())
def test_any_generated_body_with_a_real_date_gets_a_check_character_that_validates(number):
    check = validate_citizen_id(number, TODAY)
    assert check.ok
    assert check.normalized == number
    assert check.birth_date.strftime("%Y%m%d") == number[6:14]


@given(valid_ids())
def test_sex_follows_the_parity_of_the_17th_digit(number):
    expected = "1" if int(number[16]) % 2 else "2"
    assert validate_citizen_id(number, TODAY).sex == expected


@given(valid_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_changing_any_single_character_makes_a_valid_number_invalid(number, position, replacement):
    if number[position] == replacement:
        return
    altered = number[:position] + replacement + number[position + 1 :]
    assert not validate_citizen_id(altered, TODAY).ok


@given(valid_ids(), st.integers(min_value=0, max_value=16))
def test_swapping_two_different_neighbours_is_caught(number, position):
    if number[position] == number[position + 1] or position + 1 == 17:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert not validate_citizen_id(swapped, TODAY).ok


@given(addresses, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_legacy_numbers_upgrade_to_valid_18_character_numbers(address, born, sequence):
    legacy = address + born.strftime("%y%m%d") + sequence
    upgraded = validate_citizen_id(legacy, TODAY)
    assert upgraded.ok and upgraded.upgraded_from_15
    assert upgraded.normalized[:6] == address and upgraded.birth_date == born
    again = validate_citizen_id(upgraded.normalized, TODAY)
    assert again.ok and not again.upgraded_from_15
    assert (again.birth_date, again.sex) == (upgraded.birth_date, upgraded.sex)


@given(st.text(max_size=25))
def test_any_text_gives_either_a_usable_number_or_an_error(text):
    check = validate_citizen_id(text, TODAY)
    assert check.ok == (check.normalized is not None)
    if check.ok:
        assert len(check.normalized) == 18 and check.birth_date <= TODAY
