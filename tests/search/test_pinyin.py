"""Pinyin keys of names and the classification of typed queries."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_tui.search.pinyin import (
    NameKeys,
    QueryKind,
    classify_query,
    name_keys,
    normalize_query,
    text_keys,
)

# The readings are written out here, not taken from the module's table, so that a wrong or
# missing entry in the table fails the test. 小明 is read "xiaoming".
SURNAMES = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "翟": "zhai",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "乐": "yue",
    "覃": "qin",
    "重": "chong",
    "华": "hua",
    "任": "ren",
    "黑": "he",
    "种": "chong",
    "秘": "bi",
    "员": "yun",
    "葛": "ge",
    "召": "shao",
    "宿": "su",
    "折": "she",
    "那": "na",
    "燕": "yan",
    "阚": "kan",
    "蔺": "lin",
    "隗": "wei",
    "过": "guo",
    "句": "gou",
    "繁": "po",
    "能": "nai",
    "薄": "bo",
    "都": "du",
    "角": "jue",
    "粘": "nian",
    "祭": "zhai",
    "佴": "nai",
    "乜": "nie",
    "颉": "xie",
    "炅": "gui",
}

COMPOUND_NAMES = {
    "尉迟恭": ("yuchigong", "ycg"),
    "万俟卨": ("moqixie", "mqx"),
    "长孙无忌": ("zhangsunwuji", "zswj"),
    "令狐冲": ("linghuchong", "lhc"),
    "欧阳修": ("ouyangxiu", "oyx"),
    "司马光": ("simaguang", "smg"),
    "上官婉儿": ("shangguanwaner", "sgwe"),
    "诸葛亮": ("zhugeliang", "zgl"),
    "皇甫谧": ("huangfumi", "hfm"),
    "东方朔": ("dongfangshuo", "dfs"),
    "独孤信": ("duguxin", "dgx"),
    "慕容复": ("murongfu", "mrf"),
    "宇文泰": ("yuwentai", "ywt"),
    "公孙龙": ("gongsunlong", "gsl"),
    "轩辕明": ("xuanyuanming", "xym"),
    "澹台明": ("tantaiming", "ttm"),
    "司徒雷": ("situlei", "stl"),
    "夏侯惇": ("xiahoudun", "xhd"),
    "子车明": ("zijuming", "zjm"),
    "乐正明": ("yuezhengming", "yzm"),
}

# Common name characters, each with exactly one pinyin syllable.
NAME_CHARACTERS = (
    "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎"
    "易常武乔贺赖龚文伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰"
)
KEY = re.compile("[a-z0-9]*")


def is_subsequence(short: str, long: str) -> bool:
    remaining = iter(long)
    return all(character in remaining for character in short)


def test_zhang_san() -> None:
    assert name_keys("张三") == NameKeys(full="zhangsan", initials="zs")


@pytest.mark.parametrize("surname, reading", SURNAMES.items())
def test_surname_is_read_as_a_surname(surname: str, reading: str) -> None:
    assert name_keys(surname + "小明") == NameKeys(reading + "xiaoming", reading[0] + "xm")


@pytest.mark.parametrize("name, keys", COMPOUND_NAMES.items())
def test_compound_surname(name: str, keys: tuple[str, str]) -> None:
    assert name_keys(name) == NameKeys(*keys)


def test_surname_table_applies_to_the_first_character_only() -> None:
    # In a given name 曾 is "ceng" and 单 is "dan", as pypinyin reads them.
    assert name_keys("李单").full == "lidan"
    assert name_keys("张曾").full == "zhangceng"


def test_surname_is_read_apart_from_the_given_name() -> None:
    # pypinyin reads the phrase 朝阳 "zhaoyang"; the surname 朝 is "chao".
    assert name_keys("朝阳") == NameKeys("chaoyang", "cy")


def test_single_surname_followed_by_yu_is_not_chanyu() -> None:
    assert name_keys("单于明") == NameKeys("shanyuming", "sym")


def test_spaces_are_ignored_and_keep_the_surname_reading() -> None:
    assert name_keys(" 曾 小明 ") == NameKeys("zengxiaoming", "zxm")
    assert name_keys("欧阳　娜娜") == NameKeys("ouyangnana", "oynn")  # full-width space


DOTS = ["·", "•", "．", "・", "･", "‧", "∙", "⋅", "﹒", "."]


@pytest.mark.parametrize("dot", DOTS)
def test_middle_dot_is_ignored(dot: str) -> None:
    assert name_keys(f"买买提{dot}艾力") == NameKeys("maimaitiaili", "mmtal")


@pytest.mark.parametrize("dot", DOTS)
def test_transliterated_name_has_no_chinese_surname(dot: str) -> None:
    # 朴 at the start of a transliteration is the syllable "pu", not the Korean surname "piao".
    assert name_keys(f"朴{dot}阿里").full == "puali"


def test_name_without_dot_keeps_its_surname_reading() -> None:
    assert name_keys("朴阿里").full == "piaoali"


def test_character_outside_the_bmp_does_not_crash() -> None:
    # pypinyin has no reading for 𠮷 (U+20BB7): it is skipped.
    assert name_keys("𠮷野家") == NameKeys("yejia", "yj")
    assert name_keys("𠮷") == NameKeys("", "")


def test_character_outside_the_bmp_uses_pypinyin_when_it_knows_it() -> None:
    assert name_keys("李𪚥") == NameKeys("lizhe", "lz")  # 𪚥 U+2A6A5


def test_latin_name_is_lower_cased_without_spaces() -> None:
    assert name_keys("John Smith") == NameKeys("johnsmith", "js")
    assert name_keys("Jean-Pierre O'Neil") == NameKeys("jeanpierreoneil", "jpon")
    assert name_keys("ＪＯＨＮ") == NameKeys("john", "j")  # full-width letters
    assert name_keys("José María") == NameKeys("josemaria", "jm")  # accents dropped


def test_mixed_characters_latin_and_digits() -> None:
    assert name_keys("李John") == NameKeys("lijohn", "lj")
    assert name_keys("张三2") == NameKeys("zhangsan2", "zs2")
    assert name_keys("张(三)") == NameKeys("zhangsan", "zs")


@pytest.mark.parametrize("name", ["", "   ", "···", "?!", "(　)"])
def test_nothing_readable_gives_empty_keys(name: str) -> None:
    assert name_keys(name) == NameKeys("", "")


def test_text_keys_reads_every_character_normally() -> None:
    # 曾 is "ceng" outside a name; punctuation is dropped and digits kept.
    assert text_keys("曾经") == NameKeys("cengjing", "cj")
    assert text_keys("2型糖尿病") == NameKeys("2xingtangniaobing", "2xtnb")


def test_text_keys_applies_corrections_longest_first() -> None:
    readings = {"卒中": ("cu", "zhong"), "中": ("zhongzhong",)}
    assert text_keys("脑卒中", readings) == NameKeys("naocuzhong", "ncz")


def test_importing_does_not_load_pypinyin_or_openpyxl() -> None:
    code = (
        "import sys, clinic_tui.search.pinyin, clinic_tui.search.icd_catalog;"
        "print('pypinyin' in sys.modules, 'openpyxl' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "query, kind, normalized",
    [
        ("", QueryKind.EMPTY, ""),
        ("   ", QueryKind.EMPTY, ""),
        ("?!", QueryKind.EMPTY, "?!"),
        ("0021", QueryKind.DIGITS, "0021"),
        ("002x", QueryKind.DIGITS, "002x"),
        ("002X", QueryKind.DIGITS, "002x"),
        ("138-0013 8000", QueryKind.DIGITS, "13800138000"),
        ("１３８", QueryKind.DIGITS, "138"),
        ("x", QueryKind.LATIN, "x"),
        ("zs", QueryKind.LATIN, "zs"),
        ("Zhang San", QueryKind.LATIN, "zhangsan"),
        ("xi'an", QueryKind.LATIN, "xian"),
        ("lü", QueryKind.LATIN, "lv"),
        ("LÜ", QueryKind.LATIN, "lv"),
        ("José", QueryKind.LATIN, "jose"),
        ("E11.9", QueryKind.LATIN, "e11.9"),
        ("张", QueryKind.HANZI, "张"),
        ("张s", QueryKind.HANZI, "张s"),
        ("买买提·艾力", QueryKind.HANZI, "买买提艾力"),
        ("买买提．艾力", QueryKind.HANZI, "买买提艾力"),
        ("𠮷", QueryKind.HANZI, "𠮷"),
    ],
)
def test_classify_and_normalize_query(query: str, kind: QueryKind, normalized: str) -> None:
    assert classify_query(query) is kind
    assert normalize_query(query) == normalized


@given(st.text())
def test_name_keys_never_raise_and_are_lower_case_ascii(name: str) -> None:
    keys = name_keys(name)
    assert KEY.fullmatch(keys.full) and KEY.fullmatch(keys.initials)
    assert len(keys.initials) <= len(name)
    assert is_subsequence(keys.initials, keys.full)
    assert (keys.full == "") == (keys.initials == "")


@given(st.text(alphabet=NAME_CHARACTERS, min_size=1, max_size=4))
def test_one_initial_per_character_of_a_chinese_name(name: str) -> None:
    keys = name_keys(name)
    assert len(keys.initials) == len(name)
    assert keys.full.startswith(keys.initials[0])


@given(st.text())
def test_normalize_query_is_idempotent_and_keeps_the_kind(query: str) -> None:
    normalized = normalize_query(query)
    assert normalize_query(normalized) == normalized
    assert classify_query(normalized) is classify_query(query)


@given(st.text(alphabet="0123456789xX -", min_size=1))
def test_digit_queries_are_digits_with_an_optional_final_x(query: str) -> None:
    if classify_query(query) is QueryKind.DIGITS:
        assert re.fullmatch("[0-9]+x?", normalize_query(query))
    else:
        assert "x" in normalize_query(query) or normalize_query(query) == ""


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("阿不都·热合曼", "abudureheman", "abdrhm"),  # 都 du, not the adverb dou
        ("阿卜杜勒·卡德尔", "abudulekadeer", "abdlkde"),  # 卜 bu, 勒 le (not bo, lei)
        ("塔什·买买提", "tashimaimaiti", "tsmmt"),  # 什 shi, not the shen of 什么
        ("茜茜·柏林", "xixibolin", "xxbl"),  # foreign names: 茜 xi, 柏 bo
        ("热依拉·都都", "reyiladudu", "ryldd"),
    ],
)
def test_transliterated_names_read_as_transliterations(name: str, full: str, initials: str) -> None:
    assert name_keys(name) == NameKeys(full, initials)


def test_the_same_characters_without_a_dot_keep_their_chinese_reading() -> None:
    assert name_keys("都晓明").full == "duxiaoming"  # 都 as a surname
    assert name_keys("何什么").full == "heshenme"
