"""The fields of the chronic follow-up form, and how what is typed becomes a ``Followup``.

Choices are typed as digits, the way the paper form numbers its boxes, and stored as the model's
words (salt intake 1 is stored "light"). Symptoms and emergency signs are typed as numbers of the
list the form shows beside them. The screen (``followup_form``) adds the live suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

from clinic_tui.domain.codes import VISIT_MODE, CodeSet
from clinic_tui.domain.followup import (
    CLASSIFICATION_LABELS,
    DIABETES_SIGNS,
    DISEASE_LABELS,
    EMERGENCY_SIGN_LABELS,
    HYPERTENSION_SIGNS,
    Assessment,
    EmergencySign,
)
from clinic_tui.domain.problems import Problem
from clinic_tui.domain.record_text import medications_text, parse_medications
from clinic_tui.i18n import N_
from clinic_tui.widgets.form import Check, FieldSpec


@dataclass(frozen=True)
class WordChoice:
    """A choice typed as a digit and stored as the model's word (salt intake 1 is "light")."""

    codes: CodeSet
    words: tuple[str, ...]

    @overload
    def word(self, code: str) -> str: ...
    @overload
    def word(self, code: None) -> None: ...
    def word(self, code: str | None) -> str | None:
        return None if code is None else self.words[int(code) - 1]

    def code(self, word: str | None) -> str | None:
        return str(self.words.index(word) + 1) if word in self.words else None


def _word_choice(name: str, *pairs: tuple[str, str]) -> WordChoice:
    entries = tuple((str(number), label) for number, (_word, label) in enumerate(pairs, start=1))
    return WordChoice(CodeSet(name, entries), tuple(word for word, _label in pairs))


def _numbered(name: str, labels: list[str]) -> CodeSet:
    return CodeSet(name, tuple((str(number), label) for number, label in enumerate(labels, start=1)))


DISEASES = ("hypertension", "diabetes")
DISEASE_CHOICE = _numbered("follow-up disease", [DISEASE_LABELS[d] for d in DISEASES])
FOLLOWUP_MODE = CodeSet("follow-up mode", VISIT_MODE.entries[:3])  # no village round on this form
CLASSIFICATION = CodeSet(
    "follow-up classification", tuple((c.value, label) for c, label in CLASSIFICATION_LABELS.items())
)
COMPLICATION = CodeSet("complication change", (("0", N_("None new")), ("1", N_("New or worse"))))
SYMPTOMS = {  # the numbered symptom boxes of each disease's paper form
    "hypertension": _numbered(
        "hypertension symptoms",
        [
            N_("No symptoms"),
            N_("Headache, dizziness"),
            N_("Nausea, vomiting"),
            N_("Blurred vision, tinnitus"),
            N_("Difficulty breathing"),
            N_("Palpitations, chest tightness"),
            N_("Nosebleed that will not stop"),
            N_("Numb limbs"),
            N_("Swollen legs"),
        ],
    ),
    "diabetes": _numbered(
        "diabetes symptoms",
        [
            N_("No symptoms"),
            N_("Excessive thirst"),
            N_("Excessive hunger"),
            N_("Excessive urination"),
            N_("Blurred vision"),
            N_("Infection"),
            N_("Numb hands and feet"),
            N_("Swollen legs"),
            N_("Marked weight loss"),
        ],
    ),
}
SIGNS = {
    d: [s for s in EmergencySign if s in allowed]
    for d, allowed in (("hypertension", HYPERTENSION_SIGNS), ("diabetes", DIABETES_SIGNS))
}
SIGN_CODES = {
    d: _numbered(f"{d} emergency signs", [EMERGENCY_SIGN_LABELS[s] for s in signs]) for d, signs in SIGNS.items()
}
GOOD_FAIR_POOR = (("good", N_("Good")), ("fair", N_("Fair")), ("poor", N_("Poor")))
REACTION = _word_choice(
    "adverse reaction", ("none", N_("None")), ("present", N_("Present")), ("hard_to_control", N_("Hard to control"))
)
WORD_FIELDS = {
    "salt_intake": _word_choice(
        "salt intake", ("light", N_("Light")), ("moderate", N_("Moderate")), ("heavy", N_("Heavy"))
    ),
    "psych_adjustment": _word_choice("psychological adjustment", *GOOD_FAIR_POOR),
    "compliance": _word_choice("compliance", *GOOD_FAIR_POOR),
    "adherence": _word_choice(
        "adherence", ("regular", N_("Regular")), ("intermittent", N_("Intermittent")), ("none", N_("Not taking"))
    ),
    "adverse_reaction": REACTION,
    "hypoglycemia": _word_choice(
        "hypoglycaemia", ("none", N_("None")), ("occasional", N_("Occasional")), ("frequent", N_("Frequent"))
    ),
    "dorsalis_pedis": _word_choice(
        "dorsalis pedis", ("normal", N_("Normal")), ("weak", N_("Weak")), ("absent", N_("Absent"))
    ),
}
# Fields stored as typed (the diabetes ones are left out of a hypertension form's values).
STORED_AS_TYPED = (
    "followup_date",
    "mode",
    "symptoms_other",
    "sbp",
    "dbp",
    "weight_kg",
    "weight_target_kg",
    "height_cm",
    "heart_rate",
    "temperature",
    "adverse_reaction_note",
    "other_signs",
    "cigarettes_per_day",
    "cigarettes_target",
    "alcohol_ml_per_day",
    "alcohol_target_ml",
    "exercise_times_per_week",
    "exercise_minutes",
    "auxiliary_exams",
    "override_reason",
    "referral_reason",
    "referral_org",
    "staple_food_g",
    "fasting_glucose",
    "postprandial_glucose",
    "hba1c",
    "hba1c_date",
    "insulin_kind",
    "insulin_dose",
)
_SEPARATORS = re.compile(r"[\s,，、;；]+")
VITALS = {
    "sbp": "systolic",
    "dbp": "diastolic",
    "heart_rate": "heart_rate",
    "temperature": "temperature",
    "weight_kg": "weight",
    "height_cm": "height",
    "fasting_glucose": "fasting_glucose",
    "postprandial_glucose": "postprandial_glucose",
    "hba1c": "hba1c",
}


