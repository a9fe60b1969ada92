"""Which diagnoses can apply to a patient, by sex and age: ICD-10's own sex and age edits.

ICD-10 restricts some chapters and blocks to one sex or an age range (the "sex/age edits" that
coders check): pregnancy, childbirth and the puerperium (chapter XV, O00-O99) to women of
child-bearing age, conditions of the perinatal period (chapter XVI, P00-P96) to newborns, the
diseases and cancers of the male or female genital organs to that sex. The diagnosis search uses
this to rank: a code that cannot apply to the patient is never offered before one that can (it is
still offered, last: the record may be wrong, and the doctor decides).

Sources: WHO ICD-10 Volume 2, 4.2.5 ("Sex-specific and age-specific categories") and the
maternity edit of 12-55 years used by coding checkers (e.g. the US Medicare Code Editor); the
Chinese national clinical version (国家临床版 2.0) keeps the same chapters and blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_tui.domain.codes import SEX_FEMALE, SEX_MALE

# Child-bearing age for the pregnancy chapter, in completed years (the maternity edit).
CHILD_BEARING_AGES = range(12, 56)
# The perinatal chapter applies to a newborn: under one completed year.
NEWBORN_AGES = range(0, 1)

# Blocks as (first, last) code prefixes, compared on the category (letter + two digits, "N40").
_FEMALE_ONLY = (("C51", "C58"), ("D06", "D06"), ("D25", "D28"), ("D39", "D39"), ("N70", "N98"), ("O00", "O99"))
_MALE_ONLY = (("C60", "C63"), ("D29", "D29"), ("D40", "D40"), ("N40", "N51"))
_PREGNANCY = (("O00", "O99"),)
_PERINATAL = (("P00", "P96"),)


@dataclass(frozen=True)
class Patient:
    """What the ranking knows of the patient: sex (GB/T 2261.1 code) and age in completed years.
    Unknown values (None, sex "0" or "9") restrict nothing."""

    sex: str | None = None
    age: int | None = None


def _category(code: str) -> str:
    return code.strip().upper()[:3]


def _within(code: str, blocks: tuple[tuple[str, str], ...]) -> bool:
    category = _category(code)
    return len(category) == 3 and any(first <= category <= last for first, last in blocks)


def fits(code: str | None, patient: Patient | None) -> bool:
    """Whether the diagnosis ``code`` can apply to ``patient``; True when either is unknown."""
    if not code or patient is None:
        return True
    if patient.sex == SEX_MALE and _within(code, _FEMALE_ONLY):
        return False
    if patient.sex == SEX_FEMALE and _within(code, _MALE_ONLY):
        return False
    if patient.age is not None:
        if _within(code, _PREGNANCY) and patient.age not in CHILD_BEARING_AGES:
            return False
        if _within(code, _PERINATAL) and patient.age not in NEWBORN_AGES:
            return False
    return True
