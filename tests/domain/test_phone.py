import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui.domain.phone import PhoneKind, validate_phone
from clinic_tui.domain.problems import Severity
from clinic_tui.i18n import set_language

MOBILE, LANDLINE = PhoneKind.MOBILE, PhoneKind.LANDLINE


def messages(problem):
    """The problem's message in Chinese and in English."""
    set_language("zh")
    chinese = problem.message
    set_language("en")
    return chinese, problem.message


@pytest.mark.parametrize(
    "typed, normalized, kind",
    [
        ("13812345678", "13812345678", MOBILE),
        ("138 1234 5678", "13812345678", MOBILE),
        ("138-1234-5678", "13812345678", MOBILE),
        ("1381234-5678", "13812345678", MOBILE),  # a dash, but no extension
        ("+86 138 1234 5678", "13812345678", MOBILE),
        ("+8613812345678", "13812345678", MOBILE),
        ("0086 13812345678", "13812345678", MOBILE),
        ("8613812345678", "13812345678", MOBILE),
        ("１３８１２３４５６７８", "13812345678", MOBILE),  # full-width digits
        ("19912345678", "19912345678", MOBILE),
        ("010-62345678", "010-62345678", LANDLINE),
        ("01062345678", "010-62345678", LANDLINE),
        ("(020) 8765 4321", "020-87654321", LANDLINE),
        ("（0571）8888 7777", "0571-88887777", LANDLINE),  # full-width brackets
        ("0571-8888777", "0571-8888777", LANDLINE),  # 7-digit local number
        ("0571.88887777", "0571-88887777", LANDLINE),
        ("+86 10 62345678", "010-62345678", LANDLINE),
        ("+86 571 88887777", "0571-88887777", LANDLINE),
        ("+86 (0)571 88887777", "0571-88887777", LANDLINE),
        ("010-62345678-123", "010-62345678-123", LANDLINE),
        ("010-62345678转123", "010-62345678-123", LANDLINE),
        ("010 62345678 分机 123", "010-62345678-123", LANDLINE),
        ("010-62345678 ext. 9", "010-62345678-9", LANDLINE),
        ("010-62345678 x9", "010-62345678-9", LANDLINE),
        ("0571 8888777#12", "0571-8888777-12", LANDLINE),
    ],
)
def test_accepted_numbers_and_their_normal_form(typed, normalized, kind):
    check = validate_phone(typed)
    assert check.problems == []
    assert check.ok
    assert (check.normalized, check.kind) == (normalized, kind)


@pytest.mark.parametrize(
    "typed, code, chinese, english",
    [
        ("", "phone.empty", "请填写电话号码", "Enter a phone number"),
        (" - ", "phone.empty", "请填写电话号码", "Enter a phone number"),
        ("+86", "phone.empty", "请填写电话号码", "Enter a phone number"),
        ("138abc45678", "phone.characters", "不能有“a”", "“a” cannot be part"),
        ("138*1234*5678", "phone.characters", "不能有“*”", "“*” cannot be part"),
        ("138+12345678", "phone.characters", "不能有“+”", "“+” cannot be part"),
        ("+852 9123 4567", "phone.foreign", "中国大陆（+86）", "mainland China (+86)"),
        ("001 212 5550100", "phone.foreign", "中国大陆（+86）", "mainland China (+86)"),
        ("1381234567", "phone.mobile_too_short", "现在是 10 位", "this one 10"),
        ("138123456789", "phone.mobile_too_long", "现在是 12 位", "this one 12"),
        ("12345678901", "phone.mobile_prefix", "没有以 12 开头的手机号", "12 is not a mobile prefix"),
        ("13812345678 转 8", "phone.mobile_extension", "手机号没有分机号", "no extension"),
        ("011-62345678", "phone.area_code", "011 不是区号", "011 is not an area code"),
        ("0", "phone.area_code", "0 不是区号", "0 is not an area code"),
        ("010-6234567", "phone.landline_length", "应为 8 位，现在是 7 位", "has 8 digits; this one has 7"),
        ("0571-888877", "phone.landline_length", "应为 7-8 位，现在是 6 位", "7-8 digits; this one has 6"),
        ("021-012345678", "phone.landline_length", "区号 021", "area code 021"),
        ("0210-1234567", "phone.landline_first_digit", "不能以 0 开头", "cannot start with 0"),
        ("0571-1234567", "phone.landline_first_digit", "不能以 1 开头", "cannot start with 1"),
        ("8888 7777", "phone.missing_area_code", "加上区号", "without its area code"),
        ("6234567", "phone.missing_area_code", "加上区号", "without its area code"),
        ("8623456", "phone.missing_area_code", "加上区号", "without its area code"),  # not +86
        ("23812345678", "phone.first_digit", "以 2 开头", "starts with 2"),
        ("912", "phone.first_digit", "以 9 开头", "starts with 9"),
    ],
)
def test_each_way_of_being_wrong_has_its_own_code_and_message(zh_catalog, typed, code, chinese, english):
    check = validate_phone(typed)
    assert [problem.code for problem in check.problems] == [code]
    assert (check.normalized, check.kind, check.ok) == (None, None, False)
    problem = check.problems[0]
    assert (problem.severity, problem.field) == (Severity.ERROR, "phone")
    zh_message, en_message = messages(problem)
    assert chinese in zh_message
    assert english in en_message