def parse_numbers(text: str | None, codes: CodeSet) -> list[str]:
    """ "2 4" or "2,4" -> ["2", "4"]; ValueError for a number not on the list."""
    numbers = [n for n in _SEPARATORS.split(text or "") if n]
    if any(not codes.is_valid(n) for n in numbers):
        raise ValueError(text)
    return list(dict.fromkeys(numbers))


def _numbers_check(field: str, codes: CodeSet) -> Check:
    def check(value: str, _values: Any) -> list[Problem]:
        try:
            parse_numbers(value, codes)
        except ValueError:
            template = N_("Type numbers from the list below, separated by spaces (1 to {last}).")
            return [Problem("followup.not_on_list", template, {"last": len(codes.entries)}, field=field)]
        return []

    return check


def followup_specs(disease: str, *, ask_disease: bool, vital_check: Callable[[str], Check]) -> list[FieldSpec]:
    hypertension, diabetes = disease == "hypertension", disease == "diabetes"

    def field(name: str, label: str, kind: str = "text", **options: Any) -> FieldSpec:
        if name in VITALS:
            options["check"] = vital_check(name)
        if name in WORD_FIELDS:
            kind, options["choices"] = "choice", WORD_FIELDS[name].codes
        return FieldSpec(name, label, kind, **options)

    specs = [field("disease", N_("Disease"), "choice", required=True, choices=DISEASE_CHOICE)] if ask_disease else []
    specs += [
        field("followup_date", N_("Date"), "date", required=True),
        field("mode", N_("Mode"), "choice", required=True, choices=FOLLOWUP_MODE),
        field(
            "symptoms",
            N_("Symptoms"),
            hint=N_("numbers, e.g. 2 4"),
            check=_numbers_check("symptoms", SYMPTOMS[disease]),
        ),
        field(
            "emergency_signs",
            N_("Danger signs"),
            hint=N_("numbers; blank: none"),
            check=_numbers_check("emergency_signs", SIGN_CODES[disease]),
        ),
        field("sbp", N_("Systolic BP"), "int", required=hypertension, hint=N_("mmHg")),
        field("dbp", N_("Diastolic BP"), "int", required=hypertension, hint=N_("mmHg")),
        field("heart_rate", N_("Heart rate"), "int", hint=N_("bpm")),
        field("weight_kg", N_("Weight"), "decimal", hint=N_("kg")),
        field("height_cm", N_("Height"), "decimal", hint=N_("cm")),
    ]
    if diabetes:
        specs += [
            field("temperature", N_("Temperature"), "decimal", hint=N_("°C")),
            field("fasting_glucose", N_("Fasting BG"), "decimal", required=True, hint=N_("mmol/L")),
            field("postprandial_glucose", N_("2-hour BG"), "decimal", hint=N_("mmol/L")),
            field("hba1c", N_("HbA1c"), "decimal", hint=N_("%")),
            field("hypoglycemia", N_("Low glucose")),
        ]
    specs += [
        field("adherence", N_("Adherence")),
        field("adverse_reaction", N_("Side effects"), required=True),
        field("adverse_reaction_note", N_("What reaction"), hint=N_("medicine, what happened")),
        field("complication", N_("Complication"), "choice", required=True, choices=COMPLICATION),
        field("medications", N_("Medications"), hint=N_("name times dose; …")),
        field("classification", N_("Assessment"), "choice", choices=CLASSIFICATION),
        field("override_reason", N_("Why differ")),
        field("next_date", N_("Next due"), "date", hint=N_("blank: as suggested")),
        field("weight_target_kg", N_("Target weight"), "decimal", hint=N_("kg")),
        field("symptoms_other", N_("Other symptom")),
        field("other_signs", N_("Other signs")),
        field("cigarettes_per_day", N_("Cigarettes/d"), "int"),
        field("cigarettes_target", N_("Cig. target"), "int"),
        field("alcohol_ml_per_day", N_("Alcohol ml/d"), "int"),
        field("alcohol_target_ml", N_("Alcohol goal"), "int"),
        field("exercise_times_per_week", N_("Exercise/wk"), "int"),
        field("exercise_minutes", N_("Minutes each"), "int"),
        field("salt_intake", N_("Salt intake")),
        field("psych_adjustment", N_("Mood adjust")),
        field("compliance", N_("Compliance")),
        field("auxiliary_exams", N_("Aux. exams")),
    ]
    if diabetes:
        specs += [
            field("hba1c_date", N_("HbA1c date"), "date"),
            field("dorsalis_pedis", N_("Foot pulse")),
            field("staple_food_g", N_("Staple g/day"), "int"),
            field("insulin_kind", N_("Insulin")),
            field("insulin_dose", N_("Insulin dose")),
        ]
    return specs + [field("referral_reason", N_("Referred for")), field("referral_org", N_("Referred to"))]


