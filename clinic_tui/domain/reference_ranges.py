"""Reference ranges: is a measurement normal or abnormal, as the referral slip says of each item.

``vitals.py`` flags what needs action *now* (emergency-referral levels); this module answers the
ordinary question a slip's 检查及结果 answers for the receiving doctor: inside the adult reference
range, or not. A measurement with no range here gets no verdict (``None``), and a slip prints it
as 未判定 ("not judged"), never as normal.

| measurement          | unit   | normal (adults)           | source                                  |
|----------------------|--------|---------------------------|-----------------------------------------|
| blood pressure       | mmHg   | SBP 90-139 and DBP < 90   | 中国高血压防治指南 (2018): hypertension  |
|                      |        |                           | from 140/90; SBP < 90 is hypotension     |
| heart rate           | bpm    | 60-100                    | 诊断学 (9th ed.), resting adult          |
| temperature (axilla) | °C     | 36.0-37.3                 | 诊断学 (9th ed.), axillary               |
| fasting glucose      | mmol/L | 3.9-6.0                   | WS 397-2012 / 中国2型糖尿病防治指南 (2020): |
|                      |        |                           | impaired fasting glucose from 6.1        |
| random glucose       | mmol/L | 3.9-11.0                  | diabetes from 11.1 (same guideline)     |
| HbA1c                | %      | 4.0-6.4                   | diabetes from 6.5 (same guideline)       |
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    NORMAL = "normal"
    ABNORMAL = "abnormal"


# measurement -> (lowest normal, highest normal), both inclusive
RANGES: dict[str, tuple[float, float]] = {
    "sbp": (90, 139),
    "dbp": (0, 89),
    "heart_rate": (60, 100),
    "temperature_c": (36.0, 37.3),
    "fasting_glucose": (3.9, 6.0),
    "random_glucose": (3.9, 11.0),
    "hba1c": (4.0, 6.4),
}


def verdict(measurement: str, value: float | None) -> Verdict | None:
    """Normal or abnormal for one measurement; None when there is no value or no range for it."""
    if value is None or measurement not in RANGES:
        return None
    low, high = RANGES[measurement]
    return Verdict.NORMAL if low <= value <= high else Verdict.ABNORMAL


def blood_pressure_verdict(sbp: float | None, dbp: float | None) -> Verdict | None:
    """A reading is abnormal when either number is out of range; None without both numbers."""
    if sbp is None or dbp is None:
        return None
    verdicts = (verdict("sbp", sbp), verdict("dbp", dbp))
    return Verdict.ABNORMAL if Verdict.ABNORMAL in verdicts else Verdict.NORMAL
