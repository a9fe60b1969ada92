"""Plausibility of vital signs and measurements, and body-mass index.

A value outside its *possible* range is a typo or a wrong unit and is refused (ERROR). A value
inside it but at an *alarming* level is accepted and flagged (FLAG) so the doctor acts on it.

| field                | unit   | possible (else refused) | flagged                     |
|----------------------|--------|-------------------------|-----------------------------|
| systolic             | mmHg   | 50-300                  | >= 180; < 90 (adults)       |
| diastolic            | mmHg   | 20-200                  | >= 110                      |
| heart_rate           | bpm    | 20-250                  | > 100, < 50 (adults)        |
| temperature          | °C     | 30-45                   | > 39.0, < 35.0              |
| weight               | kg     | 0.5-300                 |                             |
| height               | cm     | 30-250                  |                             |
| fasting_glucose      | mmol/L | 1.0-50                  | >= 16.7, <= 3.9             |
| random_glucose       | mmol/L | 1.0-50                  | >= 16.7, <= 3.9             |
| postprandial_glucose | mmol/L | 1.0-50                  | >= 16.7, <= 3.9  (2-hour)   |
| hba1c                | %      | 3-20                    |                             |

Where the numbers come from:
- Flags at SBP >= 180, DBP >= 110, glucose >= 16.7 or <= 3.9 mmol/L, heart rate over 100 and
  temperature over 39 °C are the emergency-referral criteria of the hypertension and type 2
  diabetes chapters of the national basic public health service specification (国家基本公共卫生
  服务规范, 3rd edition, 2017). SBP < 90 is the usual definition of hypotension, < 35.0 °C of
  hypothermia. Bradycardia is flagged below 50 rather than the textbook 60, so that patients on
  beta-blockers, common among treated hypertensives, are not flagged at every visit.
- Possible ranges are our choice: each bound lies beyond any reading a clinic instrument takes on
  a living patient (glucometers read 1.1-33.3 mmol/L, newborns weigh from about 0.5 kg), so they
  only catch slips: 1400 for 140, height in metres, temperature in °F, glucose in mg/dL above 50.
  They cannot catch a plausible slip such as a weight in jin (斤) for kg.
- Heart-rate and low-systolic flags are adult values; for children (pass ``adult=False``) only the
  possible ranges and the age-independent flags apply.
- Cross-field: diastolic must be below systolic (refused); a pulse pressure under 20 or over 100
  mmHg, or a BMI outside 10-80, asks for confirmation (WARNING): both are our typo catchers.
- BMI categories for adults: WS/T 428-2013 成人体重判定 (< 18.5, 18.5-23.9, 24.0-27.9, >= 28.0).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from clinic_tui.domain.codes import CodeSet
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_, LazyText

NARROWEST_PULSE_PRESSURE = 20  # mmHg
WIDEST_PULSE_PRESSURE = 100  # mmHg
PLAUSIBLE_BMI = (10.0, 80.0)


@dataclass(frozen=True)
class Alarm:
    code: str
    crosses: Callable[[float, float], bool]  # operator.ge etc.: crosses(value, limit)
    limit: float
    template: str  # placeholders: vital, value, unit, limit
    adults_only: bool = False


@dataclass(frozen=True)
class VitalSign:
    label: str  # English msgid
    unit: str  # English msgid
    lowest_possible: float
    highest_possible: float
    alarms: tuple[Alarm, ...] = ()


# Message templates of the alarms; placeholders: vital, value, unit, limit.
_BP_CRISIS = N_(
    "{vital} {value} {unit} is in the hypertensive crisis range ({limit} or higher): after "
    "first aid, consider emergency referral."
)
_LOW_BP = N_("{vital} {value} {unit} is low (below {limit}): measure again and check the patient.")
_FAST = N_("{vital} {value} {unit} is fast (over {limit}).")
_SLOW = N_("{vital} {value} {unit} is slow (below {limit}).")
_FEVER = N_("{vital} {value} {unit} is a high fever (over {limit}).")
_COLD = N_("{vital} {value} {unit} is low (below {limit}): measure again; possible hypothermia.")
_HIGH_GLUCOSE = N_("{vital} {value} {unit} is dangerously high ({limit} or higher): consider emergency referral.")
_LOW_GLUCOSE = N_(
    "{vital} {value} {unit} is in the hypoglycaemia range ({limit} or lower): treat it first, then consider referral."
)
_GLUCOSE_ALARMS = (
    Alarm("vitals.hyperglycaemia", operator.ge, 16.7, _HIGH_GLUCOSE),
    Alarm("vitals.hypoglycaemia", operator.le, 3.9, _LOW_GLUCOSE),
)
_MMHG, _MMOL = N_("mmHg"), N_("mmol/L")

VITAL_SIGNS = MappingProxyType(
    {
        "systolic": VitalSign(
            N_("Systolic pressure"),
            _MMHG,
            50,
            300,
            (
                Alarm("vitals.bp_crisis", operator.ge, 180, _BP_CRISIS),
                Alarm("vitals.hypotension", operator.lt, 90, _LOW_BP, adults_only=True),
            ),
        ),
        "diastolic": VitalSign(
            N_("Diastolic pressure"),
            _MMHG,
            20,
            200,
            (Alarm("vitals.bp_crisis", operator.ge, 110, _BP_CRISIS),),
        ),
        "heart_rate": VitalSign(
            N_("Heart rate"),
            N_("bpm"),
            20,
            250,
            (
                Alarm("vitals.tachycardia", operator.gt, 100, _FAST, adults_only=True),
                Alarm("vitals.bradycardia", operator.lt, 50, _SLOW, adults_only=True),
            ),
        ),
        "temperature": VitalSign(
            N_("Temperature"),
            N_("°C"),
            30,
            45,
            (
                Alarm("vitals.high_fever", operator.gt, 39.0, _FEVER),
                Alarm("vitals.hypothermia", operator.lt, 35.0, _COLD),
            ),
        ),
        "weight": VitalSign(N_("Weight"), N_("kg"), 0.5, 300),
        "height": VitalSign(N_("Height"), N_("cm"), 30, 250),
        "fasting_glucose": VitalSign(N_("Fasting glucose"), _MMOL, 1.0, 50, _GLUCOSE_ALARMS),
        "random_glucose": VitalSign(N_("Random glucose"), _MMOL, 1.0, 50, _GLUCOSE_ALARMS),
        "postprandial_glucose": VitalSign(N_("2-hour glucose"), _MMOL, 1.0, 50, _GLUCOSE_ALARMS),
        "hba1c": VitalSign(N_("HbA1c"), N_("%"), 3, 20),
    }
)

BMI_CATEGORY = CodeSet(
    "WS/T 428-2013 adult BMI category",
    (
        ("underweight", N_("Underweight")),
        ("normal", N_("Normal weight")),
        ("overweight", N_("Overweight")),
        ("obese", N_("Obese")),
    ),
)


def check_vitals(*, adult: bool = True, **values: float | None) -> list[Problem]:
    """Problems with the vitals given by field name (see ``VITAL_SIGNS``); None = not measured.

    Each problem names its field. A refused value takes no part in the cross-field checks, so a
    typo produces one problem, not several.
    """
    unknown = values.keys() - VITAL_SIGNS.keys()
    if unknown:
        raise TypeError(f"unknown vital sign(s): {', '.join(sorted(unknown))}")
    problems: list[Problem] = []
    possible: dict[str, float] = {}
    for name, sign in VITAL_SIGNS.items():
        value = values.get(name)
        if value is None:
            continue
        params = {
            "vital": LazyText(sign.label),
            "value": _number(value),
            "unit": LazyText(sign.unit),
        }
        if not (math.isfinite(value) and sign.lowest_possible <= value <= sign.highest_possible):
            low, high = _number(sign.lowest_possible), _number(sign.highest_possible)
            problems.append(
                Problem(
                    "vitals.impossible",
                    N_(
                        "{vital} {value} {unit} is not possible (possible: {low} to {high}): "
                        "probably a typo or a wrong unit."
                    ),
                    params | {"low": low, "high": high},
                    Severity.ERROR,
                    name,
                )
            )
            continue
        possible[name] = value
        for alarm in sign.alarms:
            if (adult or not alarm.adults_only) and alarm.crosses(value, alarm.limit):
                problems.append(
                    Problem(
                        alarm.code,
                        alarm.template,
                        params | {"limit": _number(alarm.limit)},
                        Severity.FLAG,
                        name,
                    )
                )
    return problems + _blood_pressure_problems(possible) + _bmi_problems(possible)


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index in kg/m², rounded to one decimal as recorded on the follow-up forms."""
    if weight_kg <= 0 or height_cm <= 0:
        raise ValueError("weight and height must be positive")
    return round(weight_kg / (height_cm / 100) ** 2, 1)