def emergency_signs(text: str | None, disease: str) -> list[str]:
    """The ``EmergencySign`` values of the numbers typed in the emergency-signs field."""
    return [SIGNS[disease][int(n) - 1].value for n in parse_numbers(text, SIGN_CODES[disease])]


def form_values(stored: dict[str, Any], disease: str) -> dict[str, Any]:
    """A stored follow-up (``followup_service.load_followup``) as the form shows it."""
    symptoms = stored["symptoms"] or []
    signs = [str(SIGNS[disease].index(s) + 1) for s in symptoms if s in SIGNS[disease]]
    return (
        stored
        | {name: choice.code(stored.get(name)) for name, choice in WORD_FIELDS.items()}
        | {
            "symptoms": " ".join(s for s in symptoms if s.isdigit()),
            "emergency_signs": " ".join(signs),
            "adverse_reaction": REACTION.code(stored["adverse_reaction"] or "none"),
            # A new or worse complication is what makes the rules suggest classification 4.
            "complication": "1" if stored["suggested_classification"] == "4" else "0",
            "medications": medications_text(stored["medications"]),
        }
    )


def record_values(values: dict[str, Any], disease: str, assessment: Assessment) -> dict[str, Any]:
    """What the form holds as ``Followup`` fields: a blank classification or date is the suggestion's."""
    record = {name: values[name] for name in STORED_AS_TYPED if name in values}
    record |= {name: choice.word(values[name]) for name, choice in WORD_FIELDS.items() if name in values}
    if record["adverse_reaction"] == "none":
        record["adverse_reaction"] = None  # the model's "no adverse reaction"
        record["adverse_reaction_note"] = None
    # The emergency signs are kept with the symptoms, by name, beside the numbered boxes.
    record["symptoms"] = parse_numbers(values["symptoms"], SYMPTOMS[disease]) + emergency_signs(
        values["emergency_signs"], disease
    )
    record["medications"] = parse_medications(values["medications"])
    record["suggested_classification"] = assessment.classification.value
    record["classification"] = values["classification"] or assessment.classification.value
    record["next_date"] = values["next_date"] or assessment.next_due
    return record
