"""Chronic follow-up of hypertension and type 2 diabetes, after the national basic public health
service specification (国家基本公共卫生服务规范, 第三版, 2017).

At each follow-up the app suggests a classification, an emergency or a recommended referral, and
the next date; the doctor confirms, and records why when deciding otherwise
(``check_doctor_decision``). DOMAIN.md marks the thresholds "verify", so they live in frozen
dataclasses a county can replace.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_


class Classification(StrEnum):  # 此次随访分类
    CONTROLLED = "1"
    UNCONTROLLED = "2"
    ADVERSE_REACTION = "3"
    COMPLICATION = "4"


class AdverseReaction(StrEnum):
    NONE = "none"
    PRESENT = "present"
    HARD_TO_CONTROL = "hard_to_control"  # the spec then recommends a referral


class EmergencySign(StrEnum):
    """Signs the doctor ticks; any one means emergency referral after first aid."""

    ALTERED_CONSCIOUSNESS = "altered_consciousness"
    SEVERE_HEADACHE_OR_DIZZINESS = "severe_headache_or_dizziness"
    NAUSEA_OR_VOMITING = "nausea_or_vomiting"
    BLURRED_VISION = "blurred_vision"
    EYE_PAIN = "eye_pain"
    PALPITATIONS = "palpitations"
    CHEST_TIGHTNESS = "chest_tightness"
    BREATHLESS_LYING_FLAT = "breathless_lying_flat"
    RAISED_IN_PREGNANCY = "raised_in_pregnancy"  # BP or glucose above normal, pregnant or nursing
    CANNOT_MANAGE = "cannot_manage"  # another condition the clinic cannot handle
    ACETONE_BREATH = "acetone_breath"
    SWEATING = "sweating"
    LOSS_OF_APPETITE = "loss_of_appetite"
    POLYDIPSIA = "polydipsia"
    POLYURIA = "polyuria"
    ABDOMINAL_PAIN = "abdominal_pain"
    DEEP_BREATHING = "deep_breathing"
    FLUSHED_SKIN = "flushed_skin"
    SUDDEN_VISION_LOSS = "sudden_vision_loss"


DISEASE_LABELS = {"hypertension": N_("Hypertension"), "diabetes": N_("Type 2 diabetes")}
CLASSIFICATION_LABELS = {
    Classification.CONTROLLED: N_("Controlled"),
    Classification.UNCONTROLLED: N_("Not controlled"),
    Classification.ADVERSE_REACTION: N_("Adverse drug reaction"),
    Classification.COMPLICATION: N_("Complication"),
}
EMERGENCY_SIGN_LABELS = {
    EmergencySign.ALTERED_CONSCIOUSNESS: N_("Altered consciousness or behaviour"),
    EmergencySign.SEVERE_HEADACHE_OR_DIZZINESS: N_("Severe headache or dizziness"),
    EmergencySign.NAUSEA_OR_VOMITING: N_("Nausea or vomiting"),
    EmergencySign.BLURRED_VISION: N_("Blurred vision"),
    EmergencySign.EYE_PAIN: N_("Eye pain"),
    EmergencySign.PALPITATIONS: N_("Palpitations"),
    EmergencySign.CHEST_TIGHTNESS: N_("Chest tightness"),
    EmergencySign.BREATHLESS_LYING_FLAT: N_("Breathless, cannot lie flat"),
    EmergencySign.RAISED_IN_PREGNANCY: N_("Raised blood pressure or glucose, pregnant or nursing"),
    EmergencySign.CANNOT_MANAGE: N_("Another condition the clinic cannot manage"),
    EmergencySign.ACETONE_BREATH: N_("Breath smells of acetone (rotten apples)"),
    EmergencySign.SWEATING: N_("Sweating"),
    EmergencySign.LOSS_OF_APPETITE: N_("Loss of appetite"),
    EmergencySign.POLYDIPSIA: N_("Excessive thirst"),
    EmergencySign.POLYURIA: N_("Excessive urination"),
    EmergencySign.ABDOMINAL_PAIN: N_("Abdominal pain"),
    EmergencySign.DEEP_BREATHING: N_("Deep, laboured breathing"),
    EmergencySign.FLUSHED_SKIN: N_("Flushed skin"),
    EmergencySign.SUDDEN_VISION_LOSS: N_("Sudden loss of vision"),
}
# Each disease's list in the specification.
_E = EmergencySign
HYPERTENSION_SIGNS = frozenset(
    {
        _E.ALTERED_CONSCIOUSNESS,
        _E.SEVERE_HEADACHE_OR_DIZZINESS,
        _E.NAUSEA_OR_VOMITING,
        _E.BLURRED_VISION,
        _E.EYE_PAIN,
        _E.PALPITATIONS,
        _E.CHEST_TIGHTNESS,
        _E.BREATHLESS_LYING_FLAT,
        _E.RAISED_IN_PREGNANCY,
        _E.CANNOT_MANAGE,
    }
)
DIABETES_SIGNS = frozenset(
    {
        _E.ALTERED_CONSCIOUSNESS,
        _E.ACETONE_BREATH,
        _E.PALPITATIONS,
        _E.SWEATING,
        _E.LOSS_OF_APPETITE,
        _E.NAUSEA_OR_VOMITING,
        _E.POLYDIPSIA,
        _E.POLYURIA,
        _E.ABDOMINAL_PAIN,
        _E.DEEP_BREATHING,
        _E.FLUSHED_SKIN,
        _E.SUDDEN_VISION_LOSS,
        _E.RAISED_IN_PREGNANCY,
        _E.CANNOT_MANAGE,
    }
)
FACE_TO_FACE_PER_YEAR = 4
SOON = timedelta(days=14)  # "2周内": after an adjustment, a referral or an emergency
ROUTINE_MONTHS = 3  # the next follow-up of a controlled patient


@dataclass(frozen=True)
class HypertensionThresholds:  # (systolic, diastolic) in mmHg
    controlled_below: tuple[int, int] = (140, 90)  # both must be below
    elderly_from_age: int = 65
    elderly_controlled_below: tuple[int, int] = (150, 90)
    emergency_from: tuple[int, int] = (180, 110)  # either reaching it is an emergency


@dataclass(frozen=True)
class DiabetesThresholds:  # glucose in mmol/L
    controlled_fasting_below: float = 7.0
    emergency_glucose_from: float = 16.7
    emergency_glucose_up_to: float = 3.9
    emergency_blood_pressure_from: tuple[int, int] = (180, 110)
    emergency_heart_rate_over: int = 100  # when it persists
    emergency_temperature_over: float = 39.0


@dataclass(frozen=True)
class BloodPressure:
    systolic: int
    diastolic: int


@dataclass(frozen=True)
class DiabetesReading:
    fasting_glucose: float
    postprandial_glucose: float | None = None  # 2 hours after a meal
    blood_pressure: BloodPressure | None = None
    heart_rate: int | None = None
    temperature: float | None = None  # °C


@dataclass(frozen=True)
class Assessment:
    """What the app suggests; each reason is a FLAG ``Problem`` whose message says why."""

    classification: Classification
    emergency_reasons: tuple[Problem, ...]
    referral_reasons: tuple[Problem, ...]
    next_due: date

    @property
    def emergency_referral(self) -> bool:
        return bool(self.emergency_reasons)

    @property
    def recommend_referral(self) -> bool:
        return bool(self.referral_reasons)


def classify_hypertension(
    reading: BloodPressure,
    previous_classification: str | None,
    age: int,
    adverse_reaction: str,
    complication_change: bool,
    emergency_signs: Collection[str],
    *,
    on: date,
    thresholds: HypertensionThresholds = HypertensionThresholds(),
) -> Assessment:
    """Suggest the outcome of a hypertension follow-up made ``on`` that day.

    ``complication_change``: a new complication, or a known one got worse.
    """
    t = thresholds
    elderly = age >= t.elderly_from_age
    systolic, diastolic = t.elderly_controlled_below if elderly else t.controlled_below
    controlled = reading.systolic < systolic and reading.diastolic < diastolic
    emergencies = _blood_pressure_emergency(reading, t.emergency_from)
    emergencies += _sign_reasons(emergency_signs, HYPERTENSION_SIGNS)
    return _assess(controlled, previous_classification, adverse_reaction, complication_change, emergencies, on)


def classify_diabetes(
    reading: DiabetesReading,
    previous_classification: str | None,
    adverse_reaction: str,
    complication_change: bool,
    emergency_signs: Collection[str],
    *,
    on: date,
    thresholds: DiabetesThresholds = DiabetesThresholds(),
) -> Assessment:
    """Suggest the outcome of a type 2 diabetes follow-up made ``on`` that day."""
    t = thresholds
    emergencies: list[Problem] = []
    glucose_readings = {
        "fasting_glucose": reading.fasting_glucose,
        "postprandial_glucose": reading.postprandial_glucose,
    }
    for field, glucose in glucose_readings.items():
        if glucose is not None and glucose >= t.emergency_glucose_from:
            template = N_("Blood glucose {glucose} mmol/L: {limit} or more.")
            params = {"glucose": glucose, "limit": t.emergency_glucose_from}
            emergencies.append(_reason("followup.glucose_high", template, params, field))
        if glucose is not None and glucose <= t.emergency_glucose_up_to:
            template = N_("Blood glucose {glucose} mmol/L: {limit} or less.")
            params = {"glucose": glucose, "limit": t.emergency_glucose_up_to}
            emergencies.append(_reason("followup.glucose_low", template, params, field))
    if reading.blood_pressure is not None:
        limit = t.emergency_blood_pressure_from
        emergencies += _blood_pressure_emergency(reading.blood_pressure, limit)
    if reading.heart_rate is not None and reading.heart_rate > t.emergency_heart_rate_over:
        template = N_("Heart rate {rate}/min, over {limit}: an emergency if it persists.")
        params = {"rate": reading.heart_rate, "limit": t.emergency_heart_rate_over}
        emergencies.append(_reason("followup.heart_rate_high", template, params, "heart_rate"))
    if reading.temperature is not None and reading.temperature > t.emergency_temperature_over:
        template = N_("Temperature {temperature} °C, over {limit} °C.")
        params = {"temperature": reading.temperature, "limit": t.emergency_temperature_over}
        emergencies.append(_reason("followup.fever", template, params, "temperature"))
    emergencies += _sign_reasons(emergency_signs, DIABETES_SIGNS)
    controlled = reading.fasting_glucose < t.controlled_fasting_below
    return _assess(controlled, previous_classification, adverse_reaction, complication_change, emergencies, on)


def override_requires_reason(assessment: Assessment, classification: str, referred: bool) -> bool:
    """Whether the doctor decided otherwise than suggested (so the form asks why)."""
    return bool(_departures(assessment, classification, referred))


def check_doctor_decision(
    assessment: Assessment, classification: str, referred: bool, reason: str | None
) -> list[Problem]:
    """The doctor may decide otherwise than suggested, but never without saying why."""
    if not any(classification == c for c in Classification):
        template = N_("Choose the classification of this follow-up.")
        return [Problem("followup.classification_unknown", template, field="classification")]
    return [] if (reason or "").strip() else _departures(assessment, classification, referred)


def check_adverse_reaction(reaction: str, note: str | None) -> list[Problem]:
    """An adverse reaction is recorded with what it was (the form's "有___"): which medicine, what happened."""
    if AdverseReaction(reaction) is AdverseReaction.NONE or (note or "").strip():
        return []
    template = N_("Say which medicine and what happened.")
    return [Problem("followup.adverse_reaction_unexplained", template, field="adverse_reaction_note")]


@dataclass(frozen=True)
class AnnualStatus:
    year: int
    face_to_face: int
    required: int = FACE_TO_FACE_PER_YEAR

    @property
    def met(self) -> bool:
        return self.face_to_face >= self.required

    @property
    def remaining(self) -> int:
        return max(0, self.required - self.face_to_face)


def annual_status(followup_dates: Iterable[date], year: int, required: int = FACE_TO_FACE_PER_YEAR) -> AnnualStatus:
    """Face-to-face follow-ups in ``year`` (pass clinic and home visits, not phone calls).

    Two records on one day count once: a duplicate must not make a patient look managed.
    """
    days = {day for day in followup_dates if day.year == year}
    return AnnualStatus(year, len(days), required)


def overdue(next_due: date, today: date) -> bool:
    return today > next_due


def _assess(
    controlled: bool,
    previous_classification: str | None,
    adverse_reaction: str,
    complication_change: bool,
    emergency_reasons: list[Problem],
    on: date,
) -> Assessment:
    previous = None if previous_classification is None else Classification(previous_classification)
    reaction = AdverseReaction(adverse_reaction)  # ValueError for an unknown code, as above
    # One classification per follow-up: the most serious finding wins.
    if complication_change:
        classification = Classification.COMPLICATION
    elif reaction is not AdverseReaction.NONE:
        classification = Classification.ADVERSE_REACTION
    elif not controlled:
        classification = Classification.UNCONTROLLED
    else:
        classification = Classification.CONTROLLED
    referral_reasons = []
    if not controlled and previous is Classification.UNCONTROLLED:
        template = N_("Not controlled at two follow-ups in a row.")
        referral_reasons.append(_reason("followup.uncontrolled_twice", template))
    if reaction is AdverseReaction.HARD_TO_CONTROL:
        template = N_("An adverse drug reaction that is hard to control.")
        referral_reasons.append(_reason("followup.reaction_hard_to_control", template))
    if complication_change:
        template = N_("A new complication, or a known one got worse.")
        referral_reasons.append(_reason("followup.complication_change", template))
    routine = classification is Classification.CONTROLLED and not emergency_reasons
    next_due = _add_months(on, ROUTINE_MONTHS) if routine else on + SOON
    return Assessment(classification, tuple(emergency_reasons), tuple(referral_reasons), next_due)


def _departures(assessment: Assessment, classification: str, referred: bool) -> list[Problem]:
    """Where the doctor's decision differs from the suggestion, each needing the reason."""
    departures = []
    if classification != assessment.classification:
        template = N_("The classification differs from the suggestion: record why.")
        code = "followup.override_reason_missing"
        departures.append(Problem(code, template, field="override_reason"))
    if (assessment.emergency_referral or assessment.recommend_referral) and not referred:
        template = N_("A referral is suggested: record why the patient is not referred.")
        code = "followup.referral_declined_reason_missing"
        departures.append(Problem(code, template, field="override_reason"))
    return departures


def _blood_pressure_emergency(reading: BloodPressure, limit: tuple[int, int]) -> list[Problem]:
    systolic, diastolic = limit
    if reading.systolic < systolic and reading.diastolic < diastolic:
        return []
    template = N_(
        "Blood pressure {systolic}/{diastolic} mmHg: systolic {limit_systolic} or more, "
        "or diastolic {limit_diastolic} or more."
    )
    params = {
        "systolic": reading.systolic,
        "diastolic": reading.diastolic,
        "limit_systolic": systolic,
        "limit_diastolic": diastolic,
    }
    return [_reason("followup.blood_pressure_high", template, params, "sbp")]


def _sign_reasons(signs: Collection[str], allowed: frozenset[EmergencySign]) -> list[Problem]:
    unknown = set(signs) - allowed
    if unknown:
        raise ValueError(f"not an emergency sign of this disease: {sorted(unknown)}")
    return [
        _reason(f"followup.sign.{sign}", EMERGENCY_SIGN_LABELS[sign], field="emergency_signs")
        for sign in EmergencySign  # in a stable order, whatever the caller's collection
        if sign in signs
    ]


def _reason(code: str, template: str, params: Mapping[str, object] | None = None, field: str | None = None) -> Problem:
    return Problem(code, template, params or {}, Severity.FLAG, field)


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (30 November + 3 = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