def bmi_category(bmi_value: float) -> str:
    """The ``BMI_CATEGORY`` code of an adult's BMI (Chinese cut-offs; not for children)."""
    if bmi_value < 18.5:
        return "underweight"
    if bmi_value < 24.0:
        return "normal"
    if bmi_value < 28.0:
        return "overweight"
    return "obese"


def _blood_pressure_problems(values: dict[str, float]) -> list[Problem]:
    if "systolic" not in values or "diastolic" not in values:
        return []
    systolic, diastolic = values["systolic"], values["diastolic"]
    if diastolic >= systolic:
        return [
            Problem(
                "vitals.diastolic_not_below_systolic",
                N_(
                    "Diastolic pressure {diastolic} must be lower than systolic pressure "
                    "{systolic}: were the two swapped?"
                ),
                {"systolic": _number(systolic), "diastolic": _number(diastolic)},
                Severity.ERROR,
                "diastolic",
            )
        ]
    pulse_pressure = systolic - diastolic
    params = {"pulse_pressure": _number(pulse_pressure)}
    if pulse_pressure < NARROWEST_PULSE_PRESSURE:
        return [
            Problem(
                "vitals.narrow_pulse_pressure",
                N_(
                    "Pulse pressure (systolic minus diastolic) is only {pulse_pressure} mmHg: measure again to confirm."
                ),
                params,
                Severity.WARNING,
                "diastolic",
            )
        ]
    if pulse_pressure > WIDEST_PULSE_PRESSURE:
        return [
            Problem(
                "vitals.wide_pulse_pressure",
                N_(
                    "Pulse pressure (systolic minus diastolic) is {pulse_pressure} mmHg, unusually "
                    "wide: check both readings."
                ),
                params,
                Severity.WARNING,
                "diastolic",
            )
        ]
    return []


def _bmi_problems(values: dict[str, float]) -> list[Problem]:
    if "weight" not in values or "height" not in values:
        return []
    value = bmi(values["weight"], values["height"])
    low, high = PLAUSIBLE_BMI
    if low <= value <= high:
        return []
    return [
        Problem(
            "vitals.bmi_implausible",
            N_("Weight and height give a BMI of {bmi}, which is not plausible: check both values and their units."),
            {"bmi": _number(value)},
            Severity.WARNING,
            "bmi",
        )
    ]


def _number(value: float) -> str:
    """36.5 -> "36.5", 140.0 -> "140": numbers as a person writes them, in any language."""
    return format(value, "g")
