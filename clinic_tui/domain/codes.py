"""Code sets used on resident records and visits: small immutable tables of code and label.

Each label is an English message id (marked with ``N_``); its Chinese text lives in the
translation catalogue (``locale/zh_CN/LC_MESSAGES/clinic_tui.po``), so ``label()`` and ``items()`` give
the label in the current language. Codes are what is stored and synced: never change one.

Sources: GB/T 2261.1-2003 (sex), WS 364 value sets CV02.01.101 (identity document type) and
CV02.10.006 (past illness kinds, used here for chronic conditions; its 01 "none" is left out
because no condition is an empty set), the national basic public health service specification
(3rd edition, 2017) for key populations. Insurance type, visit mode and key-population tags have
no single national code set that fits, so their codes are ours (documented at each table).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from clinic_tui.i18n import LANGUAGES, N_, _, translations


@dataclass(frozen=True)
class CodeSet:
    """An ordered, immutable table of ``(code, English label msgid)`` pairs."""

    name: str
    entries: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        codes = [code for code, _label in self.entries]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.name} has a duplicate code")

    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _label in self.entries)

    def is_valid(self, code: str) -> bool:
        return code in self.codes()

    def label(self, code: str) -> str:
        """The label of ``code`` in the current language; KeyError for a code not in the set."""
        for known, msgid in self.entries:
            if known == code:
                return _(msgid)
        raise KeyError(f"{code!r} is not a code of {self.name}")

    def items(self) -> list[tuple[str, str]]:
        """``(code, label)`` pairs in table order, labels in the current language (for pickers)."""
        return [(code, _(msgid)) for code, msgid in self.entries]

    def parse(self, text: str) -> str | None:
        """The code meant by ``text``: the code itself or its label in any language, else None.

        Case, surrounding spaces and full-width characters (from Chinese input methods) are
        ignored, so "男", "male", " 1 " and "１" all give "1".
        """
        wanted = _normalize(text)
        for code, msgid in self.entries:
            spellings = {code} | {translations(language).gettext(msgid) for language in LANGUAGES}
            if wanted in {_normalize(spelling) for spelling in spellings}:
                return code
        return None


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


SEX_MALE = "1"
SEX_FEMALE = "2"

# GB/T 2261.1-2003 人的性别代码.
SEX = CodeSet(
    "GB/T 2261.1 sex",
    (
        ("0", N_("Sex unknown")),
        (SEX_MALE, N_("Male")),
        (SEX_FEMALE, N_("Female")),
        ("9", N_("Sex not stated")),
    ),
)

# WS 364 CV02.01.101 身份证件类别代码. A resident without a citizen ID uses another type here:
# never a made-up ID number.
ID_DOCUMENT_TYPE = CodeSet(
    "CV02.01.101 identity document type",
    (
        ("01", N_("Resident identity card")),
        ("02", N_("Household register")),
        ("03", N_("Passport")),
        ("04", N_("Military officer card")),
        ("05", N_("Driving licence")),
        ("06", N_("Hong Kong/Macao travel permit")),
        ("07", N_("Taiwan travel permit")),
        ("99", N_("Other")),
    ),
)
CITIZEN_ID_CARD = "01"

# WS 364 CV02.10.006 既往患病种类代码, the conditions tracked as chronic.
CHRONIC_CONDITION = CodeSet(
    "CV02.10.006 chronic condition",
    (
        ("02", N_("Hypertension")),
        ("03", N_("Diabetes")),
        ("04", N_("Coronary heart disease")),
        ("05", N_("Chronic obstructive pulmonary disease")),
        ("06", N_("Malignant tumour")),
        ("07", N_("Stroke")),
        ("08", N_("Severe mental illness")),
        ("09", N_("Tuberculosis")),
        ("99", N_("Other")),
    ),
)

# Basic medical insurance since the 2016 merger of the urban-resident scheme and the rural
# cooperative scheme (新农合) into one resident scheme. Our codes: 1 and 2 for the two schemes,
# 9 for anything else (commercial, free medical care, none), following the "9 = other" habit of
# GB/T code sets.
INSURANCE_TYPE = CodeSet(
    "insurance type",
    (
        ("1", N_("Urban employee basic medical insurance")),
        ("2", N_("Urban and rural resident basic medical insurance")),
        ("9", N_("Other insurance")),
    ),
)

# How a visit took place. Our codes: 1-3 are the codes of the follow-up form of the basic public
# health specification (1 门诊 2 家庭 3 电话), so a visit and the follow-up it records share the
# code; 4 is the village round (巡诊), which that form does not have.
VISIT_MODE = CodeSet(
    "visit mode",
    (
        ("1", N_("Clinic visit")),
        ("2", N_("Home visit")),
        ("3", N_("Phone call")),
        ("4", N_("Village round")),
    ),
)

# Key populations of family-doctor contracts (重点人群). No national code set exists; these
# readable codes are ours and are stored and synced as they are. They are the values of
# contract.KeyPopulation: keep the two identical.
KEY_POPULATION = CodeSet(
    "key population",
    (
        ("elderly_65", N_("Elderly (65 and over)")),
        ("child_0_6", N_("Children aged 0-6")),
        ("maternal", N_("Pregnant and postpartum women")),
        ("disabled", N_("People with disabilities")),
        ("hypertension", N_("Hypertension patients")),
        ("diabetes", N_("Type 2 diabetes patients")),
        ("severe_mental", N_("Severe mental disorder patients")),
        ("tuberculosis", N_("Tuberculosis patients")),
        ("poverty", N_("Poverty-alleviated population")),
    ),
)

# How a family-doctor contract's services are given. No national code set; these readable codes are ours.
SERVICE_MODE = CodeSet(
    "service mode",
    (
        ("clinic", N_("At the clinic")),
        ("home", N_("Home visits")),
        ("phone", N_("By phone")),
        ("online", N_("Online")),
    ),
)

_TOKEN_SEPARATORS = re.compile(r"[\s,;/、]+")


@dataclass(frozen=True)
class CodeList:
    """Several codes of one code set typed on one line, such as "02 03".

    Each word may be its key, its code or its label in either language; a number may drop its
    leading zero ("2" for "02"). Stored in the order offered, so retyping them in another order
    is not a change. (A ``multichoice`` kind of FieldSpec would make this reusable.)
    """

    codes: CodeSet
    keys: tuple[tuple[str, str], ...]  # (what is typed, code stored), in the order offered

    def parse(self, text: str) -> tuple[list[str], list[str]]:
        """(codes found, words not understood)."""
        by_key = dict(self.keys)
        found, unknown = set(), []
        for word in _TOKEN_SEPARATORS.split(unicodedata.normalize("NFKC", text).strip()):
            if not word:
                continue
            code = by_key.get(word) or by_key.get(word.zfill(2)) or self.codes.parse(word)
            if code in by_key.values():
                found.add(code)
            else:
                unknown.append(word)
        return [code for _key, code in self.keys if code in found], unknown

    def show(self, codes: Iterable[str]) -> str:
        key_of = {code: key for key, code in self.keys}
        return " ".join(key_of.get(code, code) for code in codes)

    def hint(self) -> str:
        return " ".join(f"{key}={self.codes.label(code)}" for key, code in self.keys)