def test_a_short_mobile_with_a_bad_prefix_reports_both():
    codes = [problem.code for problem in validate_phone("1212").problems]
    assert codes == ["phone.mobile_too_short", "phone.mobile_prefix"]


def test_problems_name_the_field_they_were_asked_for():
    [problem] = validate_phone("138", field="emergency_contact_phone").problems
    assert problem.field == "emergency_contact_phone"


mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
separators = st.sampled_from(["", " ", "-"])


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"]), separators)
def test_any_way_of_writing_a_mobile_gives_its_11_digits(mobile, prefix, separator):
    typed = prefix + separator.join([mobile[:3], mobile[3:7], mobile[7:]])
    check = validate_phone(typed)
    assert (check.normalized, check.kind) == (mobile, MOBILE)


area_and_lengths = st.one_of(
    st.just("010").map(lambda area: (area, 8)),
    st.sampled_from("0123456789").map(lambda digit: ("02" + digit, 8)),
    st.tuples(
        st.text(alphabet="3456789", min_size=1, max_size=1),
        st.text(alphabet="0123456789", min_size=2, max_size=2),
        st.sampled_from([7, 8]),
    ).map(lambda parts: ("0" + parts[0] + parts[1], parts[2])),
)


@st.composite
def landlines(draw):
    area, length = draw(area_and_lengths)
    first = draw(st.sampled_from("23456789"))
    rest = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    return area, first + rest


@given(landlines(), st.sampled_from(["{a}-{n}", "{a}{n}", "({a}) {n}", "+86 {a1} {n}"]))
def test_any_way_of_writing_a_landline_gives_area_dash_number(landline, layout):
    area, number = landline
    check = validate_phone(layout.format(a=area, a1=area[1:], n=number))
    assert (check.normalized, check.kind) == (f"{area}-{number}", LANDLINE)


@given(landlines(), st.text(alphabet="0123456789", min_size=1, max_size=5), st.sampled_from(["-", "转", " ext ", "#"]))
def test_extensions_are_kept_after_a_dash(landline, extension, marker):
    area, number = landline
    check = validate_phone(f"{area}-{number}{marker}{extension}")
    assert check.normalized == f"{area}-{number}-{extension}"


@given(st.text(max_size=20))
def test_normalizing_is_idempotent_and_never_fails_loudly(text):
    check = validate_phone(text)
    assert check.ok == (check.normalized is not None) == (check.kind is not None)
    if check.ok:
        again = validate_phone(check.normalized)
        assert (again.normalized, again.kind) == (check.normalized, check.kind)
