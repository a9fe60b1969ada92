"""Pinyin search keys for names, and what kind of query the user typed.

A village doctor finds 曾小明 by typing "zxm", "zengxiaoming", part of the name, the tail of the ID
number or the phone. This module turns names into lower-case ASCII keys and tells the search layer
which of those a query is. pypinyin is imported inside the functions: it loads large dictionaries
and the app's first frame must not wait for them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

# Surname readings that differ from the everyday reading pypinyin gives (it has no surname mode).
# Source: the surname sense (义项「姓」) of each character in 《现代汉语词典》第7版 (商务印书馆,
# 2016). Where a character has two surname readings (乐 yuè/lè, 覃 qín/tán, 隗 wěi/kuí) the more
# common one is used.
SURNAME_READINGS: dict[str, str] = {
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

# Two-character surnames, matched before the single-character table so that 万俟 is "moqi", not
# 万 "wan" + 俟. Same source as above. 单于 (chányú) is left out on purpose: 单 followed by a given
# name starting with 于 is far more common today than the ancient compound surname.
COMPOUND_SURNAME_READINGS: dict[str, tuple[str, str]] = {
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "令狐": ("ling", "hu"),
    "皇甫": ("huang", "fu"),
    "东方": ("dong", "fang"),
    "独孤": ("du", "gu"),
    "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"),
    "公孙": ("gong", "sun"),
    "轩辕": ("xuan", "yuan"),
    "澹台": ("tan", "tai"),
    "司徒": ("si", "tu"),
    "夏侯": ("xia", "hou"),
    "司空": ("si", "kong"),
    "端木": ("duan", "mu"),
    "西门": ("xi", "men"),
    "南宫": ("nan", "gong"),
    "呼延": ("hu", "yan"),
    "赫连": ("he", "lian"),
    "申屠": ("shen", "tu"),
    "太史": ("tai", "shi"),
    "百里": ("bai", "li"),
    "钟离": ("zhong", "li"),
    "宗政": ("zong", "zheng"),
    "濮阳": ("pu", "yang"),
    "淳于": ("chun", "yu"),
    "闻人": ("wen", "ren"),
    "拓跋": ("tuo", "ba"),
    "完颜": ("wan", "yan"),
    "公冶": ("gong", "ye"),
    "仲孙": ("zhong", "sun"),
    "东郭": ("dong", "guo"),
    "左丘": ("zuo", "qiu"),
    "第五": ("di", "wu"),
    "乐正": ("yue", "zheng"),
    "鲜于": ("xian", "yu"),
    "闾丘": ("lv", "qiu"),
    "子车": ("zi", "ju"),
    "亓官": ("qi", "guan"),
}

# Readings of characters as transliterations use them (维吾尔族, 哈萨克族, 藏族, 蒙古族 ... names and
# foreign names written in characters), where pypinyin gives the everyday reading or one taken from
# a Chinese word the name happens to contain: 阿不都 is "abudu", not "abudou"; 阿卜杜勒 "abudule",
# not "abodulei"; 塔什 "tashi", not "tashen"; 茜 "xi", 柏 "bo", 佛 "fo". Sources: the character
# tables of GB/T 17693 (外语地名汉字译写导则) and 《世界人名翻译大辞典》, which give each syllable one
# fixed character and reading. A transliteration is read character by character, never as Chinese
# phrases (pypinyin would read 都都 as the adverb "doudou").
TRANSLITERATION_READINGS: dict[str, str] = {
    "什": "shi",
    "都": "du",
    "卜": "bu",
    "勒": "le",
    "茜": "xi",
    "柏": "bo",
    "佛": "fo",
    "藏": "zang",
    "呷": "ga",
    "伽": "jia",
    "薄": "bo",
    # pypinyin reads these right alone, but a phrase around them could change it
    "单": "dan",
    "朴": "pu",
    "乐": "le",
    "塞": "sai",
    "色": "se",
    "莎": "sha",
    "叶": "ye",
    "那": "na",
}

# Bump when name_keys() reads some name differently, so that stored keys are made again
# (clinic_tui.data.search_keys.refresh_name_keys, at the next start). 2: transliterated names read with the table above.
NAME_KEYS_VERSION = 2

# Dots that separate the parts of transliterated names (买买提·艾力), as people type them:
# U+00B7, U+2022, U+30FB, U+FF65, U+2027, U+2219, U+22C5, U+FF0E, U+FE52, and a plain "." which
# older systems store instead of "·".
_MIDDLE_DOTS = "·•・･‧∙⋅．﹒"
# What marks a name as a transliteration: a middle dot, or the "." that stands for one.
TRANSLITERATION_MARKS = _MIDDLE_DOTS + "."
_NAME_SEPARATORS = re.compile(rf"[\s{_MIDDLE_DOTS}.。'’‘`\-‐‑–—_]+")
_HAS_MIDDLE_DOT = re.compile(f"[{re.escape(TRANSLITERATION_MARKS)}]")
# Query separators: the same, except "." which belongs to ICD-10 codes such as "E11.9".
_QUERY_SEPARATORS = re.compile(rf"[\s{_MIDDLE_DOTS}。'’‘`\-‐‑–—_]+")
# CJK ideographs: 〇, Extension A, the basic block, compatibility ideographs, and planes 2-3
# (Extensions B-H, e.g. 𠮷), which hold nothing else.
_HAN = re.compile("[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_NOT_KEY_CHARACTER = re.compile("[^a-z0-9]")
_ID_TAIL_OR_PHONE = re.compile("[0-9]+x?")


@dataclass(frozen=True)
class NameKeys:
    """Search keys of a name: "zhangsan" and "zs" for 张三. Lower-case ASCII letters and digits."""

    full: str
    initials: str


class QueryKind(str, Enum):
    DIGITS = "digits"  # ID number tail or phone; an ID may end in x ("002x")
    LATIN = "latin"  # pinyin (full or initials), a Latin name, or a diagnosis code
    HANZI = "hanzi"  # a name or part of one, in characters
    EMPTY = "empty"  # nothing searchable


def name_keys(name: str) -> NameKeys:
    """Keys of a person's name, reading the surname as a surname (曾 zeng, 单 shan, 万俟 moqi).

    Spaces and middle dots are ignored. A name written with a middle dot is a transliteration
    (维吾尔族, 哈萨克族 ... names): it has no Chinese surname, and every character is read alone,
    as transliterations read it (``TRANSLITERATION_READINGS``).
    """
    words = [word for word in _NAME_SEPARATORS.split(name) if word]
    if not words:
        return NameKeys("", "")
    syllables: list[str] = []
    if _HAS_MIDDLE_DOT.search(name):
        for word in words:
            syllables.extend(_transliteration_syllables(word))
        return _keys(syllables)
    if _HAN.match(words[0]):
        surname_syllables, words[0] = _split_surname(words[0])
        syllables.extend(surname_syllables)
    for word in words:
        syllables.extend(_syllables(word))
    return _keys(syllables)


def _transliteration_syllables(word: str) -> list[str]:
    """One syllable per character, each read alone, with the transliteration table first."""
    syllables: list[str] = []
    run = ""  # text that is not a Han character (Latin letters, digits) is read as one run
    for character in word:
        if not _HAN.match(character):
            run += character
            continue
        syllables.extend(_syllables(run))
        run = ""
        reading = TRANSLITERATION_READINGS.get(character)
        syllables.extend([reading] if reading else _syllables(character))
    syllables.extend(_syllables(run))
    return syllables


def text_keys(text: str, readings: Mapping[str, tuple[str, ...]] | None = None) -> NameKeys:
    """Keys of any text, read normally (diagnosis names, place names...).

    ``readings`` corrects pypinyin where it misreads a vocabulary: {"卒中": ("cu", "zhong")}.
    Longer entries win over shorter ones.
    """
    readings = readings or {}
    corrected = _readings_pattern(tuple(readings)) if readings else None
    syllables: list[str] = []
    for word in _NAME_SEPARATORS.split(text):
        start = 0
        for match in corrected.finditer(word) if corrected else ():
            syllables.extend(_syllables(word[start : match.start()]))
            syllables.extend(readings[match.group()])
            start = match.end()
        syllables.extend(_syllables(word[start:]))
    return _keys(syllables)


def text_syllables(text: str) -> list[str]:
    """The syllables of any text read normally, one per character (Latin runs as one): 新建转诊 ->
    ["xin", "jian", "zhuan", "zhen"]. For matching a query at a syllable's start."""
    return [syllable for word in _NAME_SEPARATORS.split(text) for syllable in _syllables(word)]


