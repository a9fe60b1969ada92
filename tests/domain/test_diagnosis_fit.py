"""ICD-10's sex and age edits, as the diagnosis search uses them to rank."""

from __future__ import annotations

import pytest

from clinic_tui.domain.codes import SEX_FEMALE, SEX_MALE
from clinic_tui.domain.diagnosis_fit import Patient, fits

MAN_76 = Patient(SEX_MALE, 76)
WOMAN_76 = Patient(SEX_FEMALE, 76)
WOMAN_30 = Patient(SEX_FEMALE, 30)


@pytest.mark.parametrize("code", ["O13", "O24.4", "O99.8", "o10"])
def test_pregnancy_codes_fit_only_a_woman_of_child_bearing_age(code):
    assert fits(code, WOMAN_30)
    assert not fits(code, WOMAN_76)
    assert not fits(code, MAN_76)
    assert not fits(code, Patient(SEX_FEMALE, 11))
    assert fits(code, Patient(SEX_FEMALE, 12)) and fits(code, Patient(SEX_FEMALE, 55))
    assert not fits(code, Patient(SEX_FEMALE, 56))


def test_genital_organ_codes_fit_one_sex():
    assert fits("N40", MAN_76) and not fits("N40", WOMAN_76)  # prostate
    assert fits("C61", MAN_76) and not fits("C61", WOMAN_76)
    assert fits("N95.1", WOMAN_76) and not fits("N95.1", MAN_76)  # menopause
    assert fits("C53.9", WOMAN_30) and not fits("C53.9", MAN_76)
    assert fits("D25.9", WOMAN_30) and not fits("D25.9", MAN_76)


def test_perinatal_codes_fit_only_a_newborn():
    assert fits("P07.3", Patient(SEX_MALE, 0))
    assert not fits("P07.3", Patient(SEX_MALE, 1))


@pytest.mark.parametrize("code", ["I10", "E11.9", "N18.9", "N39.0", "C50.9", "Z00.0"])
def test_codes_for_anyone_fit_everyone(code):
    assert all(fits(code, patient) for patient in (MAN_76, WOMAN_76, WOMAN_30, Patient(SEX_MALE, 0)))


def test_an_unknown_patient_or_code_restricts_nothing():
    assert fits("O13", None)
    assert fits("O13", Patient())
    assert not fits("O13", Patient("9", 76))  # sex not stated: the age still counts
    assert fits("N40", Patient("0", None))
    assert fits(None, MAN_76) and fits("", MAN_76)
