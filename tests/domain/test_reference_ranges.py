"""Reference-range verdicts for the slip's examinations: boundaries from the guidelines cited."""

from __future__ import annotations

import pytest

from clinic_tui.domain.reference_ranges import Verdict, blood_pressure_verdict, verdict


@pytest.mark.parametrize(
    ("sbp", "dbp", "expected"),
    [
        (168, 96, Verdict.ABNORMAL),
        (185, 115, Verdict.ABNORMAL),
        (139, 89, Verdict.NORMAL),
        (140, 80, Verdict.ABNORMAL),  # hypertension from 140 systolic
        (130, 90, Verdict.ABNORMAL),  # or from 90 diastolic
        (88, 60, Verdict.ABNORMAL),  # hypotension
        (None, 80, None),
    ],
)
def test_blood_pressure(sbp, dbp, expected):
    assert blood_pressure_verdict(sbp, dbp) == expected


@pytest.mark.parametrize(
    ("measurement", "value", "expected"),
    [
        ("heart_rate", 78, Verdict.NORMAL),
        ("heart_rate", 101, Verdict.ABNORMAL),
        ("heart_rate", 59, Verdict.ABNORMAL),
        ("temperature_c", 37.3, Verdict.NORMAL),
        ("temperature_c", 37.4, Verdict.ABNORMAL),
        ("fasting_glucose", 6.0, Verdict.NORMAL),
        ("fasting_glucose", 6.1, Verdict.ABNORMAL),  # impaired fasting glucose
        ("random_glucose", 11.1, Verdict.ABNORMAL),
        ("hba1c", 6.5, Verdict.ABNORMAL),
        ("hba1c", None, None),
        ("weight", 70, None),  # no reference range: no verdict, never "normal"
    ],
)
def test_measurements(measurement, value, expected):
    assert verdict(measurement, value) == expected