def normalize_query(text: str) -> str:
    """The query as the search layer should match it.

    Folded like the keys (full-width to ASCII, lower case, ü to v, accents dropped); spaces,
    apostrophes (xi'an), hyphens (phone numbers) and middle dots removed. A "." is kept for
    diagnosis codes ("e11.9"), but dropped in a query with characters, where it stands for a
    name's middle dot (买买提.艾力).
    """
    query = unicodedata.normalize("NFC", _QUERY_SEPARATORS.sub("", _fold(text)))
    if _HAN.search(query):
        query = query.replace(".", "")
    return query


def classify_query(text: str) -> QueryKind:
    """What a typed query is, judged on its normalized form (see ``normalize_query``)."""
    query = normalize_query(text)
    if _HAN.search(query):
        return QueryKind.HANZI
    if _ID_TAIL_OR_PHONE.fullmatch(query):
        return QueryKind.DIGITS
    if re.search("[a-z0-9]", query):
        return QueryKind.LATIN
    return QueryKind.EMPTY


def _split_surname(word: str) -> tuple[list[str], str]:
    """The surname's syllables and the rest of the word.

    The surname is read on its own so that pypinyin's phrase matching cannot join it to the given
    name; the given name keeps its own phrase context.
    """
    if word[:2] in COMPOUND_SURNAME_READINGS:
        return list(COMPOUND_SURNAME_READINGS[word[:2]]), word[2:]
    if word[0] in SURNAME_READINGS:
        return [SURNAME_READINGS[word[0]]], word[1:]
    return _syllables(word[0]), word[1:]


@lru_cache(maxsize=8)
def _readings_pattern(entries: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(entry) for entry in sorted(entries, key=len, reverse=True)))


def _syllables(text: str) -> list[str]:
    """One lower-case ASCII syllable per character read by pypinyin, one per run of other text.

    Characters pypinyin cannot read (a rare non-BMP ideograph, punctuation) are skipped.
    """
    if not text:
        return []
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(text, style=Style.NORMAL, errors=_ascii_letters_and_digits)
    keys = (_NOT_KEY_CHARACTER.sub("", reading.lower()) for reading in readings)
    return [key for key in keys if key]


def _ascii_letters_and_digits(run: str) -> str:
    """pypinyin's fallback for text it has no reading for: keep Latin letters and digits only.

    Folding first keeps "José" as "jose" and full-width "ＡＢ１" as "ab1"; anything that is not
    then ASCII is dropped (an empty result makes pypinyin skip the run).
    """
    return "".join(c for c in _fold(run) if c.isascii() and c.isalnum())


def _fold(text: str) -> str:
    """Compatibility forms decomposed (ＡＢ１ -> AB1), lower case, ü -> v as pinyin keys write it
    (吕 "lv"), and every other accent or combining mark dropped (José -> jose)."""
    decomposed = unicodedata.normalize("NFKD", text).lower().replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def _keys(syllables: list[str]) -> NameKeys:
    return NameKeys("".join(syllables), "".join(syllable[0] for syllable in syllables))
